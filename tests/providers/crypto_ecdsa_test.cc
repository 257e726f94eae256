// Tests for the crypto module's JWS pieces: base64url (RFC 4648 §5 vectors, canonical-only
// decoding) and ECDSA P-256 with SHA-256 (RFC 7515 A.3 vector, raw r || s range checks, PEM
// loading and refusal of every other key kind). Runs against both backends.
// Thread: single-threaded test, except the test that verifies from several threads at once.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "providers/crypto.h"

namespace cashierd::crypto {
namespace {

// ---- Keys, generated once with the openssl CLI for these tests -------------------------------

// openssl ecparam -name prime256v1 -genkey -noout (SEC1 form).
constexpr std::string_view p256_sec1_pem = R"(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEILMNTBss0XEDBpYLUbVKOB6xF2gzxp3veh9tPXviIxpCoAoGCCqGSM49
AwEHoUQDQgAE+3PWTTSQ8za7HbGviGJunO91zwy3vFofpiRlTvLJEhy0Lx/WzZjx
WNvADfJRBQoOwIIToC3mStv+dE7ZBzF7mQ==
-----END EC PRIVATE KEY-----
)";

// The same key, openssl pkcs8 -topk8 -nocrypt.
constexpr std::string_view p256_pkcs8_pem = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsw1MGyzRcQMGlgtR
tUo4HrEXaDPGne96H209e+IjGkKhRANCAAT7c9ZNNJDzNrsdsa+IYm6c73XPDLe8
Wh+mJGVO8skSHLQvH9bNmPFY28AN8lEFCg7AghOgLeZK2/50TtkHMXuZ
-----END PRIVATE KEY-----
)";

// Its public key, openssl ec -pubout.
constexpr std::string_view p256_public_pem = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+3PWTTSQ8za7HbGviGJunO91zwy3
vFofpiRlTvLJEhy0Lx/WzZjxWNvADfJRBQoOwIIToC3mStv+dE7ZBzF7mQ==
-----END PUBLIC KEY-----
)";

// The same public key with a compressed point, openssl ec -pubout -conv_form compressed.
constexpr std::string_view p256_public_compressed_pem = R"(-----BEGIN PUBLIC KEY-----
MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgAD+3PWTTSQ8za7HbGviGJunO91zwy3
vFofpiRlTvLJEhw=
-----END PUBLIC KEY-----
)";

// The same private key, openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:secret.
constexpr std::string_view p256_encrypted_pem = R"(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhUhFnCz2f21wICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEGv+4vIktWIZ5UV0yturcJIEgZDK
RXE3JwrQUGpLfyLtv3APPMgv4UTIlboIFQWoBRZXkkLDKhmGUR1AcZbH+geh3YMF
ib4JfQUn7fCmI7dlXDtV6Wx3bYZlpiv3PpqRNZpmRZCmQXQ9+IIw+0nYKY2BIoU/
GPJ6ozeNnrSCk13nIWKLCW04zN7PajMu9hQV/fk7sZ85I39lbjRvli2O5x5z5j0=
-----END ENCRYPTED PRIVATE KEY-----
)";

constexpr std::string_view p384_private_pem = R"(-----BEGIN EC PRIVATE KEY-----
MIGkAgEBBDDcFX4HvByKgYvTJixA/TLPjFcveQteE5d7oMWmh6inO1acSMZafmUw
dAj4oni5zr+gBwYFK4EEACKhZANiAAQZrDmWDcQLows9Ws1LZxR3anSi8co8irJ8
YPUU3U9BxPyOweSG8iGuZl0q29C9P04B6lFS8T5FEYpDMh2++NJL8JMkjKGFMadi
VKraOhp7ksFdzYjvxWBCcbsMSTNgjq4=
-----END EC PRIVATE KEY-----
)";

constexpr std::string_view p384_public_pem = R"(-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEGaw5lg3EC6MLPVrNS2cUd2p0ovHKPIqy
fGD1FN1PQcT8jsHkhvIhrmZdKtvQvT9OAepRUvE+RRGKQzIdvvjSS/CTJIyhhTGn
YlSq2joae5LBXc2I78VgQnG7DEkzYI6u
-----END PUBLIC KEY-----
)";

// secp256k1: also 256 bits, but not P-256.
constexpr std::string_view k256_public_pem = R"(-----BEGIN PUBLIC KEY-----
MFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAEKHUGKltP/qFfup85FIBVWIWjz5mX8ldd
DskCUrRtin5si4V11eB/AMVEVdPXAJwflbWLzaaOGfxa0aOaDk37lg==
-----END PUBLIC KEY-----
)";

constexpr std::string_view rsa1024_public_pem = R"(-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDQ98xUyJnqEuRu/FAmukslyQRg
ttdvI6Cc4QHcWFN20RWhSOc7iPpp5df65bnBMbKe/l1aHFCT/aTdgZ+VcmS3JJIH
qdy3v4LnO2iZ/FyARQgJhJYBX7epS6JHtz9GeNMmiBg3Z83cxBOIM/rqM8PnL/A2
4Oxts97rKHqn/qm09QIDAQAB
-----END PUBLIC KEY-----
)";

constexpr std::string_view ed25519_public_pem = R"(-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEABxghmm02Oatrt40r5Wd8s3ZOX0G4cm3xxlXEAj7Ca+k=
-----END PUBLIC KEY-----
)";

constexpr std::string_view ed25519_private_pem = R"(-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEID3ePE2YxJQ6Oa6ac8edM2/1K2xx7JjkjCU1Zh40DoLe
-----END PRIVATE KEY-----
)";

// RFC 7515 A.3.1's JWK (x = f83OJ3D2..., y = x_FEzRu9...) as SubjectPublicKeyInfo: the fixed
// 26-byte P-256 prefix 3059301306072a8648ce3d020106082a8648ce3d030107034200, then 04 || x || y:
//   python3 -c 'import base64;d=lambda s:base64.urlsafe_b64decode(s+"="*(-len(s)%4));
//   print(base64.b64encode(bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d0301070342"
//   "00")+b"\x04"+d("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU")+
//   d("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0")).decode())'
constexpr std::string_view rfc7515_a3_public_pem = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7
6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==
-----END PUBLIC KEY-----
)";

// RFC 7515 A.3: signing input and the raw r || s signature, both as the RFC prints them.
constexpr std::string_view rfc7515_a3_signing_input =
        "eyJhbGciOiJFUzI1NiJ9"
        "."
        "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
        "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
constexpr std::string_view rfc7515_a3_signature =
        "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA"
        "pmWQxfKTUJqPP3-Kg6NU1Q";

// The order n of P-256 (FIPS 186-4 D.1.2.3).
constexpr std::string_view p256_order_hex =
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

std::string decoded_base64url(std::string_view text) {
    std::string out;
    EXPECT_TRUE(base64url_decode(text, out)) << text;
    return out;
}

std::string decoded_hex(std::string_view hex) {
    std::string out;
    EXPECT_TRUE(from_hex(hex, out)) << hex;
    return out;
}

std::unique_ptr<EcdsaP256PublicKey> public_key(std::string_view pem) {
    std::string error;
    auto key = EcdsaP256PublicKey::from_pem(pem, error);
    EXPECT_NE(key, nullptr) << error;
    EXPECT_TRUE(key == nullptr || error.empty()) << error;
    return key;
}

std::unique_ptr<EcdsaP256PrivateKey> private_key(std::string_view pem) {
    std::string error;
    auto key = EcdsaP256PrivateKey::from_pem(pem, error);
    EXPECT_NE(key, nullptr) << error;
    return key;
}

// ---- base64url ------------------------------------------------------------------------------

TEST(Base64urlTest, Rfc4648Vectors) {
    // RFC 4648 §10 with the padding removed.
    const std::vector<std::pair<std::string_view, std::string_view>> vectors = {
            {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
            {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(base64url_encode(plain), encoded) << plain;
        EXPECT_EQ(decoded_base64url(encoded), plain) << encoded;
    }
}

TEST(Base64urlTest, UsesTheUrlAlphabet) {
    // 0xfb 0xff 0xbf is "+/+/" in standard base64.
    EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
    EXPECT_EQ(decoded_base64url("-_-_"), "\xfb\xff\xbf");
}

TEST(Base64urlTest, RoundTripsEveryByteValueAtEveryTailLength) {
    std::string all;
    for (int i = 0; i < 256; ++i) {
        all.push_back(static_cast<char>(i));
    }
    for (std::size_t size = 0; size <= all.size(); size += 1 + size / 7) {
        const std::string bytes = all.substr(all.size() - size);
        const std::string encoded = base64url_encode(bytes);
        EXPECT_EQ(encoded.size(), (size * 4 + 2) / 3) << size;
        EXPECT_EQ(encoded.find('='), std::string::npos);
        EXPECT_EQ(decoded_base64url(encoded), bytes) << size;
    }
}

TEST(Base64urlTest, RefusesNonCanonicalTextAndLeavesOutputAlone) {
    const std::vector<std::string_view> refused = {
            "Zg==",     // padding
            "Zg=",      // partial padding
            "Zm9v=",    // padding after a full group
            "+/+/",     // standard-alphabet characters
            "Zm+v",     //
            "Zm/v",     //
            "Zm9v Yg",  // inner space
            "Zm9v\n",   // trailing newline
            " Zm9v",    // leading space
            "Zm9\tv",   // tab
            "Z",        // 4n+1 characters cannot come from any byte string
            "Zm9vY",    //
            "Zh",       // 'f' is "Zg": the low 4 bits of 'h' are not zero
            "Zm9",      // "fo" is "Zm8": the low 2 bits of '9' are not zero
            "Zm9vYh",   //
            "Zm9vYmF",  //
            "Zm.v",     //
            "Zm9\x80",  // non-ASCII
    };
    for (const std::string_view text : refused) {
        std::string out = "untouched";
        EXPECT_FALSE(base64url_decode(text, out)) << text;
        EXPECT_EQ(out, "untouched") << text;
    }
    std::string out = "untouched";
    EXPECT_FALSE(base64url_decode(std::string_view("Zm\0v", 4), out));
    EXPECT_EQ(out, "untouched");
}

TEST(Base64urlTest, SpanOverloadReportsTheDecodedSize) {
    std::array<std::uint8_t, base64url_decoded_bytes_max(7)> buffer{};
    static_assert(buffer.size() == 5);
    std::size_t written = 99;
    ASSERT_TRUE(base64url_decode("Zm9vYmE", buffer, written));
    EXPECT_EQ(written, 5U);
    EXPECT_EQ(std::string(buffer.begin(), buffer.begin() + 5), "fooba");
    EXPECT_FALSE(base64url_decode("Zm9vYm=", buffer, written));
}

TEST(Base64urlTest, DecodedBytesMax) {
    EXPECT_EQ(base64url_decoded_bytes_max(0), 0U);
    EXPECT_EQ(base64url_decoded_bytes_max(2), 1U);
    EXPECT_EQ(base64url_decoded_bytes_max(3), 2U);
    EXPECT_EQ(base64url_decoded_bytes_max(4), 3U);
    EXPECT_EQ(base64url_decoded_bytes_max(86), 64U);
    EXPECT_EQ(base64url_decoded_bytes_max(43), 32U);
}

// ---- ECDSA P-256 verify ----------------------------------------------------------------------

TEST(EcdsaP256Test, Rfc7515A3Verifies) {
    const auto key = public_key(rfc7515_a3_public_pem);
    ASSERT_NE(key, nullptr);
    const std::string signature = decoded_base64url(rfc7515_a3_signature);
    ASSERT_EQ(signature.size(), ecdsa_p256_signature_bytes);
    EXPECT_TRUE(key->verify_sha256(rfc7515_a3_signing_input, signature));
}

TEST(EcdsaP256Test, Rfc7515A3TamperedMessageOrSignatureFails) {
    const auto key = public_key(rfc7515_a3_public_pem);
    ASSERT_NE(key, nullptr);
    const std::string signature = decoded_base64url(rfc7515_a3_signature);
    std::string message(rfc7515_a3_signing_input);
    message[message.size() - 1] ^= 0x01;
    EXPECT_FALSE(key->verify_sha256(message, signature));
    for (std::size_t i = 0; i < signature.size(); i += 7) {
        std::string tampered = signature;
        tampered[i] = static_cast<char>(tampered[i] ^ 0x40);
        EXPECT_FALSE(key->verify_sha256(rfc7515_a3_signing_input, tampered)) << i;
    }
    // Right signature, wrong key.
    const auto other = public_key(p256_public_pem);
    ASSERT_NE(other, nullptr);
    EXPECT_FALSE(other->verify_sha256(rfc7515_a3_signing_input, signature));
}

TEST(EcdsaP256Test, RefusesSignaturesOfTheWrongLength) {
    const auto key = public_key(rfc7515_a3_public_pem);
    ASSERT_NE(key, nullptr);
    const std::string signature = decoded_base64url(rfc7515_a3_signature);
    EXPECT_FALSE(key->verify_sha256(rfc7515_a3_signing_input, ""));
    EXPECT_FALSE(key->verify_sha256(rfc7515_a3_signing_input, signature.substr(0, 63)));
    EXPECT_FALSE(key->verify_sha256(rfc7515_a3_signing_input, signature + '\0'));
    // A leading zero byte on s would still denote the same number: length is checked first.
    EXPECT_FALSE(key->verify_sha256(rfc7515_a3_signing_input,
                                    signature.substr(0, 32) + '\0' + signature.substr(32)));
}

TEST(EcdsaP256Test, RefusesZeroAndOutOfRangeScalars) {
    const auto key = public_key(rfc7515_a3_public_pem);
    ASSERT_NE(key, nullptr);
    const std::string signature = decoded_base64url(rfc7515_a3_signature);
    const std::string r = signature.substr(0, 32);
    const std::string s = signature.substr(32);
    const std::string zero(32, '\0');
    const std::string order = decoded_hex(p256_order_hex);
    const std::string all_ones(32, '\xff');
    EXPECT_FALSE(key->verify_sha256(rfc7515_a3_signing_input, zero + s));
    EXPECT_FALSE(key->verify_sha256(rfc7515_a3_signing_input, r + zero));
    EXPECT_FALSE(key->verify_sha256(rfc7515_a3_signing_input, zero + zero));
    EXPECT_FALSE(key->verify_sha256(rfc7515_a3_signing_input, order + s));
    EXPECT_FALSE(key->verify_sha256(rfc7515_a3_signing_input, r + order));
    EXPECT_FALSE(key->verify_sha256(rfc7515_a3_signing_input, all_ones + s));
    EXPECT_FALSE(key->verify_sha256(rfc7515_a3_signing_input, r + all_ones));
    // The untouched pair still verifies, so the refusals above are about the scalars.
    EXPECT_TRUE(key->verify_sha256(rfc7515_a3_signing_input, r + s));
}

TEST(EcdsaP256Test, RefusedVerificationsDoNotPoisonLaterOnes) {
    const auto key = public_key(rfc7515_a3_public_pem);
    ASSERT_NE(key, nullptr);
    const std::string signature = decoded_base64url(rfc7515_a3_signature);
    for (int i = 0; i < 50; ++i) {
        EXPECT_FALSE(key->verify_sha256("other message", signature));
        EXPECT_TRUE(key->verify_sha256(rfc7515_a3_signing_input, signature));
    }
}

TEST(EcdsaP256Test, ConcurrentVerifiesOnOneKey) {
    const auto key = public_key(rfc7515_a3_public_pem);
    ASSERT_NE(key, nullptr);
    const std::string signature = decoded_base64url(rfc7515_a3_signature);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 100; ++i) {
                if (!key->verify_sha256(rfc7515_a3_signing_input, signature)) ++wrong;
                if (key->verify_sha256("tampered", signature)) ++wrong;
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(wrong.load(), 0);
}

// ---- Public key PEM --------------------------------------------------------------------------

TEST(EcdsaP256PublicKeyTest, AcceptsUncompressedAndCompressedPoints) {
    const auto private_p256 = private_key(p256_sec1_pem);
    ASSERT_NE(private_p256, nullptr);
    const std::string signature = private_p256->sign_sha256("message");
    for (const std::string_view pem : {p256_public_pem, p256_public_compressed_pem}) {
        const auto key = public_key(pem);
        ASSERT_NE(key, nullptr);
        EXPECT_TRUE(key->verify_sha256("message", signature));
        EXPECT_FALSE(key->verify_sha256("massage", signature));
    }
}

TEST(EcdsaP256PublicKeyTest, RefusesEveryOtherKindOfKey) {
    std::string big(20000, 'A');
    big = "-----BEGIN PUBLIC KEY-----\n" + big + "\n-----END PUBLIC KEY-----\n";
    std::string truncated(p256_public_pem);
    truncated.erase(40, 20);
    const std::vector<std::pair<const char*, std::string_view>> refused = {
            {"P-384", p384_public_pem},
            {"secp256k1", k256_public_pem},
            {"RSA", rsa1024_public_pem},
            {"Ed25519", ed25519_public_pem},
            {"private key PEM", p256_pkcs8_pem},
            {"SEC1 private key PEM", p256_sec1_pem},
            {"empty", ""},
            {"not PEM", "hello"},
            {"base64 without armour", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"},
            {"truncated", truncated},
            {"oversized", big},
    };
    for (const auto& [name, pem] : refused) {
        std::string error;
        EXPECT_EQ(EcdsaP256PublicKey::from_pem(pem, error), nullptr) << name;
        EXPECT_FALSE(error.empty()) << name;
    }
}

TEST(EcdsaP256PublicKeyTest, RefusalMessagesSayWhatIsWrong) {
    std::string error;
    EXPECT_EQ(EcdsaP256PublicKey::from_pem(p384_public_pem, error), nullptr);
    EXPECT_NE(error.find("P-256"), std::string::npos) << error;
    error.clear();
    EXPECT_EQ(EcdsaP256PublicKey::from_pem(rsa1024_public_pem, error), nullptr);
    EXPECT_NE(error.find("not an EC key"), std::string::npos) << error;
    error.clear();
    EXPECT_EQ(EcdsaP256PublicKey::from_pem("hello", error), nullptr);
    EXPECT_NE(error.find("PUBLIC KEY"), std::string::npos) << error;
}

// ---- Private key -----------------------------------------------------------------------------

TEST(EcdsaP256PrivateKeyTest, Pkcs8AndSec1FormsAreTheSameKey) {
    const auto sec1 = private_key(p256_sec1_pem);
    const auto pkcs8 = private_key(p256_pkcs8_pem);
    ASSERT_NE(sec1, nullptr);
    ASSERT_NE(pkcs8, nullptr);
    EXPECT_EQ(sec1->public_key_pem(), p256_public_pem);
    EXPECT_EQ(pkcs8->public_key_pem(), p256_public_pem);
    const auto key = public_key(p256_public_pem);
    ASSERT_NE(key, nullptr);
    EXPECT_TRUE(key->verify_sha256("abc", sec1->sign_sha256("abc")));
    EXPECT_TRUE(key->verify_sha256("abc", pkcs8->sign_sha256("abc")));
}

TEST(EcdsaP256PrivateKeyTest, SignaturesAreRawRandomizedAndVerify) {
    const auto signer = private_key(p256_pkcs8_pem);
    ASSERT_NE(signer, nullptr);
    const auto key = public_key(p256_public_pem);
    ASSERT_NE(key, nullptr);
    const std::string first = signer->sign_sha256("payload");
    const std::string second = signer->sign_sha256("payload");
    EXPECT_EQ(first.size(), ecdsa_p256_signature_bytes);
    EXPECT_EQ(second.size(), ecdsa_p256_signature_bytes);
    EXPECT_NE(first, second);
    EXPECT_TRUE(key->verify_sha256("payload", first));
    EXPECT_TRUE(key->verify_sha256("payload", second));
    EXPECT_FALSE(key->verify_sha256("payload!", first));
}

TEST(EcdsaP256PrivateKeyTest, FixedWidthScalarsSurviveManySignatures) {
    // About one signature in 128 has an r or s with a leading zero byte; each must still be
    // 64 bytes and verify. 2000 signatures all without one would happen with probability 2e-7.
    const auto signer = EcdsaP256PrivateKey::generate();
    ASSERT_NE(signer, nullptr);
    const auto key = public_key(signer->public_key_pem());
    ASSERT_NE(key, nullptr);
    int leading_zero = 0;
    for (int i = 0; i < 2000; ++i) {
        const std::string message = "message " + std::to_string(i);
        const std::string signature = signer->sign_sha256(message);
        ASSERT_EQ(signature.size(), ecdsa_p256_signature_bytes);
        if (signature[0] == '\0' || signature[32] == '\0') ++leading_zero;
        ASSERT_TRUE(key->verify_sha256(message, signature)) << i;
    }
    EXPECT_GT(leading_zero, 0);
}

TEST(EcdsaP256PrivateKeyTest, GeneratedKeysAreDistinct) {
    const auto a = EcdsaP256PrivateKey::generate();
    const auto b = EcdsaP256PrivateKey::generate();
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_NE(a->public_key_pem(), b->public_key_pem());
    const auto b_public = public_key(b->public_key_pem());
    ASSERT_NE(b_public, nullptr);
    EXPECT_FALSE(b_public->verify_sha256("m", a->sign_sha256("m")));
    EXPECT_TRUE(b_public->verify_sha256("m", b->sign_sha256("m")));
}

TEST(EcdsaP256PrivateKeyTest, RefusesEveryOtherKindOfKey) {
    const std::vector<std::pair<const char*, std::string_view>> refused = {
            {"P-384", p384_private_pem},
            {"Ed25519", ed25519_private_pem},
            {"encrypted", p256_encrypted_pem},
            {"public key PEM", p256_public_pem},
            {"empty", ""},
            {"not PEM", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
    };
    for (const auto& [name, pem] : refused) {
        std::string error;
        EXPECT_EQ(EcdsaP256PrivateKey::from_pem(pem, error), nullptr) << name;
        EXPECT_FALSE(error.empty()) << name;
    }
}

}  // namespace
}  // namespace cashierd::crypto
