// Tests for providers/crypto: published vectors (RFC 4231 HMAC-SHA256, FIPS 180-2 SHA-256),
// context reuse, constant-time comparison, the RNG and hex coding. The same file runs against
// both backends; backend_name() is checked against the libcrypto actually loaded.
// Thread: single-threaded test.

#include "providers/crypto.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <link.h>

namespace cashierd::crypto {
namespace {

std::string hex_of(const Sha256Digest& digest) {
    return to_hex(digest);
}

std::string decoded(std::string_view hex) {
    std::string out;
    EXPECT_TRUE(from_hex(hex, out)) << hex;
    return out;
}

std::string repeated(char c, std::size_t count) {
    return std::string(count, c);
}

struct HmacVector {
    const char* name;
    std::string key;
    std::string data;
    std::string_view expected_hex;  // Case 5 is published truncated to 128 bits.
};

// RFC 4231 section 4, test cases 1-7.
std::vector<HmacVector> rfc4231_vectors() {
    return {
            {"case1", repeated('\x0b', 20), "Hi There",
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
            {"case2", "Jefe", "what do ya want for nothing?",
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
            {"case3", repeated('\xaa', 20), repeated('\xdd', 50),
             "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
            {"case4", decoded("0102030405060708090a0b0c0d0e0f10111213141516171819"),
             repeated('\xcd', 50),
             "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
            {"case5", repeated('\x0c', 20), "Test With Truncation",
             "a3b6167473100ee06e0c796c2955552b"},
            {"case6", repeated('\xaa', 131),
             "Test Using Larger Than Block-Size Key - Hash Key First",
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
            {"case7", repeated('\xaa', 131),
             "This is a test using a larger than block-size key and a larger than block-size "
             "data. The key needs to be hashed before being used by the HMAC algorithm.",
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
}

// The published prefix of the MAC (all of it except for case 5).
std::string published_part(const Sha256Digest& mac, const HmacVector& vector) {
    return hex_of(mac).substr(0, vector.expected_hex.size());
}

TEST(CryptoHmacTest, Rfc4231OneShot) {
    for (const HmacVector& vector : rfc4231_vectors()) {
        EXPECT_EQ(published_part(hmac_sha256(vector.key, vector.data), vector), vector.expected_hex)
                << vector.name;
    }
}

TEST(CryptoHmacTest, Rfc4231KeyedContext) {
    for (const HmacVector& vector : rfc4231_vectors()) {
        HmacSha256 hmac(vector.key);
        hmac.update(vector.data);
        EXPECT_EQ(published_part(hmac.finish(), vector), vector.expected_hex) << vector.name;
    }
}

TEST(CryptoHmacTest, Rfc4231Case5FullOutputMatchesItsPublishedPrefix) {
    // Guards the truncated comparison above: the full MAC is 32 bytes and starts with the prefix.
    const Sha256Digest mac = hmac_sha256(repeated('\x0c', 20), "Test With Truncation");
    EXPECT_EQ(hex_of(mac), "a3b6167473100ee06e0c796c2955552bfa6f7c0a6a8aef8b93f860aab0cd20c5");
}

// Keys of exactly one block are used as is, one byte more are hashed first: the boundary where
// an off-by-one in the key handling would change the MAC (vectors from Python's hmac module).
TEST(CryptoHmacTest, KeyAtAndJustAboveBlockSize) {
    std::string key_64;
    for (int i = 0; i < 64; ++i)
        key_64.push_back(static_cast<char>(i));
    const std::string key_65 = key_64 + '\x40';
    EXPECT_EQ(hex_of(hmac_sha256(key_64, "block-size key")),
              "1dad230598e011a4e4eabc6c8da8f55ef9a66a8881d1e16e23ea116ae28231ec");
    EXPECT_EQ(hex_of(hmac_sha256(key_65, "block-size key")),
              "d0b754c1861695b26bca3bd3a8581ef73f46ba28ada969cf73dbdb39d991eb2d");
}

TEST(CryptoHmacTest, EmptyKeyAndEmptyData) {
    // A default-constructed view has a null data pointer; OpenSSL reads a null key as "keep the
    // old key", so this must still be keyed with the empty key.
    constexpr std::string_view expected =
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad";
    EXPECT_EQ(hex_of(hmac_sha256(std::string_view{}, std::string_view{})), expected);
    EXPECT_EQ(hex_of(hmac_sha256("", "")), expected);
    HmacSha256 hmac{std::string_view{}};
    hmac.update(std::string_view{});
    EXPECT_EQ(hex_of(hmac.finish()), expected);
}

TEST(CryptoHmacTest, KeyWithEmbeddedNulIsNotTruncated) {
    const std::string_view key("ab\0cd", 5);
    EXPECT_NE(hmac_sha256(key, "x"), hmac_sha256("ab", "x"));
}

TEST(CryptoHmacTest, ReusedContextWithResetMatchesOneShot) {
    const std::vector<HmacVector> vectors = rfc4231_vectors();
    for (const HmacVector& vector : vectors) {
        HmacSha256 hmac(vector.key);
        // Several messages through one context, in both orders of length, and repeats.
        const std::vector<std::string> messages = {vector.data, "", "short", repeated('m', 1000),
                                                   vector.data};
        for (std::size_t round = 0; round < 3; ++round) {
            for (const std::string& message : messages) {
                hmac.reset();
                hmac.update(message);
                EXPECT_EQ(hmac.finish(), hmac_sha256(vector.key, message))
                        << vector.name << " message bytes " << message.size();
            }
        }
    }
}

TEST(CryptoHmacTest, FirstMessageNeedsNoReset) {
    HmacSha256 hmac("Jefe");
    hmac.update("what do ya want for nothing?");
    EXPECT_EQ(hex_of(hmac.finish()),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoHmacTest, ResetDiscardsAPartialMessage) {
    HmacSha256 hmac("Jefe");
    hmac.update("this must not end up in the MAC");
    hmac.reset();
    hmac.update("what do ya want for nothing?");
    EXPECT_EQ(hex_of(hmac.finish()),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoHmacTest, ResetTwiceIsHarmless) {
    HmacSha256 hmac("Jefe");
    hmac.reset();
    hmac.reset();
    hmac.update("what do ya want for nothing?");
    EXPECT_EQ(hex_of(hmac.finish()),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoHmacTest, SplitUpdatesEqualOneUpdate) {
    for (const HmacVector& vector : rfc4231_vectors()) {
        const Sha256Digest whole = hmac_sha256(vector.key, vector.data);
        HmacSha256 hmac(vector.key);
        for (std::size_t split = 0; split <= vector.data.size(); ++split) {
            hmac.reset();
            const std::string_view data = vector.data;
            hmac.update(data.substr(0, split));
            hmac.update(data.substr(split));
            EXPECT_EQ(hmac.finish(), whole) << vector.name << " split at " << split;
        }
        hmac.reset();
        for (const char c : vector.data)
            hmac.update(std::string_view(&c, 1));
        EXPECT_EQ(hmac.finish(), whole) << vector.name << " one byte at a time";
    }
}

TEST(CryptoHmacTest, DifferentKeysAndMessagesGiveDifferentMacs) {
    EXPECT_NE(hmac_sha256("key-a", "message"), hmac_sha256("key-b", "message"));
    EXPECT_NE(hmac_sha256("key-a", "message"), hmac_sha256("key-a", "messagf"));
}

TEST(CryptoHmacDeathTest, UpdateAfterFinishWithoutResetAborts) {
    EXPECT_DEATH(
            {
                HmacSha256 hmac("key");
                hmac.update("a");
                (void)hmac.finish();
                hmac.update("b");
            },
            "assertion failed: !finished_");
}

TEST(CryptoHmacDeathTest, FinishTwiceWithoutResetAborts) {
    EXPECT_DEATH(
            {
                HmacSha256 hmac("key");
                (void)hmac.finish();
                (void)hmac.finish();
            },
            "assertion failed: !finished_");
}

// FIPS 180-2 appendix B.
TEST(CryptoSha256Test, Fips180Vectors) {
    EXPECT_EQ(hex_of(sha256("abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hex_of(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(hex_of(sha256(repeated('a', 1'000'000))),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(CryptoSha256Test, EmptyInput) {
    constexpr std::string_view expected =
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    EXPECT_EQ(hex_of(sha256(std::string_view{})), expected);
    EXPECT_EQ(hex_of(sha256("")), expected);
}

TEST(CryptoSha256Test, HashesTheWholeViewIncludingNul) {
    EXPECT_NE(sha256(std::string_view("abc\0", 4)), sha256("abc"));
}

TEST(CryptoConstantTimeEqualTest, Equal) {
    EXPECT_TRUE(constant_time_equal("v1=deadbeef", "v1=deadbeef"));
    const std::string long_a = repeated('z', 4096);
    EXPECT_TRUE(constant_time_equal(long_a, std::string(long_a)));
}

TEST(CryptoConstantTimeEqualTest, DifferentContent) {
    EXPECT_FALSE(constant_time_equal("abcdef", "xbcdef"));  // first byte
    EXPECT_FALSE(constant_time_equal("abcdef", "abcdex"));  // last byte
    EXPECT_FALSE(constant_time_equal("abcdef", "ABCDEF"));  // case matters
    EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(CryptoConstantTimeEqualTest, DifferentLengths) {
    EXPECT_FALSE(constant_time_equal("abc", "abcd"));  // a prefix is not equal
    EXPECT_FALSE(constant_time_equal("abcd", "abc"));
    EXPECT_FALSE(constant_time_equal("", "a"));
    EXPECT_FALSE(constant_time_equal("a", std::string_view{}));
}

TEST(CryptoConstantTimeEqualTest, Empty) {
    EXPECT_TRUE(constant_time_equal("", ""));
    EXPECT_TRUE(constant_time_equal(std::string_view{}, std::string_view{}));
    EXPECT_TRUE(constant_time_equal(std::string_view{}, ""));
}

TEST(CryptoRandomBytesTest, OutputDiffersAcrossCalls) {
    std::array<std::uint8_t, 32> first{};
    std::array<std::uint8_t, 32> second{};
    random_bytes(first);
    random_bytes(second);
    EXPECT_NE(first, second);
    EXPECT_NE(first, (std::array<std::uint8_t, 32>{}));
}

TEST(CryptoRandomBytesTest, FillsExactlyTheRequestedLength) {
    // Each requested byte must leave the sentinel at least once in `rounds` calls (a false
    // failure needs 256^-8 odds); bytes past the end must never change.
    constexpr std::size_t guard_bytes = 16;
    constexpr int rounds = 8;
    constexpr std::uint8_t sentinel = 0x5a;
    for (std::size_t length = 0; length <= 64; ++length) {
        std::vector<bool> changed(length, false);
        for (int round = 0; round < rounds; ++round) {
            std::vector<std::uint8_t> buffer(length + guard_bytes, sentinel);
            random_bytes(std::span<std::uint8_t>(buffer.data(), length));
            for (std::size_t i = 0; i < length; ++i) {
                if (buffer[i] != sentinel) changed[i] = true;
            }
            for (std::size_t i = length; i < buffer.size(); ++i) {
                ASSERT_EQ(buffer[i], sentinel) << "length " << length << " wrote byte " << i;
            }
        }
        for (std::size_t i = 0; i < length; ++i) {
            EXPECT_TRUE(changed[i]) << "length " << length << " never filled byte " << i;
        }
    }
}

TEST(CryptoRandomBytesTest, EmptySpanIsANoOp) {
    random_bytes(std::span<std::uint8_t>{});
    std::uint8_t byte = 7;
    random_bytes(std::span<std::uint8_t>(&byte, 0));
    EXPECT_EQ(byte, 7);
}

TEST(CryptoRandomBytesTest, LargeBufferIsFilledToTheEnd) {
    // Larger than the per-call chunk, with a ragged tail: every 64-byte window must be touched.
    std::vector<std::uint8_t> buffer(3 * 65536 + 17, 0);
    random_bytes(buffer);
    for (std::size_t start = 0; start < buffer.size(); start += 64) {
        const auto end =
                buffer.begin() + static_cast<std::ptrdiff_t>(std::min(buffer.size(), start + 64));
        const auto begin = buffer.begin() + static_cast<std::ptrdiff_t>(start);
        EXPECT_TRUE(std::any_of(begin, end, [](std::uint8_t b) { return b != 0; }))
                << "window at " << start;
    }
}

TEST(CryptoHexTest, ToHexIsLowerCase) {
    const std::array<std::uint8_t, 6> bytes = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    EXPECT_EQ(to_hex(bytes), "00017f80abff");
    EXPECT_EQ(to_hex(std::span<const std::uint8_t>{}), "");
}

TEST(CryptoHexTest, RoundTripsEveryByteValue) {
    std::vector<std::uint8_t> bytes;
    for (int i = 0; i < 256; ++i)
        bytes.push_back(static_cast<std::uint8_t>(i));
    const std::string hex = to_hex(bytes);
    ASSERT_EQ(hex.size(), 512U);
    std::string out;
    ASSERT_TRUE(from_hex(hex, out));
    ASSERT_EQ(out.size(), bytes.size());
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        EXPECT_EQ(static_cast<std::uint8_t>(out[i]), bytes[i]) << i;
    }
}

TEST(CryptoHexTest, AcceptsUpperAndMixedCase) {
    std::string out;
    ASSERT_TRUE(from_hex("DEADBEEF", out));
    EXPECT_EQ(out, "\xde\xad\xbe\xef");
    ASSERT_TRUE(from_hex("dEaDbEeF", out));
    EXPECT_EQ(out, "\xde\xad\xbe\xef");
    ASSERT_TRUE(from_hex("0aF9", out));
    EXPECT_EQ(out, "\x0a\xf9");
}

TEST(CryptoHexTest, ReplacesPreviousContent) {
    std::string out = "previous content";
    ASSERT_TRUE(from_hex("41", out));
    EXPECT_EQ(out, "A");
    ASSERT_TRUE(from_hex("", out));
    EXPECT_EQ(out, "");
}

TEST(CryptoHexTest, RefusesOddLengthAndLeavesOutputAlone) {
    for (const std::string_view hex : {"0", "abc", "00112"}) {
        std::string out = "untouched";
        EXPECT_FALSE(from_hex(hex, out)) << hex;
        EXPECT_EQ(out, "untouched") << hex;
    }
}

TEST(CryptoHexTest, RefusesNonHexCharactersAndLeavesOutputAlone) {
    // Neighbours of the accepted ranges in ASCII, plus whitespace, NUL and a high byte.
    for (const char bad : {'/', ':', '@', 'G', '`', 'g', ' ', '\0', 'x', '\xff'}) {
        for (std::size_t position = 0; position < 4; ++position) {
            std::string hex = "a1b2";
            hex[position] = bad;
            std::string out = "untouched";
            EXPECT_FALSE(from_hex(hex, out))
                    << "char " << static_cast<int>(bad) << " at " << position;
            EXPECT_EQ(out, "untouched");
        }
    }
    std::string out = "untouched";
    EXPECT_FALSE(from_hex("0x00", out));  // no prefix syntax
    EXPECT_FALSE(from_hex("-1", out));    // no sign
    EXPECT_EQ(out, "untouched");
}

// Which libcrypto the dynamic linker actually mapped, independent of the module's own answer:
// Debian's BoringSSL lives in .../android/, OpenSSL 3 is libcrypto.so.3.
int collect_libcrypto(dl_phdr_info* info, std::size_t, void* data) {
    const std::string_view name = info->dlpi_name != nullptr ? info->dlpi_name : "";
    if (name.find("libcrypto") != std::string_view::npos) {
        static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    }
    return 0;
}

TEST(CryptoBackendTest, NameMatchesTheLoadedLibrary) {
    std::vector<std::string> libraries;
    dl_iterate_phdr(collect_libcrypto, &libraries);
    ASSERT_EQ(libraries.size(), 1U) << "expected exactly one libcrypto mapped";
    const std::string& library = libraries.front();
    const bool is_android_boringssl = library.find("/android/") != std::string::npos;
    if (backend_name() == "boringssl") {
        EXPECT_TRUE(is_android_boringssl) << library;
    } else {
        EXPECT_EQ(backend_name(), "openssl");
        EXPECT_FALSE(is_android_boringssl) << library;
        EXPECT_NE(library.find("libcrypto.so.3"), std::string::npos) << library;
    }
}

}  // namespace
}  // namespace cashierd::crypto
