// JsonReader: one strict pass over a request body with simdjson On-Demand. Every value in the
// document is visited exactly once (known fields are read, unknown ones validated), every
// top-level key is checked against those seen before, and the end of the document is checked.
// Thread: the owning shard only. Memory is fixed at construction: the parser and the key set are
// sized for document_bytes_max, so read_object() never allocates.
#include "http/json_reader.h"

#include <bit>
#include <cstring>
#include <random>
#include <utility>

#include <simdjson.h>

#include "reactor/base/assert.h"
#include "reactor/base/limits.h"

namespace cashierd::http {
namespace {

namespace ondemand = simdjson::ondemand;

static_assert(limits::json_padding_bytes >= simdjson::SIMDJSON_PADDING);

// The top-level object is level 1.
constexpr int nesting_max = 32;

constexpr std::size_t known_seen_bits = 64;

// The shortest member, `"":0`, plus its comma: a document of n bytes has at most n / 5 keys.
constexpr std::size_t member_bytes_min = 5;

constexpr std::string_view detail_document_too_large = "document_too_large";
constexpr std::string_view detail_duplicate_key = "duplicate_key";
constexpr std::string_view detail_empty_document = "empty_document";
constexpr std::string_view detail_invalid_number = "invalid_number";
constexpr std::string_view detail_invalid_string = "invalid_string";
constexpr std::string_view detail_malformed_json = "malformed_json";
constexpr std::string_view detail_missing_field = "missing_field";
constexpr std::string_view detail_nesting_too_deep = "nesting_too_deep";
constexpr std::string_view detail_not_an_object = "not_an_object";
constexpr std::string_view detail_out_of_range = "out_of_range";
constexpr std::string_view detail_trailing_bytes = "trailing_bytes";
constexpr std::string_view detail_wrong_type = "wrong_type";

Status invalid(std::string_view detail, std::string_view field = {}) {
    return Status(StatusCode::invalid_data, detail, field);
}

bool is_json_whitespace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// simdjson's raw tokens run up to the next token, so they carry the whitespace in between.
std::string_view trim_trailing_whitespace(std::string_view text) {
    while (!text.empty() && is_json_whitespace(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// The RFC 8259 number grammar, checked on the source text. simdjson's get_number() also
// range-checks as a double or a 64-bit integer, which would refuse valid JSON such as 1e400 or a
// 30-digit integer in a field the server only skips; money fields get their range checked by the
// ledger's decimal parser instead.
bool is_json_number(std::string_view text, bool& integer) {
    std::size_t i = 0;
    const std::size_t size = text.size();
    if (i < size && text[i] == '-') ++i;
    if (i == size) return false;
    if (text[i] == '0') {
        ++i;
    } else if (text[i] >= '1' && text[i] <= '9') {
        while (i < size && is_digit(text[i])) {
            ++i;
        }
    } else {
        return false;
    }
    integer = true;
    if (i < size && text[i] == '.') {
        integer = false;
        ++i;
        const std::size_t digits_start = i;
        while (i < size && is_digit(text[i])) {
            ++i;
        }
        if (i == digits_start) return false;
    }
    if (i < size && (text[i] == 'e' || text[i] == 'E')) {
        integer = false;
        ++i;
        if (i < size && (text[i] == '+' || text[i] == '-')) ++i;
        const std::size_t digits_start = i;
        while (i < size && is_digit(text[i])) {
            ++i;
        }
        if (i == digits_start) return false;
    }
    return i == size;
}

// Where the first top-level object or array of `text` closes, by bracket counting outside
// strings; npos if it never does. Only used to explain a document simdjson refused at the root.
std::size_t first_container_end(std::string_view text) {
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) return i + 1;
        }
    }
    return std::string_view::npos;
}

// A key without a backslash is its own unescaped text, and stage 1 has already checked its UTF-8
// and control characters, so only escaped keys pay for simdjson's unescaping copy (an indirect
// call per key). Stage 1 also guarantees that the closing quote is inside the document.
simdjson::error_code read_key(ondemand::field& field, std::string_view& key) {
    const char* start = field.key().raw();
    const char* end = start;
    while (*end != '"' && *end != '\\') {
        ++end;
    }
    if (*end == '"') {
        key = std::string_view(start, static_cast<std::size_t>(end - start));
        return simdjson::SUCCESS;
    }
    return field.unescaped_key().get(key);
}

bool only_whitespace(std::string_view text) {
    for (const char c : text) {
        if (!is_json_whitespace(c)) return false;
    }
    return true;
}

}  // namespace

struct JsonReader::Impl {
    struct KeySlot {
        const char* data = nullptr;
        std::uint32_t size = 0;
        // A slot is occupied only when this matches key_generation: starting a document is O(1).
        std::uint32_t generation = 0;
    };

    explicit Impl(std::size_t document_bytes_max);

    Status read(std::string_view document, std::size_t capacity, std::span<const JsonField> fields,
                std::span<JsonValue> out, bool may_explain_root_error);
    Status explain_root_error(std::string_view document, std::size_t capacity,
                              std::span<const JsonField> fields, std::span<JsonValue> out);
    Status read_field(ondemand::value& value, const JsonField& field, JsonValue& out);
    Status read_number_text(ondemand::value& value, std::string_view name, JsonValue& out);
    Status read_raw(ondemand::value& value, ondemand::json_type type, std::string_view name,
                    JsonValue& out);
    Status validate(ondemand::value& value, int depth, std::string_view name);

    void start_keys(std::size_t document_bytes);
    // False if `key` was already inserted for this document.
    bool insert_key(std::string_view key);
    std::uint64_t hash_key(std::string_view key) const;

    ondemand::parser parser;
    std::size_t document_bytes_max;
    std::unique_ptr<KeySlot[]> key_slots;
    std::size_t key_slots_count;
    std::size_t key_mask = 0;
    std::uint32_t key_generation = 0;
    // Random per reader, so that a client cannot pick keys that all land in one probe chain and
    // make each insert walk the whole table.
    std::uint64_t key_seed;
};

JsonReader::Impl::Impl(std::size_t bytes_max) : parser(bytes_max), document_bytes_max(bytes_max) {
    // Key sizes are stored in 32 bits; simdjson itself stops at 4 GiB.
    CASHIERD_ASSERT(bytes_max <= UINT32_MAX);
    // An OOM at startup is not recoverable, and a parser without buffers would allocate later.
    const simdjson::error_code error = parser.allocate(document_bytes_max);
    CASHIERD_ASSERT(error == simdjson::SUCCESS);
    // Twice the most keys a document can hold keeps linear probing short.
    key_slots_count = std::bit_ceil(2 * (document_bytes_max / member_bytes_min + 1));
    key_slots = std::make_unique<KeySlot[]>(key_slots_count);
    std::random_device entropy;
    key_seed = (std::uint64_t{entropy()} << 32) | entropy();
}

void JsonReader::Impl::start_keys(std::size_t document_bytes) {
    CASHIERD_ASSERT(document_bytes <= document_bytes_max);
    ++key_generation;
    if (key_generation == 0) {
        for (std::size_t i = 0; i < key_slots_count; ++i) {
            key_slots[i] = KeySlot{};
        }
        key_generation = 1;
    }
    // Probe only as much of the table as this document can fill, to stay in cache.
    key_mask = std::bit_ceil(2 * (document_bytes / member_bytes_min + 1)) - 1;
    CASHIERD_ASSERT(key_mask < key_slots_count);
}

// Eight bytes per multiply: a byte-at-a-time FNV-1a was a fifth of the reader's time when every
// key went through the hash set.
std::uint64_t JsonReader::Impl::hash_key(std::string_view key) const {
    constexpr std::uint64_t multiplier = 0x9E3779B97F4A7C15ULL;
    std::uint64_t hash = key_seed ^ (key.size() * multiplier);
    const char* bytes = key.data();
    std::size_t left = key.size();
    while (left > 0) {
        std::uint64_t word = 0;
        const std::size_t chunk = left < sizeof(word) ? left : sizeof(word);
        std::memcpy(&word, bytes, chunk);
        hash = (hash ^ word) * multiplier;
        hash ^= hash >> 29;
        bytes += chunk;
        left -= chunk;
    }
    hash *= 0xBF58476D1CE4E5B9ULL;
    return hash ^ (hash >> 32);
}

bool JsonReader::Impl::insert_key(std::string_view key) {
    const std::uint64_t hash = hash_key(key);
    for (std::size_t probe = 0; probe <= key_mask; ++probe) {
        KeySlot& slot = key_slots[(hash + probe) & key_mask];
        if (slot.generation != key_generation) {
            slot.data = key.data();
            slot.size = static_cast<std::uint32_t>(key.size());
            slot.generation = key_generation;
            return true;
        }
        if (slot.size == key.size() && std::memcmp(slot.data, key.data(), key.size()) == 0) {
            return false;
        }
    }
    // The table holds twice as many slots as the document can have keys.
    CASHIERD_ASSERT(false);
    return false;
}

Status JsonReader::Impl::read(std::string_view document, std::size_t capacity,
                              std::span<const JsonField> fields, std::span<JsonValue> out,
                              bool may_explain_root_error) {
    for (JsonValue& value : out) {
        value = JsonValue{};
    }
    start_keys(document.size());

    ondemand::document root;
    const simdjson::error_code iterate_error =
            parser.iterate(document.data(), document.size(), capacity).get(root);
    if (iterate_error == simdjson::EMPTY) return invalid(detail_empty_document);
    if (iterate_error != simdjson::SUCCESS) return invalid(detail_malformed_json);

    std::uint64_t known_seen = 0;
    ondemand::object object;
    const simdjson::error_code object_error = root.get_object().get(object);
    if (object_error == simdjson::INCORRECT_TYPE) return invalid(detail_not_an_object);
    if (object_error == simdjson::INCOMPLETE_ARRAY_OR_OBJECT && may_explain_root_error) {
        return explain_root_error(document, capacity, fields, out);
    }
    if (object_error != simdjson::SUCCESS) return invalid(detail_malformed_json);

    for (auto member : object) {
        ondemand::field field;
        if (std::move(member).get(field) != simdjson::SUCCESS) {
            return invalid(detail_malformed_json);
        }
        std::string_view key;
        if (read_key(field, key) != simdjson::SUCCESS) {
            return invalid(detail_invalid_string);
        }
        std::size_t index = 0;
        for (; index < fields.size(); ++index) {
            if (fields[index].name == key) break;
        }
        const bool known = index < fields.size();
        // The fields a handler names fit a bit set; only unknown keys pay for the hash set.
        bool duplicate = false;
        if (known && index < known_seen_bits) {
            const std::uint64_t bit = std::uint64_t{1} << index;
            duplicate = (known_seen & bit) != 0;
            known_seen |= bit;
        } else {
            duplicate = !insert_key(key);
        }
        if (duplicate) {
            return invalid(detail_duplicate_key, known ? fields[index].name : std::string_view{});
        }
        const Status status = known ? read_field(field.value(), fields[index], out[index])
                                    : validate(field.value(), 2, {});
        if (!status.ok()) return status;
    }

    // On-Demand stops at the object's closing brace; anything left is a second value. A location
    // at or past the end means simdjson read into the padding, which only a truncated document
    // whose padding happens to look like JSON can cause.
    const char* rest = nullptr;
    if (root.current_location().get(rest) == simdjson::SUCCESS) {
        return invalid(rest < document.data() + document.size() ? detail_trailing_bytes
                                                                : detail_malformed_json);
    }

    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].required && !out[i].present) {
            return invalid(detail_missing_field, fields[i].name);
        }
    }
    return Status();
}

// simdjson refuses a root object whose last token is not its closing brace before reading any of
// it, which lumps "{} x" in with a truncated "{"a":1". Reading the first object alone tells them
// apart and reports the first problem in document order.
Status JsonReader::Impl::explain_root_error(std::string_view document, std::size_t capacity,
                                            std::span<const JsonField> fields,
                                            std::span<JsonValue> out) {
    const std::size_t end = first_container_end(document);
    if (end == std::string_view::npos || only_whitespace(document.substr(end))) {
        return invalid(detail_malformed_json);
    }
    const Status first = read(document.substr(0, end), capacity, fields, out, false);
    for (JsonValue& value : out) {
        value = JsonValue{};
    }
    if (!first.ok()) return first;
    return invalid(detail_trailing_bytes);
}

Status JsonReader::Impl::read_field(ondemand::value& value, const JsonField& field,
                                    JsonValue& out) {
    const std::string_view name = field.name;
    ondemand::json_type type{};
    if (value.type().get(type) != simdjson::SUCCESS) return invalid(detail_malformed_json, name);

    if (type == ondemand::json_type::null) {
        bool is_null = false;
        if (value.is_null().get(is_null) != simdjson::SUCCESS || !is_null) {
            return invalid(detail_malformed_json, name);
        }
        if (field.nullable) return Status();
        if (field.type != JsonType::any_raw) return invalid(detail_wrong_type, name);
        out.present = true;
        out.text = "null";
        return Status();
    }

    switch (field.type) {
        case JsonType::string:
        case JsonType::number_or_string:
            if (type == ondemand::json_type::number && field.type == JsonType::number_or_string) {
                return read_number_text(value, name, out);
            }
            if (type != ondemand::json_type::string) return invalid(detail_wrong_type, name);
            if (value.get_string().get(out.text) != simdjson::SUCCESS) {
                return invalid(detail_invalid_string, name);
            }
            out.present = true;
            return Status();

        case JsonType::int64:
        case JsonType::uint64: {
            if (type != ondemand::json_type::number) return invalid(detail_wrong_type, name);
            const std::string_view token = trim_trailing_whitespace(value.raw_json_token());
            const simdjson::error_code error =
                    field.type == JsonType::int64 ? value.get_int64().get(out.integer)
                                                  : value.get_uint64().get(out.unsigned_integer);
            if (error == simdjson::SUCCESS) {
                out.present = true;
                return Status();
            }
            // simdjson says INCORRECT_TYPE for fractions and for overflow alike.
            bool integer = false;
            if (!is_json_number(token, integer)) return invalid(detail_invalid_number, name);
            return invalid(integer ? detail_out_of_range : detail_wrong_type, name);
        }

        case JsonType::boolean:
            if (type != ondemand::json_type::boolean) return invalid(detail_wrong_type, name);
            if (value.get_bool().get(out.boolean) != simdjson::SUCCESS) {
                return invalid(detail_malformed_json, name);
            }
            out.present = true;
            return Status();

        case JsonType::number_text:
            if (type != ondemand::json_type::number) return invalid(detail_wrong_type, name);
            return read_number_text(value, name, out);

        case JsonType::object_raw:
            if (type != ondemand::json_type::object) return invalid(detail_wrong_type, name);
            return read_raw(value, type, name, out);

        case JsonType::array_raw:
            if (type != ondemand::json_type::array) return invalid(detail_wrong_type, name);
            return read_raw(value, type, name, out);

        case JsonType::any_raw:
            return read_raw(value, type, name, out);
    }
    return invalid(detail_wrong_type, name);
}

// The value is left unconsumed: the object iterator skips it, and the text is all the caller
// wants (money is parsed from its decimal digits, never through a double).
Status JsonReader::Impl::read_number_text(ondemand::value& value, std::string_view name,
                                          JsonValue& out) {
    const std::string_view token = trim_trailing_whitespace(value.raw_json_token());
    bool integer = false;
    if (!is_json_number(token, integer)) return invalid(detail_invalid_number, name);
    out.present = true;
    out.text = token;
    return Status();
}

Status JsonReader::Impl::read_raw(ondemand::value& value, ondemand::json_type type,
                                  std::string_view name, JsonValue& out) {
    const std::string_view token = value.raw_json_token();
    const Status status = validate(value, 2, name);
    if (!status.ok()) return status;
    if (type == ondemand::json_type::object || type == ondemand::json_type::array) {
        // After the walk the iterator is at the token that follows the value: the top-level
        // object's comma or closing brace, which is still ahead.
        const char* end = nullptr;
        if (value.current_location().get(end) != simdjson::SUCCESS || end < token.data()) {
            return invalid(detail_malformed_json, name);
        }
        out.text = trim_trailing_whitespace(
                std::string_view(token.data(), static_cast<std::size_t>(end - token.data())));
    } else {
        out.text = trim_trailing_whitespace(token);
    }
    out.present = true;
    return Status();
}

// Visits every value below `value` the way a reader would, so that a malformed value fails even
// in a field nobody asked for. Duplicate keys below the top level are allowed: the server never
// looks inside such objects, and a raw object that it does read is checked again when re-read.
Status JsonReader::Impl::validate(ondemand::value& value, int depth, std::string_view name) {
    ondemand::json_type type{};
    if (value.type().get(type) != simdjson::SUCCESS) return invalid(detail_malformed_json, name);
    switch (type) {
        case ondemand::json_type::object: {
            if (depth > nesting_max) return invalid(detail_nesting_too_deep, name);
            ondemand::object object;
            if (value.get_object().get(object) != simdjson::SUCCESS) {
                return invalid(detail_malformed_json, name);
            }
            for (auto member : object) {
                ondemand::field field;
                if (std::move(member).get(field) != simdjson::SUCCESS) {
                    return invalid(detail_malformed_json, name);
                }
                std::string_view key;
                if (read_key(field, key) != simdjson::SUCCESS) {
                    return invalid(detail_invalid_string, name);
                }
                const Status status = validate(field.value(), depth + 1, name);
                if (!status.ok()) return status;
            }
            return Status();
        }
        case ondemand::json_type::array: {
            if (depth > nesting_max) return invalid(detail_nesting_too_deep, name);
            ondemand::array array;
            if (value.get_array().get(array) != simdjson::SUCCESS) {
                return invalid(detail_malformed_json, name);
            }
            for (auto element : array) {
                ondemand::value child;
                if (element.get(child) != simdjson::SUCCESS) {
                    return invalid(detail_malformed_json, name);
                }
                const Status status = validate(child, depth + 1, name);
                if (!status.ok()) return status;
            }
            return Status();
        }
        case ondemand::json_type::string: {
            std::string_view text;
            if (value.get_string().get(text) != simdjson::SUCCESS) {
                return invalid(detail_invalid_string, name);
            }
            return Status();
        }
        case ondemand::json_type::number: {
            bool integer = false;
            if (!is_json_number(trim_trailing_whitespace(value.raw_json_token()), integer)) {
                return invalid(detail_invalid_number, name);
            }
            return Status();
        }
        case ondemand::json_type::boolean: {
            bool boolean = false;
            if (value.get_bool().get(boolean) != simdjson::SUCCESS) {
                return invalid(detail_malformed_json, name);
            }
            return Status();
        }
        case ondemand::json_type::null: {
            bool is_null = false;
            if (value.is_null().get(is_null) != simdjson::SUCCESS || !is_null) {
                return invalid(detail_malformed_json, name);
            }
            return Status();
        }
    }
    return invalid(detail_malformed_json, name);
}

JsonReader::JsonReader(std::size_t document_bytes_max)
    : impl_(std::make_unique<Impl>(document_bytes_max)) {}

JsonReader::~JsonReader() = default;

Status JsonReader::read_object(std::string_view document, std::size_t capacity,
                               std::span<const JsonField> fields, std::span<JsonValue> out) {
    CASHIERD_ASSERT(out.size() == fields.size());
    if (document.size() > impl_->document_bytes_max) {
        for (JsonValue& value : out) {
            value = JsonValue{};
        }
        return invalid(detail_document_too_large);
    }
    // The caller's promise; simdjson would otherwise read past the buffer.
    CASHIERD_ASSERT(capacity >= document.size() + limits::json_padding_bytes);
    return impl_->read(document, capacity, fields, out, true);
}

}  // namespace cashierd::http
