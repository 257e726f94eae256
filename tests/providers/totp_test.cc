// Tests for providers/totp and crypto::hmac_sha1: published vectors (RFC 2202 HMAC-SHA1,
// RFC 4226 HOTP, RFC 6238 TOTP, RFC 4648 base32), base32 refusals, and totp_verify's window,
// replay refusal and code format. The same file runs against both crypto backends.
// Thread: single-threaded test.

#include "providers/totp.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "providers/crypto.h"

namespace cashierd::providers {
namespace {

// The RFC 4226 / RFC 6238 SHA-1 test secret.
constexpr std::string_view rfc_key = "12345678901234567890";

std::string code_text(std::string_view key, std::uint64_t step) {
    const std::array<char, totp_code_digits> code = totp_code(key, step);
    return std::string(code.data(), code.size());
}

std::uint64_t step_at(std::int64_t unix_seconds) {
    return static_cast<std::uint64_t>(unix_seconds / totp_step_seconds);
}

std::string decoded_or_marker(std::string_view text) {
    std::string out = "untouched";
    if (!base32_decode(text, out)) return "<refused, out=" + out + ">";
    return out;
}

// ---- HMAC-SHA1 -----------------------------------------------------------------------------

struct HmacSha1Vector {
    const char* name;
    std::string key;
    std::string data;
    std::string_view expected_hex;
};

// RFC 2202 section 3, test cases 1-7 (case 5 with its full, untruncated digest).
std::vector<HmacSha1Vector> rfc2202_vectors() {
    std::string case4_key;
    for (char c = 1; c <= 25; ++c)
        case4_key.push_back(c);
    return {
            {"case1", std::string(20, '\x0b'), "Hi There",
             "b617318655057264e28bc0b6fb378c8ef146be00"},
            {"case2", "Jefe", "what do ya want for nothing?",
             "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
            {"case3", std::string(20, '\xaa'), std::string(50, '\xdd'),
             "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
            {"case4", case4_key, std::string(50, '\xcd'),
             "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
            {"case5", std::string(20, '\x0c'), "Test With Truncation",
             "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"},
            {"case6", std::string(80, '\xaa'),
             "Test Using Larger Than Block-Size Key - Hash Key First",
             "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
            {"case7", std::string(80, '\xaa'),
             "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
             "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
    };
}

TEST(HmacSha1, Rfc2202Vectors) {
    for (const HmacSha1Vector& vector : rfc2202_vectors()) {
        EXPECT_EQ(crypto::to_hex(crypto::hmac_sha1(vector.key, vector.data)), vector.expected_hex)
                << vector.name;
    }
}

// The key-length boundary: a 64-byte key is used as is, a 65-byte one is hashed first. Expected
// values from Python's hmac module.
TEST(HmacSha1, KeyAtAndPastTheBlockSize) {
    EXPECT_EQ(crypto::to_hex(crypto::hmac_sha1(std::string(64, '\x5a'), "block")),
              "fca798341ede1dcd0036fe199518530c220755c3");
    EXPECT_EQ(crypto::to_hex(crypto::hmac_sha1(std::string(65, '\x5a'), "block")),
              "903afba3481174eba9d3e2bb74151c5ba764ba3a");
}

// Empty views may carry null pointers; OpenSSL reads a null key as "reuse the previous one".
TEST(HmacSha1, EmptyKeyAndData) {
    EXPECT_EQ(crypto::to_hex(crypto::hmac_sha1(std::string_view(), std::string_view())),
              "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d");
    // Same result after a call with a real key, so no state carries over between calls.
    static_cast<void>(crypto::hmac_sha1("Jefe", "x"));
    EXPECT_EQ(crypto::to_hex(crypto::hmac_sha1("", "")),
              "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d");
}

// A key with an embedded NUL must not be cut at it.
TEST(HmacSha1, KeyWithNulIsNotTruncated) {
    const std::string key("ab\0cd", 5);
    EXPECT_NE(crypto::hmac_sha1(key, "data"), crypto::hmac_sha1("ab", "data"));
}

// ---- base32 -------------------------------------------------------------------------------

// RFC 4648 section 10, padded as published and unpadded as authenticator apps show secrets.
TEST(Base32, Rfc4648Vectors) {
    const std::vector<std::pair<std::string_view, std::string_view>> vectors = {
            {"", ""},
            {"MY======", "f"},
            {"MZXQ====", "fo"},
            {"MZXW6===", "foo"},
            {"MZXW6YQ=", "foob"},
            {"MZXW6YTB", "fooba"},
            {"MZXW6YTBOI======", "foobar"},
    };
    for (const auto& [encoded, plain] : vectors) {
        EXPECT_EQ(decoded_or_marker(encoded), plain) << encoded;
        const std::string_view unpadded = encoded.substr(0, encoded.find('='));
        EXPECT_EQ(decoded_or_marker(unpadded), plain) << unpadded;
    }
}

TEST(Base32, LowercaseAndSpacesAccepted) {
    EXPECT_EQ(decoded_or_marker("mzxw6ytboi"), "foobar");
    EXPECT_EQ(decoded_or_marker("MzXw6YtBoI"), "foobar");
    // Groups of 4 as authenticator apps display secrets.
    EXPECT_EQ(decoded_or_marker("mzxw 6ytb oi"), "foobar");
    EXPECT_EQ(decoded_or_marker(" MZXW6YTBOI====== "), "foobar");
    EXPECT_EQ(decoded_or_marker("MZXW6YTBOI== ===="), "foobar");
    EXPECT_EQ(decoded_or_marker("   "), "");
}

TEST(Base32, TypicalAuthenticatorSecret) {
    EXPECT_EQ(decoded_or_marker("JBSWY3DPEHPK3PXP"), std::string("Hello!\xde\xad\xbe\xef"));
    EXPECT_EQ(decoded_or_marker("jbsw y3dp ehpk 3pxp"), std::string("Hello!\xde\xad\xbe\xef"));
}

// The last character's unused low bits are ignored, as authenticator apps ignore them: "MY"
// ('Y' = 11000) and "MZ" ('Z' = 11001) both decode to "f".
TEST(Base32, UnusedTrailingBitsIgnored) {
    EXPECT_EQ(decoded_or_marker("MY"), "f");
    EXPECT_EQ(decoded_or_marker("MZ"), "f");
    EXPECT_EQ(decoded_or_marker("MZ======"), "f");
}

TEST(Base32, InvalidCharactersRefused) {
    // '0', '1', '8', '9' are left out of the alphabet because they read like O, I, B, g.
    for (const std::string_view text :
         {"MZXW6YT0", "MZXW6YT1", "MZXW6YT8", "MZXW6YT9", "1ZXW6YTB", "MZXW-6YTB", "MZXW\t6YTB",
          "MZXW\n6YTB", "MZXW6YTB+", "MZXW6YT/", "M@XW6YTB", "MZXW6YT\xc3\x89",
          // The neighbours of each alphabet range.
          "MZXW6YT@", "MZXW6YT[", "MZXW6YT`", "MZXW6YT{", "MZXW6YT:", "MZXW6YT~"}) {
        EXPECT_EQ(decoded_or_marker(text), "<refused, out=untouched>") << text;
    }
    EXPECT_EQ(decoded_or_marker(std::string_view("MZXW\0YTB", 8)), "<refused, out=untouched>");
}

TEST(Base32, BadLengthsRefused) {
    // 1, 3 and 6 characters past a group of 8 cannot come from any byte count.
    for (const std::string_view text : {"M", "MZX", "MZXW6Y", "MZXW6YTBO", "MZXW6YTBOIA",
                                        "MZXW6YTBOIAAAA", "M=======", "MZX=====", "MZXW6Y=="}) {
        EXPECT_EQ(decoded_or_marker(text), "<refused, out=untouched>") << text;
    }
}

TEST(Base32, BadPaddingRefused) {
    for (const std::string_view text :
         {"MY=", "MY=====", "MY=======", "MZXQ===", "MZXQ=====", "MZXW6YQ==", "MZXW6YTB=",
          "MZXW6YTB========", "=", "========", "MY======MY", "MY==MY==", "=MZXW6YTB"}) {
        EXPECT_EQ(decoded_or_marker(text), "<refused, out=untouched>") << text;
    }
}

TEST(Base32, OutputReplacedNotAppended) {
    std::string out = "previous";
    ASSERT_TRUE(base32_decode("MZXW6", out));
    EXPECT_EQ(out, "foo");
    ASSERT_TRUE(base32_decode("", out));
    EXPECT_EQ(out, "");
}

// ---- totp_code ----------------------------------------------------------------------------

// RFC 6238 Appendix B, SHA-1 rows: the last 6 of the published 8 digits.
TEST(TotpCode, Rfc6238Vectors) {
    const std::vector<std::pair<std::int64_t, std::string_view>> vectors = {
            {59, "287082"},         {1111111109, "081804"}, {1111111111, "050471"},
            {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
    };
    for (const auto& [unix_seconds, expected] : vectors) {
        EXPECT_EQ(code_text(rfc_key, step_at(unix_seconds)), expected) << unix_seconds;
    }
}

// RFC 4226 Appendix D: HOTP for counters 0..9 is TOTP with the step as the counter.
TEST(TotpCode, Rfc4226HotpVectors) {
    const std::array<std::string_view, 10> expected = {"755224", "287082", "359152", "969429",
                                                       "338314", "254676", "287922", "162583",
                                                       "399871", "520489"};
    for (std::uint64_t counter = 0; counter < expected.size(); ++counter) {
        EXPECT_EQ(code_text(rfc_key, counter), expected[counter]) << counter;
    }
}

// No published vector has a step above 2^32; these pin all 8 counter bytes as big-endian.
// Expected values from Python's hmac module.
TEST(TotpCode, StepsBeyond32Bits) {
    EXPECT_EQ(code_text(rfc_key, (std::uint64_t{1} << 32) + 5), "250721");
    EXPECT_EQ(code_text(rfc_key, 0x0123456789abcdefULL), "828476");
    EXPECT_EQ(code_text(rfc_key, ~std::uint64_t{0}), "094451");
}

TEST(TotpCode, Base32SecretEndToEnd) {
    // "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" is the RFC key as an authenticator app would show it.
    std::string key;
    ASSERT_TRUE(base32_decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", key));
    EXPECT_EQ(key, rfc_key);
    EXPECT_EQ(code_text(key, step_at(1111111109)), "081804");
}

// ---- totp_verify --------------------------------------------------------------------------

constexpr std::int64_t now = 1111111111;  // Step 37037037, 1 s into it.
constexpr std::uint64_t none_used = 0;

std::optional<std::uint64_t> verify_code_from(std::int64_t code_time, std::int64_t verify_time,
                                              std::uint64_t last_used_step = none_used) {
    return totp_verify(rfc_key, code_text(rfc_key, step_at(code_time)), verify_time,
                       last_used_step);
}

TEST(TotpVerify, AcceptsOneStepEitherSide) {
    EXPECT_EQ(verify_code_from(now, now), step_at(now));
    EXPECT_EQ(verify_code_from(now - 30, now), step_at(now) - 1);
    EXPECT_EQ(verify_code_from(now + 30, now), step_at(now) + 1);
}

TEST(TotpVerify, RefusesTwoStepsAway) {
    EXPECT_EQ(verify_code_from(now - 60, now), std::nullopt);
    EXPECT_EQ(verify_code_from(now + 60, now), std::nullopt);
    EXPECT_EQ(verify_code_from(now - 3600, now), std::nullopt);
}

// The window follows step boundaries, not "now plus or minus 30 s".
TEST(TotpVerify, WindowIsInSteps) {
    const std::int64_t step_start = static_cast<std::int64_t>(step_at(now)) * totp_step_seconds;
    const std::int64_t step_end = step_start + totp_step_seconds - 1;
    // From the last second of the step, a code from 59 s earlier is still one step back...
    EXPECT_EQ(verify_code_from(step_start - 30, step_end), step_at(now) - 1);
    // ...but from the first second, a code 31 s earlier is two steps back.
    EXPECT_EQ(verify_code_from(step_start - 31, step_start), std::nullopt);
    EXPECT_EQ(verify_code_from(step_end + 30, step_start), step_at(now) + 1);
    EXPECT_EQ(verify_code_from(step_end + 31, step_end), std::nullopt);
}

TEST(TotpVerify, Rfc6238VectorsVerify) {
    EXPECT_EQ(totp_verify(rfc_key, "081804", 1111111109, none_used), step_at(1111111109));
    EXPECT_EQ(totp_verify(rfc_key, "005924", 1234567890, none_used), step_at(1234567890));
    EXPECT_EQ(totp_verify(rfc_key, "353130", 20000000000, none_used), step_at(20000000000));
    // The right code for another time is wrong now.
    EXPECT_EQ(totp_verify(rfc_key, "005924", 1111111109, none_used), std::nullopt);
}

TEST(TotpVerify, WrongCodeRefused) {
    const std::string right = code_text(rfc_key, step_at(now));
    std::string wrong = right;
    wrong[5] = wrong[5] == '9' ? '0' : static_cast<char>(wrong[5] + 1);
    EXPECT_EQ(totp_verify(rfc_key, wrong, now, none_used), std::nullopt);
    EXPECT_EQ(totp_verify("another secret", right, now, none_used), std::nullopt);
}

TEST(TotpVerify, EachCodeAcceptedOnce) {
    const std::optional<std::uint64_t> first = verify_code_from(now, now);
    ASSERT_EQ(first, step_at(now));
    // The same code again, with the step the caller stored.
    EXPECT_EQ(verify_code_from(now, now, *first), std::nullopt);
    EXPECT_EQ(verify_code_from(now, now + 20, *first), std::nullopt);
    // An older code still inside the window is refused too: it is not newer than the last used.
    EXPECT_EQ(verify_code_from(now - 30, now, *first), std::nullopt);
    // The next step's code is new.
    EXPECT_EQ(verify_code_from(now + 30, now, *first), step_at(now) + 1);
    // A code whose step is ahead of the stored one is accepted.
    EXPECT_EQ(verify_code_from(now, now, step_at(now) - 1), step_at(now));
}

TEST(TotpVerify, LastUsedAheadOfClockRefusesWholeWindow) {
    // After a code from the step ahead was used, the current and previous steps are spent.
    const std::uint64_t ahead = step_at(now) + 1;
    EXPECT_EQ(verify_code_from(now - 30, now, ahead), std::nullopt);
    EXPECT_EQ(verify_code_from(now, now, ahead), std::nullopt);
    EXPECT_EQ(verify_code_from(now + 30, now, ahead), std::nullopt);
}

TEST(TotpVerify, MalformedCodesRefused) {
    const std::string right = code_text(rfc_key, step_at(now));
    ASSERT_EQ(totp_verify(rfc_key, right, now, none_used), step_at(now));
    for (const std::string& code :
         {std::string("12345"), std::string("1234567"), std::string("12a456"),
          std::string(" 123456"), std::string(""), right.substr(0, 5), right + "0", " " + right,
          right + " ", right + '\0', "+" + right.substr(1), "-" + right.substr(1),
          right.substr(0, 3) + " " + right.substr(4), std::string(6, '\0'),
          right.substr(0, 5) + "\xd9"}) {
        EXPECT_EQ(totp_verify(rfc_key, code, now, none_used), std::nullopt) << "[" << code << "]";
    }
}

TEST(TotpVerify, EmptyKeyRefusesEvenTheMatchingCode) {
    const std::string code = code_text("", step_at(now));
    EXPECT_EQ(totp_verify("", code, now, none_used), std::nullopt);
}

TEST(TotpVerify, ClockEdges) {
    EXPECT_EQ(totp_verify(rfc_key, "287082", -1, none_used), std::nullopt);
    // In the first step there is no previous one; step 0 itself equals "none used" and is
    // refused, step 1 is accepted.
    EXPECT_EQ(totp_verify(rfc_key, "755224", 0, none_used), std::nullopt);
    EXPECT_EQ(totp_verify(rfc_key, "287082", 0, none_used), std::uint64_t{1});
    EXPECT_EQ(totp_verify(rfc_key, "287082", 29, none_used), std::uint64_t{1});
    EXPECT_EQ(totp_verify(rfc_key, "359152", 29, none_used), std::nullopt);
    // The last representable time still has a next step.
    const std::int64_t latest = INT64_MAX;
    EXPECT_EQ(verify_code_from(latest, latest), step_at(latest));
    EXPECT_EQ(totp_verify(rfc_key, code_text(rfc_key, step_at(latest) + 1), latest, none_used),
              step_at(latest) + 1);
}

// For the RFC key, steps 37079356 and 37079357 both give 186519 (found by search with Python's
// hmac module). The earlier usable step is returned; once it is used, the coincidence lets the
// later step through once more, which the one-in-a-million odds make acceptable.
TEST(TotpVerify, CodeMatchingTwoStepsReturnsTheEarlierUsable) {
    constexpr std::uint64_t first = 37079356;
    ASSERT_EQ(code_text(rfc_key, first), "186519");
    ASSERT_EQ(code_text(rfc_key, first + 1), "186519");
    ASSERT_NE(code_text(rfc_key, first - 1), "186519");
    ASSERT_NE(code_text(rfc_key, first + 2), "186519");
    const auto inside = [](std::uint64_t step) {
        return static_cast<std::int64_t>(step) * totp_step_seconds + 7;
    };
    EXPECT_EQ(totp_verify(rfc_key, "186519", inside(first + 1), none_used), first);
    EXPECT_EQ(totp_verify(rfc_key, "186519", inside(first), none_used), first);
    EXPECT_EQ(totp_verify(rfc_key, "186519", inside(first + 1), first), first + 1);
    EXPECT_EQ(totp_verify(rfc_key, "186519", inside(first + 1), first + 1), std::nullopt);
    EXPECT_EQ(totp_verify(rfc_key, "186519", inside(first + 2), none_used), first + 1);
    EXPECT_EQ(totp_verify(rfc_key, "186519", inside(first + 3), none_used), std::nullopt);
}

// Round trip over many steps and a few key lengths: every code verifies at its own time and
// returns its own step.
TEST(TotpVerify, RoundTripAcrossSteps) {
    for (const std::string& key : {std::string(rfc_key), std::string(10, '\x42'),
                                   std::string(64, '\x01'), std::string(100, '\xfe')}) {
        for (std::uint64_t step = 1; step < 2000; step += 7) {
            const std::int64_t time = static_cast<std::int64_t>(step) * totp_step_seconds + 15;
            EXPECT_EQ(totp_verify(key, code_text(key, step), time, none_used), step)
                    << key.size() << " " << step;
        }
    }
}

}  // namespace
}  // namespace cashierd::providers
