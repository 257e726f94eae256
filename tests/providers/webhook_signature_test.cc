// Tests of the t/v1 webhook signature scheme (providers/webhook_signature.h). The HMAC vectors
// come from python3's hmac module, run at test time, so the digests are not computed by the
// code under test.
#include "providers/webhook_signature.h"

#include <array>
#include <cstdio>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace cashierd::providers {
namespace {

constexpr std::string_view secret = "whsec_test";
constexpr std::int64_t t = 1700000000;
constexpr std::string_view body =
        R"({"id":"evt_1","transaction_id":15,"provider_payment_id":"sbx_15",)"
        R"("status":"succeeded","amount":250.0,"currency":"USD"})";

std::string hex_of(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        out.push_back(digits[byte >> 4]);
        out.push_back(digits[byte & 0xf]);
    }
    return out;
}

// hex HMAC-SHA256(key, message) from python3; key and message travel as hex arguments so no
// byte needs shell quoting.
std::string python_hmac_hex(std::string_view key, std::string_view message) {
    const std::string command =
            "python3 -c 'import hmac,hashlib,sys;print(hmac.new(bytes.fromhex(sys.argv[1]),"
            "bytes.fromhex(sys.argv[2]),hashlib.sha256).hexdigest())' '" +
            hex_of(key) + "' '" + hex_of(message) + "'";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return "popen failed";
    std::array<char, 128> buffer{};
    std::string out;
    while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
        out += buffer.data();
    }
    const int exit_status = pclose(pipe);
    if (exit_status != 0) return "python3 failed";
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
        out.pop_back();
    return out;
}

std::string v1_for(std::string_view key, std::int64_t timestamp, std::string_view message) {
    return python_hmac_hex(key, std::to_string(timestamp) + "." + std::string(message));
}

void expect_detail(const Status& status, std::string_view detail) {
    EXPECT_EQ(status.code(), StatusCode::invalid_signature) << status.name();
    EXPECT_EQ(status.detail(), detail);
    EXPECT_TRUE(status.field().empty());
}

Status verify_at(std::string_view header, std::int64_t now) {
    return verify_webhook_signature(header, secret, body, now);
}

TEST(WebhookSignatureTest, SignMatchesPythonHmacAndVerifies) {
    const std::string expected_hex = v1_for(secret, t, body);
    ASSERT_EQ(expected_hex.size(), 64u) << expected_hex;
    const std::string header = sign_webhook(secret, t, body);
    EXPECT_EQ(header, "t=1700000000,v1=" + expected_hex);
    EXPECT_TRUE(verify_at(header, t).ok());
}

TEST(WebhookSignatureTest, VectorsWithUnusualKeysAndBodies) {
    // An empty body, bytes that are not text, and a key longer than SHA-256's 64-byte block
    // (RFC 2104 hashes it first).
    const std::string long_key(100, 'k');
    const std::string binary("\x00\xff\n\r{}\"\\", 9);

    const struct {
        std::string_view key;
        std::int64_t timestamp;
        std::string_view message;
    } vectors[] = {{secret, t, ""},
                   {long_key, 0, body},
                   {"k", 9223372036854775807, binary},
                   {"\xe2\x82\xac-secret", 1, "caf\xc3\xa9"}};

    for (const auto& vector : vectors) {
        const std::string expected = v1_for(vector.key, vector.timestamp, vector.message);
        ASSERT_EQ(expected.size(), 64u) << expected;
        const std::string header = sign_webhook(vector.key, vector.timestamp, vector.message);
        EXPECT_EQ(header, "t=" + std::to_string(vector.timestamp) + ",v1=" + expected);
        EXPECT_TRUE(verify_webhook_signature(header, vector.key, vector.message, vector.timestamp)
                            .ok());
    }
}

TEST(WebhookSignatureTest, RotationAcceptsAnyMatchingV1) {
    const std::string right = v1_for(secret, t, body);
    const std::string wrong = v1_for("whsec_old", t, body);
    ASSERT_NE(right, wrong);
    const std::string prefix = "t=" + std::to_string(t);
    EXPECT_TRUE(verify_at(prefix + ",v1=" + wrong + ",v1=" + right, t).ok());
    EXPECT_TRUE(verify_at(prefix + ",v1=" + right + ",v1=" + wrong, t).ok());
    EXPECT_TRUE(verify_at("v1=" + wrong + "," + prefix + ",v1=" + right, t).ok());
    expect_detail(verify_at(prefix + ",v1=" + wrong + ",v1=" + wrong, t),
                  detail_signature_mismatch);
}

TEST(WebhookSignatureTest, OtherKeysAreIgnoredButNeverCountAsV1) {
    const std::string right = v1_for(secret, t, body);
    const std::string prefix = "t=" + std::to_string(t);
    EXPECT_TRUE(verify_at(prefix + ",v0=" + std::string(64, '0') + ",v1=" + right, t).ok());
    EXPECT_TRUE(verify_at(prefix + ",v1=" + right + ",v0=zz,x=", t).ok());
    // The right digest under another key is no signature.
    expect_detail(verify_at(prefix + ",v0=" + right, t), detail_signature_malformed);
    expect_detail(verify_at(prefix + ",V1=" + right, t), detail_signature_malformed);
    expect_detail(verify_at(prefix + ",v2=" + right, t), detail_signature_malformed);
}

TEST(WebhookSignatureTest, SpacesAroundItemsAreAllowed) {
    const std::string right = v1_for(secret, t, body);
    EXPECT_TRUE(verify_at(" t=" + std::to_string(t) + " ,  v1=" + right + "  ", t).ok());
    EXPECT_TRUE(verify_at("\tt=" + std::to_string(t) + ",\tv1=" + right + "\t", t).ok());
    // Inside an item a space is part of the key or value.
    expect_detail(verify_at("t =" + std::to_string(t) + ",v1=" + right, t),
                  detail_signature_malformed);
    expect_detail(verify_at("t= " + std::to_string(t) + ",v1=" + right, t),
                  detail_signature_malformed);
    expect_detail(verify_at("t=" + std::to_string(t) + ",v1= " + right, t),
                  detail_signature_mismatch);
}

TEST(WebhookSignatureTest, ToleranceIsThreeHundredSecondsBothWays) {
    const std::string header = sign_webhook(secret, t, body);
    EXPECT_TRUE(verify_at(header, t + 300).ok());
    EXPECT_TRUE(verify_at(header, t - 300).ok());
    expect_detail(verify_at(header, t + 301), detail_timestamp_stale);
    expect_detail(verify_at(header, t - 301), detail_timestamp_stale);
    expect_detail(verify_at(header, 0), detail_timestamp_stale);
}

TEST(WebhookSignatureTest, ToleranceHasNoOverflowAtTheEdgesOfInt64) {
    constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
    const std::string at_max = sign_webhook(secret, max, body);
    EXPECT_TRUE(verify_webhook_signature(at_max, secret, body, max).ok());
    expect_detail(verify_webhook_signature(at_max, secret, body, min), detail_timestamp_stale);
    expect_detail(verify_webhook_signature(at_max, secret, body, -1), detail_timestamp_stale);
    const std::string at_zero = sign_webhook(secret, 0, body);
    expect_detail(verify_webhook_signature(at_zero, secret, body, min), detail_timestamp_stale);
    expect_detail(verify_webhook_signature(at_zero, secret, body, max), detail_timestamp_stale);
    EXPECT_TRUE(verify_webhook_signature(at_zero, secret, body, -300).ok());
}

TEST(WebhookSignatureTest, MalformedTimestamps) {
    const std::string v1 = ",v1=" + v1_for(secret, t, body);
    expect_detail(verify_at("t=17000000ab" + v1, t), detail_signature_malformed);
    expect_detail(verify_at("t=" + std::string(20, '1') + v1, t), detail_signature_malformed);
    expect_detail(verify_at("t=9223372036854775808" + v1, t), detail_signature_malformed);
    expect_detail(verify_at("t=" + v1, t), detail_signature_malformed);
    expect_detail(verify_at("t=-1700000000" + v1, t), detail_signature_malformed);
    expect_detail(verify_at("t=+1700000000" + v1, t), detail_signature_malformed);
    expect_detail(verify_at("t=1700000000.0" + v1, t), detail_signature_malformed);
    expect_detail(verify_at(v1.substr(1), t), detail_signature_malformed);
    // Twice, even with the same value.
    expect_detail(verify_at("t=1700000000,t=1700000000" + v1, t), detail_signature_malformed);
    expect_detail(verify_at("t=1700000000" + v1 + ",t=1700000001", t), detail_signature_malformed);
}

TEST(WebhookSignatureTest, TheMacCoversTheTimestampAsWritten) {
    // 19 digits with leading zeros is a valid t; the signer MACs the text it sent.
    const std::string padded_t = "0000000001700000000";
    const std::string right = python_hmac_hex(secret, padded_t + "." + std::string(body));
    EXPECT_TRUE(verify_at("t=" + padded_t + ",v1=" + right, t).ok());
    // The digest of "1700000000." does not sign "t=0000000001700000000".
    expect_detail(verify_at("t=" + padded_t + ",v1=" + v1_for(secret, t, body), t),
                  detail_signature_mismatch);
}

TEST(WebhookSignatureTest, MissingOrBrokenItems) {
    const std::string right = v1_for(secret, t, body);
    expect_detail(verify_at("", t), detail_signature_missing);
    expect_detail(verify_at("t=1700000000", t), detail_signature_malformed);
    expect_detail(verify_at("t=1700000000,v1", t), detail_signature_malformed);
    expect_detail(verify_at("t=1700000000,v1=" + right + ",", t), detail_signature_malformed);
    expect_detail(verify_at("t=1700000000,,v1=" + right, t), detail_signature_malformed);
    expect_detail(verify_at("t=1700000000,=x,v1=" + right, t), detail_signature_malformed);
    expect_detail(verify_at("t=1700000000;v1=" + right, t), detail_signature_malformed);
    expect_detail(verify_at("   ", t), detail_signature_malformed);
    expect_detail(verify_at(",", t), detail_signature_malformed);
}

TEST(WebhookSignatureTest, OnlySixtyFourLowerCaseHexCharactersMatch) {
    const std::string right = v1_for(secret, t, body);
    const std::string prefix = "t=1700000000,v1=";
    std::string upper = right;
    for (char& c : upper) {
        if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
    }
    ASSERT_NE(upper, right) << "the digest has no letter to upper-case";
    expect_detail(verify_at(prefix + upper, t), detail_signature_mismatch);
    expect_detail(verify_at(prefix + right.substr(0, 63), t), detail_signature_mismatch);
    expect_detail(verify_at(prefix + right.substr(0, 62), t), detail_signature_mismatch);
    expect_detail(verify_at(prefix + right + "0", t), detail_signature_mismatch);
    expect_detail(verify_at(prefix + right + "00", t), detail_signature_mismatch);
    expect_detail(verify_at(prefix + "g" + right.substr(1), t), detail_signature_mismatch);
    expect_detail(verify_at(prefix, t), detail_signature_mismatch);
    // The raw 32 bytes are not the encoding either.
    expect_detail(verify_at(prefix + std::string(32, 'a'), t), detail_signature_mismatch);
}

TEST(WebhookSignatureTest, AnEmptySecretNeverMatches) {
    const std::string header = sign_webhook("", t, body);
    EXPECT_EQ(header, "t=1700000000,v1=" + v1_for("", t, body));
    expect_detail(verify_webhook_signature(header, "", body, t), detail_signature_mismatch);
    expect_detail(verify_webhook_signature(sign_webhook(secret, t, body), "", body, t),
                  detail_signature_mismatch);
}

TEST(WebhookSignatureTest, AnyFlippedByteIsAMismatch) {
    const std::string header = sign_webhook(secret, t, body);
    std::string flipped_body(body);
    flipped_body[flipped_body.find("250.0")] = '9';
    expect_detail(verify_webhook_signature(header, secret, flipped_body, t),
                  detail_signature_mismatch);
    std::string one_bit(body);
    one_bit.back() = static_cast<char>(one_bit.back() ^ 1);
    expect_detail(verify_webhook_signature(header, secret, one_bit, t), detail_signature_mismatch);
    expect_detail(verify_webhook_signature(header, secret, std::string(body) + " ", t),
                  detail_signature_mismatch);

    // Every position of the digest, each flipped to another lower-case hex digit.
    const std::size_t digest_at = header.find("v1=") + 3;
    for (std::size_t i = digest_at; i < header.size(); ++i) {
        std::string flipped = header;
        flipped[i] = flipped[i] == '0' ? '1' : '0';
        expect_detail(verify_at(flipped, t), detail_signature_mismatch);
    }
    expect_detail(verify_webhook_signature(header, "whsec_tesT", body, t),
                  detail_signature_mismatch);
}

TEST(WebhookSignatureTest, StatusesCarryNoSecretOrDigest) {
    const std::string header = sign_webhook(secret, t, body);
    const std::string digest = header.substr(header.find("v1=") + 3);
    const Status statuses[] = {verify_webhook_signature(header, secret, "x", t),
                               verify_webhook_signature(header, secret, body, t + 1000),
                               verify_webhook_signature("t=1," + header, secret, body, t)};
    for (const Status& status : statuses) {
        ASSERT_FALSE(status.ok());
        EXPECT_EQ(status.detail().find(secret), std::string_view::npos);
        EXPECT_EQ(status.detail().find(digest), std::string_view::npos);
        EXPECT_TRUE(status.field().empty());
    }
}

TEST(WebhookSignatureTest, HeaderLookupIsCaseInsensitiveAndSingle) {
    const std::string header = sign_webhook(secret, t, body);
    std::array<WebhookHeader, 3> headers = {WebhookHeader{"Content-Type", "application/json"},
                                            WebhookHeader{"x-CASHIER-signature", header},
                                            WebhookHeader{"X-Cashier-Signature-2", "t=1"}};
    std::string_view value;
    ASSERT_TRUE(find_webhook_header(headers, "X-Cashier-Signature", value).ok());
    EXPECT_EQ(value, header);

    WebhookInput input;
    input.headers = headers;
    input.body = body;
    input.secret = secret;
    input.now = t;
    EXPECT_TRUE(verify_webhook_input(input, "X-Cashier-Signature").ok());
    expect_detail(verify_webhook_input(input, "Stripe-Signature"), detail_signature_missing);

    headers[2] = WebhookHeader{"X-Cashier-Signature", header};
    expect_detail(verify_webhook_input(input, "X-Cashier-Signature"), detail_signature_malformed);

    headers[1] = WebhookHeader{"X-Cashier-Signature", ""};
    headers[2] = WebhookHeader{"Other", header};
    expect_detail(verify_webhook_input(input, "X-Cashier-Signature"), detail_signature_missing);

    input.headers = {};
    expect_detail(verify_webhook_input(input, "X-Cashier-Signature"), detail_signature_missing);
}

}  // namespace
}  // namespace cashierd::providers
