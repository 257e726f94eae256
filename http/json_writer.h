// JsonWriter: appends compact JSON to a std::string, inserting commas itself and escaping
// strings correctly (quote, backslash, control characters as \u00XX, U+2028/U+2029 escaped,
// invalid UTF-8 replaced by U+FFFD), so every document it writes parses back to what was put in.
// Thread: any; one writer per output string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cashierd::http {

class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_(out) {}

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    /// The next value belongs to this key (inside an object).
    JsonWriter& key(std::string_view name);
    JsonWriter& string(std::string_view value);
    JsonWriter& int64(std::int64_t value);
    JsonWriter& uint64(std::uint64_t value);
    JsonWriter& boolean(bool value);
    JsonWriter& null();
    /// Appends already-valid JSON text (a number formatted by ledger::format_amount, a stored
    /// JSON document) as one value.
    JsonWriter& raw(std::string_view json);

    // Shorthands for key + value.
    JsonWriter& field(std::string_view name, std::string_view value) {
        return key(name).string(value);
    }

    JsonWriter& field(std::string_view name, const char* value) { return key(name).string(value); }

    JsonWriter& field(std::string_view name, std::int64_t value) { return key(name).int64(value); }

    JsonWriter& field(std::string_view name, int value) { return key(name).int64(value); }

    JsonWriter& field(std::string_view name, bool value) { return key(name).boolean(value); }

    /// Appends `value` escaped as the inside of a JSON string (no quotes).
    static void escape_into(std::string& out, std::string_view value);

private:
    void before_value();

    std::string& out_;
    // One bit per nesting level: set when the level already has an element. 64 levels deep.
    std::uint64_t has_element_ = 0;
    std::uint8_t depth_ = 0;
    bool after_key_ = false;
};

}  // namespace cashierd::http
