// Pins the wire names of every StatusCode, in order: clients and providers match on these
// strings, so a rename, removal or reordering must fail here (the list is append only).
// Also checks Status's accessors. Thread: test thread only.
#include "reactor/base/status.h"

#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace cashierd {
namespace {

// Written out by hand on purpose: generating it from CASHIERD_STATUS_CODES would make the
// test agree with any change. Append new codes at the end, never edit a line.
const std::vector<std::pair<StatusCode, std::string_view>> pinned = {
        {StatusCode::ok, "OK"},
        {StatusCode::invalid_data, "INVALID_DATA"},
        {StatusCode::bad_request, "BAD_REQUEST"},
        {StatusCode::unauthorized, "UNAUTHORIZED"},
        {StatusCode::permission_denied, "PERMISSION_DENIED"},
        {StatusCode::not_found, "NOT_FOUND"},
        {StatusCode::method_not_allowed, "METHOD_NOT_ALLOWED"},
        {StatusCode::request_timeout, "REQUEST_TIMEOUT"},
        {StatusCode::payload_too_large, "PAYLOAD_TOO_LARGE"},
        {StatusCode::unsupported_media_type, "UNSUPPORTED_MEDIA_TYPE"},
        {StatusCode::headers_too_large, "HEADERS_TOO_LARGE"},
        {StatusCode::too_many_requests, "TOO_MANY_REQUESTS"},
        {StatusCode::ret_err_noservice, "RET_ERR_NOSERVICE"},
        {StatusCode::ret_err_duplicate, "RET_ERR_DUPLICATE"},
        {StatusCode::account_not_available, "ACCOUNT_NOT_AVAILABLE"},
        {StatusCode::group_not_available, "GROUP_NOT_AVAILABLE"},
        {StatusCode::currency_conversion_required, "CURRENCY_CONVERSION_REQUIRED"},
        {StatusCode::payment_method_not_available, "PAYMENT_METHOD_NOT_AVAILABLE"},
        {StatusCode::customer_not_found, "CUSTOMER_NOT_FOUND"},
        {StatusCode::deposit_not_allowed, "DEPOSIT_NOT_ALLOWED"},
        {StatusCode::withdrawal_not_allowed, "WITHDRAWAL_NOT_ALLOWED"},
        {StatusCode::insufficient_funds, "INSUFFICIENT_FUNDS"},
        {StatusCode::invalid_signature, "INVALID_SIGNATURE"},
        {StatusCode::transition_not_allowed, "TRANSITION_NOT_ALLOWED"},
        {StatusCode::invalid_code, "INVALID_CODE"},
        {StatusCode::wizard_expired, "WIZARD_EXPIRED"},
        {StatusCode::internal, "INTERNAL"},
};

struct Entry {
    std::string_view enumerator;
    std::string_view wire;
};

// What the X-macro list actually holds, in its order.
const std::vector<Entry> listed = {
#define CASHIERD_X(name, text) {#name, text},
        CASHIERD_STATUS_CODES(CASHIERD_X)
#undef CASHIERD_X
};

TEST(StatusTest, WireNamesArePinnedInOrder) {
    ASSERT_EQ(listed.size(), pinned.size()) << "a code was added or removed: update `pinned`";
    for (std::size_t i = 0; i < pinned.size(); ++i) {
        // The enumerator's value is its position: nothing was inserted in the middle.
        EXPECT_EQ(static_cast<std::size_t>(pinned[i].first), i) << pinned[i].second;
        EXPECT_EQ(status_code_name(pinned[i].first), pinned[i].second);
        EXPECT_EQ(listed[i].wire, pinned[i].second) << "position " << i;
    }
}

TEST(StatusTest, EnumeratorIsTheWireNameLowerCased) {
    for (const Entry& entry : listed) {
        std::string lowered;
        for (char c : entry.wire)
            lowered.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        EXPECT_EQ(entry.enumerator, lowered);
    }
}

TEST(StatusTest, WireNamesAreUnique) {
    for (std::size_t i = 0; i < listed.size(); ++i) {
        for (std::size_t j = i + 1; j < listed.size(); ++j)
            EXPECT_NE(listed[i].wire, listed[j].wire);
    }
}

TEST(StatusTest, UnknownCodeNamesAsInternal) {
    EXPECT_EQ(status_code_name(static_cast<StatusCode>(pinned.size())), "INTERNAL");
    EXPECT_EQ(status_code_name(static_cast<StatusCode>(0xffff)), "INTERNAL");
}

TEST(StatusTest, DefaultIsOk) {
    constexpr Status status;
    static_assert(status.ok());
    EXPECT_TRUE(status.ok());
    EXPECT_EQ(status.code(), StatusCode::ok);
    EXPECT_EQ(status.name(), "OK");
    EXPECT_TRUE(status.detail().empty());
    EXPECT_TRUE(status.field().empty());
    // An explicit ok code is ok as well.
    EXPECT_TRUE(Status(StatusCode::ok).ok());
}

TEST(StatusTest, CarriesDetailAndField) {
    constexpr Status status(StatusCode::invalid_data, "too_many_decimals", "amount");
    static_assert(!status.ok());
    static_assert(status.name() == "INVALID_DATA");
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(status.code(), StatusCode::invalid_data);
    EXPECT_EQ(status.name(), "INVALID_DATA");
    EXPECT_EQ(status.detail(), "too_many_decimals");
    EXPECT_EQ(status.field(), "amount");

    Status detail_only(StatusCode::ret_err_noservice, "overloaded");
    EXPECT_EQ(detail_only.detail(), "overloaded");
    EXPECT_TRUE(detail_only.field().empty());
    EXPECT_EQ(detail_only.name(), "RET_ERR_NOSERVICE");

    // Copies carry everything (Status is passed by value through every layer).
    Status copy = status;
    EXPECT_EQ(copy.code(), StatusCode::invalid_data);
    EXPECT_EQ(copy.detail(), "too_many_decimals");
    EXPECT_EQ(copy.field(), "amount");
}

}  // namespace
}  // namespace cashierd
