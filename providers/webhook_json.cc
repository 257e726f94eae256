// Strict DOM reading of webhook bodies. The DOM parser validates the whole document; what it
// cannot give is a number's source text, which money needs exactly, so that one token is read
// back with the On-Demand parser over the same padded copy once the DOM has accepted it.
// Thread: any; all parser state is thread_local (no allocation once warmed to the largest body).
#include "providers/webhook_json.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

namespace cashierd::providers::webhook_json {
namespace {

namespace dom = simdjson::dom;
namespace ondemand = simdjson::ondemand;

struct Scratch {
    dom::parser dom_parser;
    ondemand::parser ondemand_parser;
    // The last body, followed by SIMDJSON_PADDING zero bytes.
    std::unique_ptr<char[]> padded;
    std::size_t padded_capacity = 0;
    std::size_t body_bytes = 0;
    std::vector<std::string_view> keys;  // The duplicate check's sort space.
};

Scratch& scratch() {
    thread_local Scratch instance;
    return instance;
}

Status invalid(std::string_view detail, std::string_view field = {}) {
    return Status(StatusCode::invalid_data, detail, field);
}

std::string_view key_of(std::string_view field) {
    const std::size_t dot = field.rfind('.');
    return dot == std::string_view::npos ? field : field.substr(dot + 1);
}

Status check_unique_keys(dom::object object, std::string_view object_path, FieldNames fields) {
    std::vector<std::string_view>& keys = scratch().keys;
    keys.clear();
    for (dom::key_value_pair member : object)
        keys.push_back(member.key);
    std::sort(keys.begin(), keys.end());
    auto duplicate = std::adjacent_find(keys.begin(), keys.end());
    if (duplicate == keys.end()) return Status();
    for (std::string_view field : fields) {
        if (key_of(field) == *duplicate) return invalid(detail_duplicate_key, field);
    }
    return invalid(detail_duplicate_key, object_path);
}

bool is_absent_or_null(bool found, dom::element value) {
    return !found || value.type() == dom::element_type::NULL_VALUE;
}

Status to_positive_int64(dom::element value, std::string_view field, std::int64_t& out) {
    switch (value.type()) {
        case dom::element_type::INT64: {
            std::int64_t number = 0;
            if (value.get_int64().get(number) != simdjson::SUCCESS) {
                return invalid(detail_wrong_type, field);
            }
            if (number <= 0) return invalid(detail_not_positive, field);
            out = number;
            return Status();
        }
        case dom::element_type::UINT64:
            // The DOM types only integers above INT64_MAX as unsigned.
            return invalid(detail_out_of_range, field);
        default:
            return invalid(detail_wrong_type, field);
    }
}

std::string_view trim_trailing_whitespace(std::string_view text) {
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                             text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return text;
}

// The source text of root member `key`, from the padded copy the DOM has already accepted (so
// the key is there once and its value is a number).
Status root_number_token(std::string_view key, std::string_view field, std::string_view& out) {
    Scratch& s = scratch();
    ondemand::document document;
    if (s.ondemand_parser.iterate(s.padded.get(), s.body_bytes, s.padded_capacity).get(document) !=
        simdjson::SUCCESS) {
        return invalid(detail_malformed_json, field);
    }
    ondemand::object object;
    if (document.get_object().get(object) != simdjson::SUCCESS) {
        return invalid(detail_malformed_json, field);
    }
    for (auto member_result : object) {
        ondemand::field member;
        std::string_view member_key;
        if (std::move(member_result).get(member) != simdjson::SUCCESS ||
            member.unescaped_key().get(member_key) != simdjson::SUCCESS) {
            return invalid(detail_malformed_json, field);
        }
        if (member_key != key) continue;
        out = trim_trailing_whitespace(member.value().raw_json_token());
        return Status();
    }
    return invalid(detail_missing_field, field);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

}  // namespace

Status parse_body(std::string_view body, FieldNames root_fields, dom::object& root) {
    Scratch& s = scratch();
    const std::size_t needed = body.size() + simdjson::SIMDJSON_PADDING;
    if (s.padded_capacity < needed) {
        s.padded = std::make_unique<char[]>(needed);
        s.padded_capacity = needed;
    }
    if (!body.empty()) std::memcpy(s.padded.get(), body.data(), body.size());
    // simdjson may read (never use) the padding; keep it deterministic.
    std::memset(s.padded.get() + body.size(), 0, simdjson::SIMDJSON_PADDING);
    s.body_bytes = body.size();

    dom::element document;
    const simdjson::error_code error =
            s.dom_parser.parse(s.padded.get(), body.size(), false).get(document);
    if (error == simdjson::EMPTY) return invalid(detail_empty_document);
    if (error != simdjson::SUCCESS) return invalid(detail_malformed_json);
    if (document.get_object().get(root) != simdjson::SUCCESS) {
        return invalid(detail_not_an_object);
    }
    return check_unique_keys(root, {}, root_fields);
}

bool find(dom::object object, std::string_view field, dom::element& out) {
    return object.at_key(key_of(field)).get(out) == simdjson::SUCCESS;
}

Status get_string(dom::object object, std::string_view field, std::string_view& out) {
    dom::element value;
    if (!find(object, field, value)) return invalid(detail_missing_field, field);
    if (value.get_string().get(out) != simdjson::SUCCESS) return invalid(detail_wrong_type, field);
    return Status();
}

Status get_optional_string(dom::object object, std::string_view field, std::string_view& out,
                           bool& found) {
    dom::element value;
    found = find(object, field, value);
    out = {};
    if (is_absent_or_null(found, value)) {
        found = false;
        return Status();
    }
    if (value.get_string().get(out) != simdjson::SUCCESS) return invalid(detail_wrong_type, field);
    return Status();
}

Status get_object(dom::object object, std::string_view field, FieldNames fields, dom::object& out) {
    bool found = false;
    if (Status status = get_optional_object(object, field, fields, out, found); !status.ok()) {
        return status;
    }
    if (!found) {
        dom::element value;
        return invalid(find(object, field, value) ? detail_wrong_type : detail_missing_field,
                       field);
    }
    return Status();
}

Status get_optional_object(dom::object object, std::string_view field, FieldNames fields,
                           dom::object& out, bool& found) {
    dom::element value;
    found = find(object, field, value);
    if (is_absent_or_null(found, value)) {
        found = false;
        return Status();
    }
    if (value.get_object().get(out) != simdjson::SUCCESS) return invalid(detail_wrong_type, field);
    return check_unique_keys(out, field, fields);
}

Status get_positive_int64(dom::object object, std::string_view field, std::int64_t& out) {
    dom::element value;
    if (!find(object, field, value)) return invalid(detail_missing_field, field);
    return to_positive_int64(value, field, out);
}

Status get_optional_positive_int64(dom::object object, std::string_view field, std::int64_t& out,
                                   bool& found) {
    dom::element value;
    found = find(object, field, value);
    if (is_absent_or_null(found, value)) {
        found = false;
        return Status();
    }
    return to_positive_int64(value, field, out);
}

Status get_positive_uint64(dom::object object, std::string_view field, std::uint64_t& out) {
    dom::element value;
    if (!find(object, field, value)) return invalid(detail_missing_field, field);
    switch (value.type()) {
        case dom::element_type::INT64: {
            std::int64_t number = 0;
            if (value.get_int64().get(number) != simdjson::SUCCESS) {
                return invalid(detail_wrong_type, field);
            }
            if (number <= 0) return invalid(detail_not_positive, field);
            out = static_cast<std::uint64_t>(number);
            return Status();
        }
        case dom::element_type::UINT64:
            if (value.get_uint64().get(out) != simdjson::SUCCESS) {
                return invalid(detail_wrong_type, field);
            }
            return Status();
        default:
            return invalid(detail_wrong_type, field);
    }
}

Status get_root_amount_text(dom::object root, std::string_view field, bool string_allowed,
                            std::string_view& out) {
    dom::element value;
    if (!find(root, field, value)) return invalid(detail_missing_field, field);
    switch (value.type()) {
        case dom::element_type::INT64:
        case dom::element_type::UINT64:
        case dom::element_type::DOUBLE:
            return root_number_token(key_of(field), field, out);
        case dom::element_type::STRING:
            if (!string_allowed) return invalid(detail_wrong_type, field);
            if (value.get_string().get(out) != simdjson::SUCCESS) {
                return invalid(detail_wrong_type, field);
            }
            if (!is_json_number(out)) return invalid(detail_invalid_number, field);
            return Status();
        default:
            return invalid(detail_wrong_type, field);
    }
}

bool is_json_number(std::string_view text) {
    std::size_t i = 0;
    const std::size_t n = text.size();
    if (i < n && text[i] == '-') ++i;
    if (i == n) return false;
    if (text[i] == '0') {
        ++i;
    } else if (is_digit(text[i])) {
        while (i < n && is_digit(text[i]))
            ++i;
    } else {
        return false;
    }
    if (i < n && text[i] == '.') {
        ++i;
        if (i == n || !is_digit(text[i])) return false;
        while (i < n && is_digit(text[i]))
            ++i;
    }
    if (i < n && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
        if (i == n || !is_digit(text[i])) return false;
        while (i < n && is_digit(text[i]))
            ++i;
    }
    return i == n;
}

}  // namespace cashierd::providers::webhook_json
