// Tests for http/error_mapping: every StatusCode's HTTP status against SPEC §4 and seed 002's
// error table, and the error JSON ({"error","message","field"}) parsed back with simdjson.
// Thread: test thread only.
#include "http/error_mapping.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

namespace cashierd::http {
namespace {

// From SPEC §4 and seed 002's error table ("5xx RET_ERR_NOSERVICE" is 503 per SPEC §4).
// BAD_REQUEST (malformed HTTP, SPEC §5: "400, connection closed") and OK are not error codes
// of the seeds; they are pinned too so that no code is left unchecked.
const std::vector<std::pair<StatusCode, std::uint16_t>> expected_statuses = {
        {StatusCode::invalid_data, 400},
        {StatusCode::account_not_available, 400},
        {StatusCode::group_not_available, 400},
        {StatusCode::currency_conversion_required, 400},
        {StatusCode::payment_method_not_available, 403},
        {StatusCode::permission_denied, 403},
        {StatusCode::customer_not_found, 404},
        {StatusCode::ret_err_duplicate, 409},
        {StatusCode::ret_err_noservice, 503},
        {StatusCode::unauthorized, 401},
        {StatusCode::deposit_not_allowed, 403},
        {StatusCode::withdrawal_not_allowed, 403},
        {StatusCode::insufficient_funds, 400},
        {StatusCode::not_found, 404},
        {StatusCode::method_not_allowed, 405},
        {StatusCode::request_timeout, 408},
        {StatusCode::payload_too_large, 413},
        {StatusCode::unsupported_media_type, 415},
        {StatusCode::headers_too_large, 431},
        {StatusCode::too_many_requests, 429},
        {StatusCode::invalid_signature, 401},
        {StatusCode::transition_not_allowed, 409},
        {StatusCode::invalid_code, 400},
        {StatusCode::wizard_expired, 400},
        {StatusCode::internal, 500},
        {StatusCode::bad_request, 400},
        {StatusCode::ok, 200},
};

const std::vector<StatusCode> all_codes = {
#define CASHIERD_X(name, text) StatusCode::name,
        CASHIERD_STATUS_CODES(CASHIERD_X)
#undef CASHIERD_X
};

TEST(ErrorMappingTest, EveryCodeHasTheSpecifiedHttpStatus) {
    for (const auto& [code, status] : expected_statuses)
        EXPECT_EQ(http_status(code), status) << status_code_name(code);
}

TEST(ErrorMappingTest, TheTableAboveCoversEveryCode) {
    // A code added to the list must get an explicit expectation here.
    EXPECT_EQ(expected_statuses.size(), all_codes.size());
    for (StatusCode code : all_codes) {
        bool listed = false;
        for (const auto& entry : expected_statuses)
            listed = listed || entry.first == code;
        EXPECT_TRUE(listed) << status_code_name(code);
    }
}

TEST(ErrorMappingTest, EveryErrorCodeIsAnErrorStatus) {
    for (StatusCode code : all_codes) {
        if (code == StatusCode::ok) continue;
        EXPECT_GE(http_status(code), 400) << status_code_name(code);
        EXPECT_LE(http_status(code), 599) << status_code_name(code);
    }
}

TEST(ErrorMappingTest, DefaultMessagesFollowTheSeedDescriptions) {
    EXPECT_EQ(default_message(StatusCode::invalid_data), "Request validation failed");
    EXPECT_EQ(default_message(StatusCode::account_not_available),
              "Account does not exist or is disabled");
    EXPECT_EQ(default_message(StatusCode::group_not_available),
              "Account group does not exist or is disabled");
    EXPECT_EQ(default_message(StatusCode::permission_denied),
              "Account does not belong to the customer");
    EXPECT_EQ(default_message(StatusCode::customer_not_found), "Customer record was not found");
    for (StatusCode code : all_codes)
        EXPECT_FALSE(default_message(code).empty()) << status_code_name(code);
}

struct ErrorBody {
    std::string error;
    std::string message;
    std::string field;
    bool has_field = false;
    std::size_t keys = 0;
};

// Parses `json` strictly; fails the test when it is not one object of string fields.
ErrorBody parse(const std::string& json) {
    ErrorBody body;
    simdjson::dom::parser parser;
    simdjson::dom::element document;
    auto error = parser.parse(json).get(document);
    EXPECT_EQ(error, simdjson::SUCCESS) << json;
    if (error) return body;
    simdjson::dom::object object;
    EXPECT_EQ(document.get(object), simdjson::SUCCESS) << json;
    for (auto [key, value] : object) {
        ++body.keys;
        std::string_view text;
        EXPECT_EQ(value.get(text), simdjson::SUCCESS) << key;
        if (key == "error") body.error = text;
        if (key == "message") body.message = text;
        if (key == "field") {
            body.field = text;
            body.has_field = true;
        }
    }
    return body;
}

TEST(ErrorMappingTest, BodyWithDetailAndField) {
    std::string out;
    append_error_body(out, Status(StatusCode::invalid_data, "amount_too_many_decimals", "amount"));
    EXPECT_EQ(out, R"({"error":"INVALID_DATA","message":"Request validation failed: amount too )"
                   R"(many decimals","field":"amount"})");
    ErrorBody body = parse(out);
    EXPECT_EQ(body.keys, 3u);
    EXPECT_EQ(body.error, "INVALID_DATA");
    EXPECT_EQ(body.message, "Request validation failed: amount too many decimals");
    EXPECT_TRUE(body.has_field);
    EXPECT_EQ(body.field, "amount");
}

TEST(ErrorMappingTest, FieldIsOmittedWhenEmpty) {
    std::string out;
    append_error_body(out, Status(StatusCode::ret_err_noservice, "overloaded"));
    ErrorBody body = parse(out);
    EXPECT_EQ(body.keys, 2u);
    EXPECT_FALSE(body.has_field);
    EXPECT_EQ(body.error, "RET_ERR_NOSERVICE");
    EXPECT_EQ(body.message, "Service unavailable, retry later: overloaded");
    EXPECT_EQ(out.find("field"), std::string::npos);
}

TEST(ErrorMappingTest, NoDetailMeansTheDefaultMessageAlone) {
    std::string out;
    append_error_body(out, Status(StatusCode::not_found));
    EXPECT_EQ(out, R"({"error":"NOT_FOUND","message":"Not found"})");

    // A field without a detail still names the field.
    out.clear();
    append_error_body(out, Status(StatusCode::invalid_data, {}, "currency"));
    ErrorBody body = parse(out);
    EXPECT_EQ(body.message, "Request validation failed");
    EXPECT_EQ(body.field, "currency");
}

TEST(ErrorMappingTest, EveryCodeProducesAParsableBodyNamingIt) {
    for (StatusCode code : all_codes) {
        std::string out;
        append_error_body(out, Status(code, "some_detail", "f"));
        ErrorBody body = parse(out);
        EXPECT_EQ(body.error, status_code_name(code));
        EXPECT_EQ(body.message, std::string(default_message(code)) + ": some detail");
        EXPECT_EQ(body.field, "f");
    }
}

TEST(ErrorMappingTest, AppendsWithoutDisturbingExistingOutput) {
    std::string out = "prefix|";
    append_error_body(out, Status(StatusCode::internal));
    EXPECT_EQ(out, R"(prefix|{"error":"INTERNAL","message":"Internal error"})");
}

TEST(ErrorMappingTest, HostileDetailAndFieldStayValidJson) {
    // A field name can echo client input (an unknown key, say): it must be escaped.
    std::string out;
    append_error_body(out,
                      Status(StatusCode::invalid_data, "bad\"quote\\back_slash\n", "a\"b\\c\x01"));
    ErrorBody body = parse(out);
    EXPECT_EQ(body.message, "Request validation failed: bad\"quote\\back slash\n");
    EXPECT_EQ(body.field, "a\"b\\c\x01");
}

TEST(ErrorMappingTest, LongDetailIsCutButTheBodyStaysValid) {
    std::string detail(1000, 'd');
    std::string out;
    append_error_body(out, Status(StatusCode::invalid_data, detail, "amount"));
    ErrorBody body = parse(out);
    EXPECT_EQ(body.error, "INVALID_DATA");
    EXPECT_EQ(body.field, "amount");
    EXPECT_EQ(body.message.rfind("Request validation failed: ddd", 0), 0u);
    EXPECT_LT(body.message.size(), detail.size());
}

}  // namespace
}  // namespace cashierd::http
