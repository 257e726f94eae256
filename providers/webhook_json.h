// Strict JSON reading for signed webhook bodies, on simdjson's DOM parser: the whole document is
// validated (grammar, UTF-8, numbers, no trailing bytes) before a field is read, and every object
// read through these helpers is refused if it repeats a key. Field names are dotted paths
// ("data.object.amount"); errors are StatusCode::invalid_data naming that path.
// Thread: any. The parsers and the padded copy of the body are thread_local: a parsed document
// (and every object, element and string_view from it) lives until the thread's next parse_body.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include <simdjson.h>

#include "reactor/base/status.h"

namespace cashierd::providers::webhook_json {

inline constexpr std::string_view detail_empty_document = "empty_document";
inline constexpr std::string_view detail_malformed_json = "malformed_json";
inline constexpr std::string_view detail_not_an_object = "not_an_object";
inline constexpr std::string_view detail_duplicate_key = "duplicate_key";
inline constexpr std::string_view detail_missing_field = "missing_field";
inline constexpr std::string_view detail_wrong_type = "wrong_type";
inline constexpr std::string_view detail_not_positive = "not_positive";
inline constexpr std::string_view detail_out_of_range = "out_of_range";
inline constexpr std::string_view detail_invalid_number = "invalid_number";

/// The names the caller reads from one object, as dotted paths below it. A duplicated key is
/// reported under its path when it is one of these, else under the object's own path (empty
/// for the root): Status fields must be static text, and an unknown key is not.
using FieldNames = std::span<const std::string_view>;

/// Parses `body` as one strict JSON document whose root is an object with unique keys.
/// Errors: empty_document, malformed_json (anything simdjson's DOM refuses, trailing bytes
/// included), not_an_object, duplicate_key.
Status parse_body(std::string_view body, FieldNames root_fields, simdjson::dom::object& root);

/// The member `field` names (its last dotted component) of an object from these helpers; false
/// when absent.
bool find(simdjson::dom::object object, std::string_view field, simdjson::dom::element& out);

/// A required string: missing_field, wrong_type.
Status get_string(simdjson::dom::object object, std::string_view field, std::string_view& out);

/// An optional string: absent or null leaves `out` empty and `found` false; any other non-string
/// is wrong_type.
Status get_optional_string(simdjson::dom::object object, std::string_view field,
                           std::string_view& out, bool& found);

/// A required object with unique keys (`fields` as for parse_body): missing_field, wrong_type,
/// duplicate_key.
Status get_object(simdjson::dom::object object, std::string_view field, FieldNames fields,
                  simdjson::dom::object& out);

/// An optional object: absent or null sets `found` false; otherwise as get_object.
Status get_optional_object(simdjson::dom::object object, std::string_view field, FieldNames fields,
                           simdjson::dom::object& out, bool& found);

/// A required JSON integer (no fraction, no exponent) in 1..INT64_MAX: missing_field,
/// wrong_type, not_positive, out_of_range.
Status get_positive_int64(simdjson::dom::object object, std::string_view field, std::int64_t& out);

/// As get_positive_int64 for an optional member (absent or null: `found` false).
Status get_optional_positive_int64(simdjson::dom::object object, std::string_view field,
                                   std::int64_t& out, bool& found);

/// A required JSON integer in 1..UINT64_MAX: missing_field, wrong_type, not_positive.
Status get_positive_uint64(simdjson::dom::object object, std::string_view field,
                           std::uint64_t& out);

/// The exact source text of the member `field` of `root`, the root object of this thread's last
/// parse_body, when it is a JSON number ("250.10" stays "250.10", "1e2" stays "1e2"; never read
/// through a double): missing_field, wrong_type. With `string_allowed`, a string whose content
/// is a JSON number is taken too ("250.00"); other strings are invalid_number.
Status get_root_amount_text(simdjson::dom::object root, std::string_view field, bool string_allowed,
                            std::string_view& out);

/// The number grammar of RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view text);

}  // namespace cashierd::providers::webhook_json
