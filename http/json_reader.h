// JsonReader: strict request-body reading over simdjson On-Demand. On-Demand alone is lenient
// where a payments API must not be: it returns the first of duplicated keys, ignores trailing
// bytes after the document and never looks at values it skips. read_object() refuses all
// three, checks every known field's type, and names the field at fault.
// Thread: one per shard (owns a simdjson parser); results are valid until the next call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "reactor/base/status.h"

namespace cashierd::http {

enum class JsonType : std::uint8_t {
    string,            // JSON string; JsonValue::text is the unescaped UTF-8.
    int64,             // JSON integer within int64; JsonValue::integer.
    uint64,            // JSON non-negative integer within uint64; JsonValue::unsigned_integer.
    boolean,           // JsonValue::boolean.
    number_text,       // JSON number; JsonValue::text is its exact source text (for money).
    number_or_string,  // JSON number (text = source text) or string (text = unescaped).
    object_raw,        // JSON object, validated; JsonValue::text is its raw source text.
    array_raw,         // JSON array, validated; JsonValue::text is its raw source text.
    any_raw,           // Any JSON value, validated; JsonValue::text is its raw source text.
};

struct JsonField {
    std::string_view name;
    JsonType type;
    bool required = false;
    bool nullable = false;  // If true, `null` is accepted and reads as absent.
};

struct JsonValue {
    bool present = false;
    std::string_view text;
    std::int64_t integer = 0;
    std::uint64_t unsigned_integer = 0;
    bool boolean = false;
};

class JsonReader {
public:
    explicit JsonReader(std::size_t document_bytes_max);
    ~JsonReader();
    JsonReader(const JsonReader&) = delete;
    JsonReader& operator=(const JsonReader&) = delete;

    /// Reads `document`, which must be one JSON object and nothing else but whitespace.
    /// `capacity` is the readable size of the buffer that starts at document.data(); it must
    /// be at least document.size() + limits::json_padding_bytes (the caller guarantees it).
    /// out[i] receives fields[i]. Unknown keys are ignored, but their values are still fully
    /// validated. Errors, all StatusCode::invalid_data with Status::field() naming the field
    /// (empty for document-level problems):
    ///   not JSON / not an object / trailing bytes / nesting deeper than 32,
    ///   a duplicated key (known or unknown) at the top level,
    ///   a missing required field, a field of the wrong type, an integer out of range.
    /// Field names in the Status point into `fields`, which must outlive it.
    Status read_object(std::string_view document, std::size_t capacity,
                       std::span<const JsonField> fields, std::span<JsonValue> out);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace cashierd::http
