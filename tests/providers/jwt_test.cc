// Tests for providers/jwt: RFC 7515 A.1 and A.3 signatures, tokens cross-checked against
// Python's hmac, mint/verify round trips for both algorithms, and one crafted token per refusal
// (alg none, key confusion, tampering, time limits with leeway, sub forms, duplicate keys,
// trailing bytes, segment and base64url errors, size limit). Also: create() errors, verifiers
// used from several threads, and no heap allocation per HS256 verification after warm-up.
// Thread: single-threaded test, except the tests that verify from several threads at once.
#include "providers/jwt.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "providers/crypto.h"

// Sanitizers replace the allocator themselves, so the allocation count runs in plain builds.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CASHIERD_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CASHIERD_SANITIZED 1
#endif

#ifndef CASHIERD_SANITIZED
namespace {

thread_local bool g_counting = false;
thread_local long g_allocations = 0;

}  // namespace

void* operator new(std::size_t size) {
    if (g_counting) ++g_allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}

void* operator new[](std::size_t size) {
    if (g_counting) ++g_allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}

void operator delete(void* p) noexcept {
    std::free(p);
}

void operator delete[](void* p) noexcept {
    std::free(p);
}

void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
#endif

namespace cashierd::providers {
namespace {

using Algorithm = JwtKeySpec::Algorithm;

constexpr std::int64_t now = 1700000000;

constexpr std::string_view hs_secret = "hs-secret-0123456789abcdef-0123456789";
constexpr std::string_view hs2_secret = "another-secret-0123456789abcdef-xyz";
constexpr std::string_view demo_secret = "demo-jwt-secret-change-me-0123456789abcdef";

// openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt
constexpr std::string_view es_private_pem = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsw1MGyzRcQMGlgtR
tUo4HrEXaDPGne96H209e+IjGkKhRANCAAT7c9ZNNJDzNrsdsa+IYm6c73XPDLe8
Wh+mJGVO8skSHLQvH9bNmPFY28AN8lEFCg7AghOgLeZK2/50TtkHMXuZ
-----END PRIVATE KEY-----
)";

constexpr std::string_view es_public_pem = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+3PWTTSQ8za7HbGviGJunO91zwy3
vFofpiRlTvLJEhy0Lx/WzZjxWNvADfJRBQoOwIIToC3mStv+dE7ZBzF7mQ==
-----END PUBLIC KEY-----
)";

constexpr std::string_view p384_public_pem = R"(-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEGaw5lg3EC6MLPVrNS2cUd2p0ovHKPIqy
fGD1FN1PQcT8jsHkhvIhrmZdKtvQvT9OAepRUvE+RRGKQzIdvvjSS/CTJIyhhTGn
YlSq2joae5LBXc2I78VgQnG7DEkzYI6u
-----END PUBLIC KEY-----
)";

// RFC 7515 A.1 (HS256): the JWK "k" value and the token, as the RFC prints them.
constexpr std::string_view rfc7515_a1_key =
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
constexpr std::string_view rfc7515_a1_token =
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
        "."
        "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
        "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        "."
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

// RFC 7515 A.3 (ES256): the token and its public key (x, y of the JWK, as SubjectPublicKeyInfo;
// derivation in crypto_ecdsa_test.cc).
constexpr std::string_view rfc7515_a3_token =
        "eyJhbGciOiJFUzI1NiJ9"
        "."
        "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
        "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        "."
        "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA"
        "pmWQxfKTUJqPP3-Kg6NU1Q";
constexpr std::string_view rfc7515_a3_public_pem = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7
6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==
-----END PUBLIC KEY-----
)";
constexpr std::int64_t rfc7515_exp = 1300819380;

std::string b64(std::string_view bytes) {
    return crypto::base64url_encode(bytes);
}

std::string unb64(std::string_view text) {
    std::string out;
    EXPECT_TRUE(crypto::base64url_decode(text, out)) << text;
    return out;
}

std::string mac_text(const crypto::Sha256Digest& mac) {
    return {reinterpret_cast<const char*>(mac.data()), mac.size()};
}

// A token over arbitrary header and payload text, HMAC-signed with `secret`.
std::string hs_token(std::string_view header, std::string_view payload,
                     std::string_view secret = hs_secret) {
    const std::string input = b64(header) + "." + b64(payload);
    return input + "." + b64(mac_text(crypto::hmac_sha256(secret, input)));
}

std::string es_token(std::string_view header, std::string_view payload,
                     const crypto::EcdsaP256PrivateKey& key) {
    const std::string input = b64(header) + "." + b64(payload);
    return input + "." + b64(key.sign_sha256(input));
}

constexpr std::string_view hs_header = R"({"alg":"HS256","kid":"hs"})";
constexpr std::string_view es_header = R"({"alg":"ES256","kid":"es"})";

// A payload for customer 42 that expires in ten minutes, plus `extra` members.
std::string claims(std::string_view extra = {}) {
    return R"({"sub":"42","exp":)" + std::to_string(now + 600) + std::string(extra) + "}";
}

std::string payload_with_sub(std::string_view sub_json) {
    return R"({"sub":)" + std::string(sub_json) + R"(,"exp":)" + std::to_string(now + 600) + "}";
}

std::string payload_with_exp(std::int64_t exp) {
    return R"({"sub":"42","exp":)" + std::to_string(exp) + "}";
}

std::vector<JwtKeySpec> default_specs() {
    std::vector<JwtKeySpec> specs(3);
    specs[0].kid = "hs";
    specs[0].alg = Algorithm::hs256;
    specs[0].secret = hs_secret;
    specs[1].kid = "hs2";
    specs[1].alg = Algorithm::hs256;
    specs[1].secret = hs2_secret;
    specs[2].kid = "es";
    specs[2].alg = Algorithm::es256;
    specs[2].public_key_pem = es_public_pem;
    return specs;
}

std::unique_ptr<JwtVerifier> make_verifier(std::vector<JwtKeySpec> specs) {
    std::string error;
    auto verifier = JwtVerifier::create(std::move(specs), error);
    EXPECT_NE(verifier, nullptr) << error;
    return verifier;
}

class JwtTest : public ::testing::Test {
protected:
    void SetUp() override {
        verifier_ = make_verifier(default_specs());
        ASSERT_NE(verifier_, nullptr);
        std::string error;
        es_key_ = crypto::EcdsaP256PrivateKey::from_pem(es_private_pem, error);
        ASSERT_NE(es_key_, nullptr) << error;
    }

    ::testing::AssertionResult refused(std::string_view token, std::string_view detail,
                                       std::int64_t at = now) const {
        const Result<JwtClaims> result = verifier_->verify(token, at);
        if (result.ok()) {
            return ::testing::AssertionFailure()
                   << "accepted (customer " << result->customer_id << "), wanted " << detail;
        }
        if (result.status().code() != StatusCode::unauthorized ||
            result.status().detail() != detail) {
            return ::testing::AssertionFailure()
                   << "refused as " << result.status().name() << "/" << result.status().detail()
                   << ", wanted UNAUTHORIZED/" << detail;
        }
        return ::testing::AssertionSuccess();
    }

    ::testing::AssertionResult accepted(std::string_view token, std::uint64_t customer_id,
                                        std::int64_t at = now) const {
        const Result<JwtClaims> result = verifier_->verify(token, at);
        if (!result.ok()) {
            return ::testing::AssertionFailure() << "refused as " << result.status().detail();
        }
        if (result->customer_id != customer_id) {
            return ::testing::AssertionFailure() << "customer " << result->customer_id;
        }
        return ::testing::AssertionSuccess();
    }

    std::unique_ptr<JwtVerifier> verifier_;
    std::unique_ptr<crypto::EcdsaP256PrivateKey> es_key_;
};

// ---- Published vectors ------------------------------------------------------------------------

TEST(JwtRfcTest, Rfc7515A1SignatureMatchesTheRfc) {
    const std::string key = unb64(rfc7515_a1_key);
    ASSERT_EQ(key.size(), 64U);
    const std::size_t last_dot = rfc7515_a1_token.rfind('.');
    const std::string_view signing_input = rfc7515_a1_token.substr(0, last_dot);
    const std::string signature = unb64(rfc7515_a1_token.substr(last_dot + 1));
    EXPECT_EQ(mac_text(crypto::hmac_sha256(key, signing_input)), signature);
    EXPECT_TRUE(crypto::constant_time_equal(mac_text(crypto::hmac_sha256(key, signing_input)),
                                            signature));
}

TEST(JwtRfcTest, Rfc7515A1ThroughTheVerifierStopsOnlyAtTheMissingKid) {
    // The RFC's header has no kid (cashierd requires one) and its payload no sub: the header
    // with its CRLFs parses, and the refusal is exactly the missing kid.
    std::vector<JwtKeySpec> specs(1);
    specs[0].kid = "a1";
    specs[0].secret = unb64(rfc7515_a1_key);
    const auto verifier = make_verifier(std::move(specs));
    ASSERT_NE(verifier, nullptr);
    const Result<JwtClaims> result = verifier->verify(rfc7515_a1_token, rfc7515_exp - 60);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().detail(), "kid_missing");
}

TEST(JwtRfcTest, Rfc7515A1PayloadWithAKidVerifiesBeforeItsExpiry) {
    // The A.1 payload (CRLF whitespace, a URL-named boolean claim, exp in 2011) re-signed with
    // the RFC's key under a header that carries a kid and a sub added: claims parse as the RFC
    // writes them, and the 2011 expiry is enforced.
    const std::string key = unb64(rfc7515_a1_key);
    std::vector<JwtKeySpec> specs(1);
    specs[0].kid = "a1";
    specs[0].secret = key;
    const auto verifier = make_verifier(std::move(specs));
    ASSERT_NE(verifier, nullptr);
    const std::string token = hs_token("{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\",\"kid\":\"a1\"}",
                                       "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n "
                                       "\"http://example.com/is_root\":true,\"sub\":5}",
                                       key);
    const Result<JwtClaims> before = verifier->verify(token, rfc7515_exp - 60);
    ASSERT_TRUE(before.ok()) << before.status().detail();
    EXPECT_EQ(before->customer_id, 5U);
    EXPECT_EQ(before->exp, rfc7515_exp);
    EXPECT_EQ(before->iat, 0);
    const Result<JwtClaims> after = verifier->verify(token, now);
    ASSERT_FALSE(after.ok());
    EXPECT_EQ(after.status().detail(), "expired");
}

TEST(JwtRfcTest, Rfc7515A3SignatureVerifiesAndTheVerifierStopsAtTheMissingKid) {
    std::string error;
    const auto key = crypto::EcdsaP256PublicKey::from_pem(rfc7515_a3_public_pem, error);
    ASSERT_NE(key, nullptr) << error;
    const std::size_t last_dot = rfc7515_a3_token.rfind('.');
    EXPECT_TRUE(key->verify_sha256(rfc7515_a3_token.substr(0, last_dot),
                                   unb64(rfc7515_a3_token.substr(last_dot + 1))));

    std::vector<JwtKeySpec> specs(1);
    specs[0].kid = "a3";
    specs[0].alg = Algorithm::es256;
    specs[0].public_key_pem = rfc7515_a3_public_pem;
    const auto verifier = make_verifier(std::move(specs));
    ASSERT_NE(verifier, nullptr);
    const Result<JwtClaims> result = verifier->verify(rfc7515_a3_token, rfc7515_exp - 60);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().detail(), "kid_missing");
}

// ---- Minting, cross-checked against Python ------------------------------------------------------

TEST(JwtMintTest, Hs256MatchesPythonHmac) {
    // python3 -c 'import base64,hmac,hashlib,json;e=lambda b:base64.urlsafe_b64encode(b).
    //   rstrip(b"=").decode();j=lambda o:e(json.dumps(o,separators=(",",":")).encode());
    //   s=j({"alg":"HS256","typ":"JWT","kid":"demo"})+"."+j({"sub":"7","iat":1700000000,
    //   "exp":1700003600});print(s+"."+e(hmac.new(b"demo-jwt-secret-change-me-0123456789abcdef",
    //   s.encode(),hashlib.sha256).digest()))'
    EXPECT_EQ(mint_hs256("demo", demo_secret, 7, 1700000000, 1700003600),
              "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImRlbW8ifQ."
              "eyJzdWIiOiI3IiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDM2MDB9."
              "o02CrFR6bx54Tr-Kd5ZsYBhSOxQ6VcV-bxmdBF6DIM0");
}

TEST(JwtMintTest, Hs256EscapesTheKidLikePythonJson) {
    // As above with kid "k\"1\\\n\x01\b", sub "9223372036854775807", iat 0, exp -5.
    EXPECT_EQ(mint_hs256("k\"1\\\n\x01\b", demo_secret, 9223372036854775807ULL, 0, -5),
              "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImtcIjFcXFxuXHUwMDAxXGIifQ."
              "eyJzdWIiOiI5MjIzMzcyMDM2ODU0Nzc1ODA3IiwiaWF0IjowLCJleHAiOi01fQ."
              "kavJrPBvYRnXz7ffDgLFsyGoA1wFyzVPqDv9tGzBg2E");
}

TEST(JwtMintTest, PythonTokenVerifiesWithTheDemoKey) {
    std::vector<JwtKeySpec> specs(1);
    specs[0].kid = "demo";
    specs[0].secret = demo_secret;
    const auto verifier = make_verifier(std::move(specs));
    ASSERT_NE(verifier, nullptr);
    const Result<JwtClaims> result = verifier->verify(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImRlbW8ifQ."
            "eyJzdWIiOiI3IiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDM2MDB9."
            "o02CrFR6bx54Tr-Kd5ZsYBhSOxQ6VcV-bxmdBF6DIM0",
            1700000100);
    ASSERT_TRUE(result.ok()) << result.status().detail();
    EXPECT_EQ(result->customer_id, 7U);
    EXPECT_EQ(result->iat, 1700000000);
    EXPECT_EQ(result->exp, 1700003600);
}

TEST_F(JwtTest, MintedTokensOfBothAlgorithmsVerify) {
    const std::uint64_t max_id = std::numeric_limits<std::int64_t>::max();
    for (const std::uint64_t id : {std::uint64_t{1}, std::uint64_t{42}, max_id}) {
        const std::string hs = mint_hs256("hs", hs_secret, id, now - 10, now + 3600);
        const std::string es = mint_es256("es", *es_key_, id, now - 10, now + 3600);
        for (const std::string& token : {hs, es}) {
            const Result<JwtClaims> result = verifier_->verify(token, now);
            ASSERT_TRUE(result.ok()) << result.status().detail() << " " << token;
            EXPECT_EQ(result->customer_id, id);
            EXPECT_EQ(result->iat, now - 10);
            EXPECT_EQ(result->exp, now + 3600);
        }
    }
    EXPECT_TRUE(accepted(mint_hs256("hs2", hs2_secret, 9, now, now + 60), 9));
}

TEST_F(JwtTest, TokenSignedWithAnotherKeysSecretIsABadSignature) {
    EXPECT_TRUE(refused(mint_hs256("hs", hs2_secret, 9, now, now + 60), "bad_signature"));
    EXPECT_TRUE(refused(mint_hs256("hs2", hs_secret, 9, now, now + 60), "bad_signature"));
    const auto other = crypto::EcdsaP256PrivateKey::generate();
    EXPECT_TRUE(refused(mint_es256("es", *other, 9, now, now + 60), "bad_signature"));
}

// ---- Algorithm ----------------------------------------------------------------------------------

TEST_F(JwtTest, AlgNoneIsRefusedInAnyCase) {
    for (const std::string_view alg : {"none", "None", "NONE", "nOnE"}) {
        const std::string header = R"({"alg":")" + std::string(alg) + R"(","kid":"hs"})";
        const std::string unsigned_token = b64(header) + "." + b64(claims()) + ".";
        EXPECT_TRUE(refused(unsigned_token, "alg_none")) << alg;
        // Even with a valid HMAC attached, and even without a kid.
        EXPECT_TRUE(refused(hs_token(header, claims()), "alg_none")) << alg;
        const std::string no_kid = R"({"alg":")" + std::string(alg) + R"("})";
        EXPECT_TRUE(refused(b64(no_kid) + "." + b64(claims()) + ".", "alg_none")) << alg;
    }
}

TEST_F(JwtTest, KeyConfusionWithThePublicKeyAsHmacSecretFails) {
    // The classic attack: take the ES256 key's public PEM, use it as an HMAC secret, claim HS256.
    const std::string forged = hs_token(R"({"alg":"HS256","kid":"es"})", claims(), es_public_pem);
    EXPECT_TRUE(refused(forged, "alg_mismatch"));
    // The same with the header's typ and the PEM without its trailing newline.
    std::string pem(es_public_pem);
    pem.pop_back();
    EXPECT_TRUE(refused(hs_token(R"({"typ":"JWT","alg":"HS256","kid":"es"})", claims(), pem),
                        "alg_mismatch"));
}

TEST_F(JwtTest, HeaderAlgMustEqualTheKeysConfiguredAlg) {
    // ES256 claimed for an HS256 key, with a real ES256 signature.
    EXPECT_TRUE(
            refused(es_token(R"({"alg":"ES256","kid":"hs"})", claims(), *es_key_), "alg_mismatch"));
    for (const std::string_view alg : {"HS384", "HS512", "RS256", "PS256", "ES384", "hs256", ""}) {
        const std::string header = R"({"alg":")" + std::string(alg) + R"(","kid":"hs"})";
        EXPECT_TRUE(refused(hs_token(header, claims()), "alg_mismatch")) << alg;
    }
    EXPECT_TRUE(refused(hs_token(R"({"alg":"es256","kid":"es"})", claims()), "alg_mismatch"));
}

TEST_F(JwtTest, KidMustNameAConfiguredKey) {
    EXPECT_TRUE(refused(hs_token(R"({"alg":"HS256","kid":"nope"})", claims()), "unknown_kid"));
    EXPECT_TRUE(refused(hs_token(R"({"alg":"HS256","kid":"HS"})", claims()), "unknown_kid"));
    EXPECT_TRUE(refused(hs_token(R"({"alg":"HS256","kid":""})", claims()), "unknown_kid"));
    EXPECT_TRUE(refused(hs_token(R"({"alg":"HS256"})", claims()), "kid_missing"));
    EXPECT_TRUE(refused(hs_token(R"({"alg":"HS256","kid":1})", claims()), "token_malformed"));
    EXPECT_TRUE(refused(hs_token(R"({"alg":"HS256","kid":null})", claims()), "token_malformed"));
    // An escaped kid is compared unescaped.
    EXPECT_TRUE(accepted(hs_token(R"({"alg":"HS256","kid":"h\u0073"})", claims()), 42));
}

// ---- Signature ----------------------------------------------------------------------------------

TEST_F(JwtTest, TamperedPayloadIsABadSignature) {
    const std::string token = mint_hs256("hs", hs_secret, 42, now, now + 600);
    const std::size_t first = token.find('.');
    const std::size_t second = token.rfind('.');
    const std::string forged = token.substr(0, first + 1) +
                               b64(R"({"sub":"43","iat":)" + std::to_string(now) + R"(,"exp":)" +
                                   std::to_string(now + 600) + "}") +
                               token.substr(second);
    EXPECT_TRUE(refused(forged, "bad_signature"));

    const std::string es = mint_es256("es", *es_key_, 42, now, now + 600);
    const std::string es_forged = es.substr(0, es.find('.') + 1) +
                                  b64(R"({"sub":"43","exp":)" + std::to_string(now + 600) + "}") +
                                  es.substr(es.rfind('.'));
    EXPECT_TRUE(refused(es_forged, "bad_signature"));
}

TEST_F(JwtTest, TamperedHeaderIsABadSignature) {
    // Both kids are HS256: swapping kid keeps every check but the signature happy.
    const std::string token = hs_token(hs_header, claims());
    const std::string forged =
            b64(R"({"alg":"HS256","kid":"hs2"})") + token.substr(token.find('.'));
    EXPECT_TRUE(refused(forged, "bad_signature"));
}

TEST_F(JwtTest, TamperedSignatureIsABadSignature) {
    for (const std::string& token :
         {hs_token(hs_header, claims()), es_token(es_header, claims(), *es_key_)}) {
        const std::size_t start = token.rfind('.') + 1;
        for (std::size_t i = start; i < token.size() - 1; i += 5) {
            std::string tampered = token;
            tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
            EXPECT_TRUE(refused(tampered, "bad_signature")) << i;
        }
        EXPECT_TRUE(accepted(token, 42));
    }
}

TEST_F(JwtTest, SignatureOfTheWrongLengthIsABadSignature) {
    const std::string token = hs_token(hs_header, claims());
    const std::string input = token.substr(0, token.rfind('.'));
    const std::string mac = unb64(token.substr(token.rfind('.') + 1));
    EXPECT_TRUE(refused(input + ".", "bad_signature"));
    EXPECT_TRUE(refused(input + "." + b64(mac.substr(0, 31)), "bad_signature"));
    EXPECT_TRUE(refused(input + "." + b64(mac + '\0'), "bad_signature"));
    EXPECT_TRUE(refused(input + "." + b64(mac + mac), "bad_signature"));
    EXPECT_TRUE(refused(input + "." + std::string(87, 'A'), "bad_signature"));
    EXPECT_TRUE(refused(input + "." + std::string(4000, 'A'), "bad_signature"));
    // An HMAC where an ES256 signature belongs.
    const std::string es = es_token(es_header, claims(), *es_key_);
    EXPECT_TRUE(refused(es.substr(0, es.rfind('.') + 1) + b64(mac), "bad_signature"));
    EXPECT_TRUE(refused(es.substr(0, es.rfind('.') + 1), "bad_signature"));
}

TEST_F(JwtTest, NonCanonicalSignatureEncodingIsRefused) {
    // The last character of a 32-byte signature carries 2 unused bits: setting them would give
    // the same bytes under another spelling.
    const std::string token = hs_token(hs_header, claims());
    std::string altered = token;
    const char last = altered.back();
    const std::string_view alphabet =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    altered.back() = alphabet[alphabet.find(last) | 1];
    ASSERT_NE(altered, token);
    EXPECT_TRUE(refused(altered, "token_malformed"));
    EXPECT_TRUE(refused(token + "=", "token_malformed"));
    EXPECT_TRUE(refused(token + "==", "token_malformed"));
    std::string with_plus = token;
    with_plus[with_plus.rfind('.') + 1] = '+';
    EXPECT_TRUE(refused(with_plus, "token_malformed"));
}

TEST_F(JwtTest, SignatureIsCheckedBeforeAnyClaim) {
    // Invalid claims under a forged signature say nothing about the claims.
    const std::string bad_sub = hs_token(hs_header, payload_with_sub("0"), hs2_secret);
    EXPECT_TRUE(refused(bad_sub, "bad_signature"));
    const std::string expired = hs_token(hs_header, payload_with_exp(now - 1000), hs2_secret);
    EXPECT_TRUE(refused(expired, "bad_signature"));
    const std::string not_json = hs_token(hs_header, "not json", hs2_secret);
    EXPECT_TRUE(refused(not_json, "bad_signature"));
}

// ---- Time
// ----------------------------------------------------------------------------------------

TEST_F(JwtTest, ExpiryHasThirtySecondsOfLeeway) {
    EXPECT_TRUE(accepted(hs_token(hs_header, payload_with_exp(now + 1)), 42));
    EXPECT_TRUE(accepted(hs_token(hs_header, payload_with_exp(now)), 42));
    EXPECT_TRUE(accepted(hs_token(hs_header, payload_with_exp(now - 29)), 42));
    EXPECT_TRUE(refused(hs_token(hs_header, payload_with_exp(now - 30)), "expired"));
    EXPECT_TRUE(refused(hs_token(hs_header, payload_with_exp(now - 31)), "expired"));
    EXPECT_TRUE(refused(hs_token(hs_header, payload_with_exp(0)), "expired"));
    EXPECT_TRUE(
            refused(hs_token(hs_header, payload_with_exp(-9223372036854775807LL - 1)), "expired"));
    EXPECT_TRUE(accepted(hs_token(hs_header, payload_with_exp(9223372036854775807LL)), 42));
    // The same token, verified at different times.
    const std::string token = mint_hs256("hs", hs_secret, 42, now, now + 60);
    EXPECT_TRUE(accepted(token, 42, now + 89));
    EXPECT_TRUE(refused(token, "expired", now + 90));
}

TEST_F(JwtTest, NotBeforeHasThirtySecondsOfLeeway) {
    EXPECT_TRUE(accepted(hs_token(hs_header, claims(",\"nbf\":" + std::to_string(now - 100))), 42));
    EXPECT_TRUE(accepted(hs_token(hs_header, claims(",\"nbf\":" + std::to_string(now + 30))), 42));
    EXPECT_TRUE(refused(hs_token(hs_header, claims(",\"nbf\":" + std::to_string(now + 31))),
                        "not_yet_valid"));
    EXPECT_TRUE(
            refused(hs_token(hs_header, claims(",\"nbf\":9223372036854775807")), "not_yet_valid"));
}

TEST_F(JwtTest, ExpIsRequired) {
    EXPECT_TRUE(refused(hs_token(hs_header, R"({"sub":"42"})"), "exp_missing"));
    EXPECT_TRUE(refused(hs_token(hs_header, R"({"sub":"42","iat":1700000000})"), "exp_missing"));
    EXPECT_TRUE(refused(hs_token(hs_header, "{}"), "exp_missing"));
}

TEST_F(JwtTest, NumericDatesMustBeInt64Integers) {
    for (const std::string_view exp :
         {R"("1700000600")", "1700000600.5", "1.7e9", "null", "true", "[1700000600]",
          "9223372036854775808", "-9223372036854775809", "{}"}) {
        const std::string payload = R"({"sub":"42","exp":)" + std::string(exp) + "}";
        EXPECT_TRUE(refused(hs_token(hs_header, payload), "claim_invalid")) << exp;
        EXPECT_TRUE(refused(hs_token(hs_header, claims(",\"nbf\":" + std::string(exp))),
                            "claim_invalid"))
                << exp;
        EXPECT_TRUE(refused(hs_token(hs_header, claims(",\"iat\":" + std::string(exp))),
                            "claim_invalid"))
                << exp;
    }
}

TEST_F(JwtTest, IatIsReturnedWhenPresentAndZeroWhenAbsent) {
    const Result<JwtClaims> with = verifier_->verify(
            hs_token(hs_header, claims(",\"iat\":" + std::to_string(now - 5))), now);
    ASSERT_TRUE(with.ok());
    EXPECT_EQ(with->iat, now - 5);
    EXPECT_EQ(with->exp, now + 600);
    const Result<JwtClaims> without = verifier_->verify(hs_token(hs_header, claims()), now);
    ASSERT_TRUE(without.ok());
    EXPECT_EQ(without->iat, 0);
}

// ---- sub ---------------------------------------------------------------------------------------

TEST_F(JwtTest, SubAcceptsDigitStringsAndIntegers) {
    EXPECT_TRUE(accepted(hs_token(hs_header, payload_with_sub("7")), 7));
    EXPECT_TRUE(accepted(hs_token(hs_header, payload_with_sub(R"("7")")), 7));
    EXPECT_TRUE(accepted(hs_token(hs_header, payload_with_sub("1")), 1));
    EXPECT_TRUE(accepted(hs_token(hs_header, payload_with_sub("9223372036854775807")),
                         9223372036854775807ULL));
    EXPECT_TRUE(accepted(hs_token(hs_header, payload_with_sub(R"("9223372036854775807")")),
                         9223372036854775807ULL));
    EXPECT_TRUE(accepted(hs_token(hs_header, payload_with_sub(R"("\u0037")")), 7));
}

TEST_F(JwtTest, SubRefusesEverythingElse) {
    for (const std::string_view sub : {"0",
                                       R"("0")",
                                       "-1",
                                       R"("-1")",
                                       R"("abc")",
                                       R"("")",
                                       R"("07")",
                                       R"("+7")",
                                       R"(" 7")",
                                       R"("7 ")",
                                       R"("7a")",
                                       R"("0x7")",
                                       "9223372036854775808",
                                       R"("9223372036854775808")",
                                       "18446744073709551615",
                                       R"("18446744073709551616")",
                                       R"("99999999999999999999")",
                                       "7.0",
                                       "7e0",
                                       "1e3",
                                       "true",
                                       "null",
                                       "{}",
                                       "[7]",
                                       R"("٧")"}) {
        EXPECT_TRUE(refused(hs_token(hs_header, payload_with_sub(sub)), "sub_invalid")) << sub;
    }
    EXPECT_TRUE(refused(hs_token(hs_header, R"({"exp":)" + std::to_string(now + 600) + "}"),
                        "sub_invalid"));
}

// ---- Strict JSON --------------------------------------------------------------------------------

TEST_F(JwtTest, DuplicateKeysAreRefused) {
    const std::vector<std::pair<std::string, std::string>> cases = {
            {R"({"alg":"HS256","alg":"none","kid":"hs"})", claims()},
            {R"({"alg":"none","alg":"HS256","kid":"hs"})", claims()},
            {R"({"alg":"HS256","kid":"hs","kid":"es"})", claims()},
            {R"({"alg":"HS256","\u0061lg":"HS256","kid":"hs"})", claims()},
            {R"({"alg":"HS256","kid":"hs","typ":"JWT","typ":"JWT"})", claims()},
            {R"({"alg":"HS256","kid":"hs","x":1,"x":2})", claims()},
            {std::string(hs_header), claims(R"(,"sub":"43")")},
            {std::string(hs_header), claims(R"(,"exp":1)")},
            {std::string(hs_header), claims(R"(,"\u0073ub":"43")")},
            {std::string(hs_header), claims(R"(,"nbf":1,"nbf":1)")},
            {std::string(hs_header), claims(R"(,"role":"a","role":"b")")},
    };
    for (const auto& [header, payload] : cases) {
        EXPECT_TRUE(refused(hs_token(header, payload), "token_malformed")) << header << payload;
    }
}

TEST_F(JwtTest, TrailingBytesAfterTheJsonAreRefused) {
    for (const std::string_view tail :
         {std::string_view(" x"), std::string_view("{}"), std::string_view(","),
          std::string_view("}"), std::string_view("\""), std::string_view(" 1"),
          std::string_view("\0", 1)}) {
        const std::string header = std::string(hs_header) + std::string(tail);
        EXPECT_TRUE(refused(hs_token(header, claims()), "token_malformed")) << tail;
        EXPECT_TRUE(refused(hs_token(hs_header, claims() + std::string(tail)), "token_malformed"))
                << tail;
    }
    // JSON whitespace around the object is still one JSON document.
    EXPECT_TRUE(accepted(hs_token(" \n" + std::string(hs_header) + "\r\n\t ", claims() + " "), 42));
}

TEST_F(JwtTest, TrailingBytesAfterTheTokenAreRefused) {
    const std::string token = hs_token(hs_header, claims());
    EXPECT_TRUE(refused(token + " ", "token_malformed"));
    EXPECT_TRUE(refused(token + "\n", "token_malformed"));
    EXPECT_TRUE(refused(" " + token, "token_malformed"));
    EXPECT_TRUE(refused(token + ".", "token_malformed"));
}

TEST_F(JwtTest, HeaderAndPayloadMustBeJsonObjects) {
    const std::vector<std::pair<std::string, std::string>> cases = {
            {"[]", claims()},
            {R"("HS256")", claims()},
            {"", claims()},
            {"{", claims()},
            {R"({"alg":"HS256","kid":"hs")", claims()},
            {R"({"alg":"HS256","kid":"hs",})", claims()},
            {R"({'alg':'HS256','kid':'hs'})", claims()},
            {std::string(hs_header), "[]"},
            {std::string(hs_header), "42"},
            {std::string(hs_header), ""},
            {std::string(hs_header), R"({"sub":"42","exp":1700000600)"},
            {std::string(hs_header), "\xff\xfe{}"},
    };
    for (const auto& [header, payload] : cases) {
        EXPECT_TRUE(refused(hs_token(header, payload), "token_malformed")) << header << payload;
    }
}

TEST_F(JwtTest, MalformedValuesInClaimsNobodyReadsAreRefused) {
    for (const std::string_view extra :
         {R"(,"x":tru)", R"(,"x":01)", R"(,"x":1.)", R"(,"x":-)", R"(,"x":nul)", R"(,"x":"\q")",
          R"(,"x":[1,])", R"(,"x":{"a"})", R"(,"x":"\ud800")"}) {
        EXPECT_TRUE(refused(hs_token(hs_header, claims(extra)), "token_malformed")) << extra;
        const std::string header = R"({"alg":"HS256","kid":"hs")" + std::string(extra) + "}";
        EXPECT_TRUE(refused(hs_token(header, claims()), "token_malformed")) << extra;
    }
    // Well-formed unknown claims and header members are ignored.
    EXPECT_TRUE(accepted(
            hs_token(R"({"alg":"HS256","kid":"hs","jku":"https://evil.example/keys","x":[1,{}]})",
                     claims(R"(,"iss":"me","aud":["a"],"n":1e400,"big":123456789012345678901234,)"
                            R"("o":{"sub":"1","sub":"2"},"z":null,"b":false)")),
            42));
}

TEST_F(JwtTest, DeepNestingIsRefused) {
    const std::string deep = ",\"x\":" + std::string(40, '[') + std::string(40, ']');
    EXPECT_TRUE(refused(hs_token(hs_header, claims(deep)), "token_malformed"));
    const std::string shallow = ",\"x\":" + std::string(10, '[') + std::string(10, ']');
    EXPECT_TRUE(accepted(hs_token(hs_header, claims(shallow)), 42));
}

TEST_F(JwtTest, HeaderRules) {
    EXPECT_TRUE(refused(hs_token(R"({"kid":"hs"})", claims()), "token_malformed"));
    EXPECT_TRUE(refused(hs_token(R"({"alg":256,"kid":"hs"})", claims()), "token_malformed"));
    EXPECT_TRUE(refused(hs_token(R"({"alg":"HS256","kid":"hs","crit":["exp"]})", claims()),
                        "token_malformed"));
    EXPECT_TRUE(
            refused(hs_token(R"({"alg":"HS256","kid":"hs","b64":false,"crit":["b64"]})", claims()),
                    "token_malformed"));
    for (const std::string_view typ : {"JWS", "at+jwt", "", "JWTX"}) {
        const std::string header =
                R"({"alg":"HS256","kid":"hs","typ":")" + std::string(typ) + R"("})";
        EXPECT_TRUE(refused(hs_token(header, claims()), "token_malformed")) << typ;
    }
    EXPECT_TRUE(refused(hs_token(R"({"alg":"HS256","kid":"hs","typ":1})", claims()),
                        "token_malformed"));
    for (const std::string_view typ : {"JWT", "jwt", "application/jwt", "Application/JWT"}) {
        const std::string header =
                R"({"alg":"HS256","kid":"hs","typ":")" + std::string(typ) + R"("})";
        EXPECT_TRUE(accepted(hs_token(header, claims()), 42)) << typ;
    }
}

TEST_F(JwtTest, SegmentCountMustBeThree) {
    const std::string token = hs_token(hs_header, claims());
    const std::string two = token.substr(0, token.rfind('.'));
    for (const std::string& bad :
         {std::string(), std::string("."), std::string(".."), std::string("..."), two, token + ".x",
          token + "." + token, two.substr(0, two.find('.')),
          // A JWE compact serialization has five segments.
          std::string("eyJhbGciOiJIUzI1NiJ9.a.b.c.d")}) {
        EXPECT_TRUE(refused(bad, "token_malformed")) << bad;
    }
}

// Signs the segments as given, so that only their encoding can be at fault.
std::string signed_segments(std::string_view header, std::string_view payload) {
    const std::string input = std::string(header) + "." + std::string(payload);
    return input + "." + b64(mac_text(crypto::hmac_sha256(hs_secret, input)));
}

TEST_F(JwtTest, Base64urlSegmentsMustBeCanonical) {
    const std::string header = b64(hs_header);
    const std::string payload = b64(claims());
    ASSERT_TRUE(accepted(signed_segments(header, payload), 42));
    // Padding, though the signature covers it.
    EXPECT_TRUE(refused(signed_segments(header + "=", payload), "token_malformed"));
    EXPECT_TRUE(refused(signed_segments(header, payload + "="), "token_malformed"));
    EXPECT_TRUE(refused(signed_segments(header, payload + "=="), "token_malformed"));
    // Standard-alphabet characters.
    for (const char c : {'+', '/'}) {
        std::string altered_header = header;
        altered_header[3] = c;
        EXPECT_TRUE(refused(signed_segments(altered_header, payload), "token_malformed")) << c;
        std::string altered_payload = payload;
        altered_payload[5] = c;
        EXPECT_TRUE(refused(signed_segments(header, altered_payload), "token_malformed")) << c;
    }
    // Whitespace inside a segment.
    EXPECT_TRUE(refused(signed_segments(header.substr(0, 5) + " " + header.substr(5), payload),
                        "token_malformed"));
    EXPECT_TRUE(refused(signed_segments(header, payload.substr(0, 10) + "\n" + payload.substr(10)),
                        "token_malformed"));
    // 4n+1 characters.
    EXPECT_TRUE(refused(
            signed_segments(header, payload.substr(0, payload.size() - payload.size() % 4) + "A"),
            "token_malformed"));
    // Unused low bits set in the last character of the header (35 characters: 2 unused bits).
    ASSERT_EQ(header.size() % 4, 3U);
    std::string low_bits = header;
    low_bits.back() = static_cast<char>(low_bits.back() + 1);
    EXPECT_TRUE(refused(signed_segments(low_bits, payload), "token_malformed"));
    // The same encoding faults under the original signature fail on the header at once, or on
    // the signature first when they are in the payload (claims are read only once signed).
    const std::string signature =
            signed_segments(header, payload).substr(header.size() + payload.size() + 2);
    EXPECT_TRUE(refused(header + "=." + payload + "." + signature, "token_malformed"));
    EXPECT_TRUE(refused(header + "." + payload + "=." + signature, "bad_signature"));
}

TEST_F(JwtTest, PaddedSegmentsAreRefusedEvenWhenTheSignatureCoversThem) {
    // A signer that padded its segments signed the padded text; the verifier still refuses it.
    const std::string header = b64(std::string(hs_header) + " ") + "=";
    const std::string payload = b64(claims());
    const std::string input = header + "." + payload;
    const std::string token = input + "." + b64(mac_text(crypto::hmac_sha256(hs_secret, input)));
    EXPECT_TRUE(refused(token, "token_malformed"));
}

TEST_F(JwtTest, OversizedTokenIsRefusedBeforeDecoding) {
    // Grow an unknown claim until the token is exactly the limit: accepted; one byte more is not.
    // Base64 lengths skip values (never 4n+1), so a leading space in the header shifts the total
    // when the first try jumps over the limit.
    std::string exact;
    for (int spaces = 0; spaces < 3 && exact.empty(); ++spaces) {
        const std::string header = std::string(spaces, ' ') + std::string(hs_header);
        for (std::size_t pad = 5900; pad < jwt_token_bytes_max; ++pad) {
            const std::string candidate =
                    hs_token(header, claims(",\"pad\":\"" + std::string(pad, 'p') + "\""));
            if (candidate.size() >= jwt_token_bytes_max) {
                if (candidate.size() == jwt_token_bytes_max) exact = candidate;
                break;
            }
        }
    }
    ASSERT_EQ(exact.size(), jwt_token_bytes_max);
    EXPECT_TRUE(accepted(exact, 42));
    EXPECT_TRUE(refused(exact + "A", "token_too_large"));
    EXPECT_TRUE(refused(std::string(1 << 20, 'A'), "token_too_large"));
    EXPECT_TRUE(refused(std::string(jwt_token_bytes_max, 'A'), "token_malformed"));
}

// ---- create()
// -------------------------------------------------------------------------------------

TEST(JwtCreateTest, RefusesBadKeysNamingTheKidButNeverTheSecret) {
    const std::string short_secret = "short-secret-1234567890";

    struct Case {
        const char* name;
        std::vector<JwtKeySpec> specs;
        std::string_view expected;
    };

    std::vector<Case> cases;
    {
        auto specs = default_specs();
        specs[1].kid = "hs";
        cases.push_back({"duplicate", specs, R"("hs": duplicate kid)"});
    }
    {
        auto specs = default_specs();
        specs[0].kid.clear();
        cases.push_back({"empty kid", specs, "kid must not be empty"});
    }
    {
        auto specs = default_specs();
        specs[0].secret = short_secret;
        cases.push_back({"short secret", specs, R"("hs": HS256 secret must be at least 32)"});
    }
    {
        auto specs = default_specs();
        specs[0].secret.clear();
        cases.push_back({"empty secret", specs, R"("hs": HS256 secret must be at least 32)"});
    }
    {
        auto specs = default_specs();
        specs[0].public_key_pem = es_public_pem;
        cases.push_back({"HS256 with PEM", specs, R"("hs": HS256 takes a secret)"});
    }
    {
        auto specs = default_specs();
        specs[2].secret = hs_secret;
        cases.push_back({"ES256 with secret", specs, R"("es": ES256 takes public_key_pem)"});
    }
    {
        auto specs = default_specs();
        specs[2].public_key_pem = p384_public_pem;
        cases.push_back({"ES256 on P-384", specs, R"("es": public_key_pem: EC key is not on)"});
    }
    {
        auto specs = default_specs();
        specs[2].public_key_pem.clear();
        cases.push_back({"ES256 without PEM", specs, R"("es": public_key_pem: not a PEM)"});
    }
    for (Case& c : cases) {
        std::string error;
        EXPECT_EQ(JwtVerifier::create(std::move(c.specs), error), nullptr) << c.name;
        EXPECT_NE(error.find(c.expected), std::string::npos) << c.name << ": " << error;
        EXPECT_EQ(error.find(hs_secret), std::string::npos) << c.name << ": " << error;
        EXPECT_EQ(error.find(short_secret), std::string::npos) << c.name << ": " << error;
    }
}

TEST(JwtCreateTest, EmptyKeySetRefusesEveryToken) {
    const auto verifier = make_verifier({});
    ASSERT_NE(verifier, nullptr);
    EXPECT_EQ(verifier->key_count(), 0U);
    const Result<JwtClaims> result =
            verifier->verify(mint_hs256("hs", hs_secret, 1, now, now + 60), now);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().detail(), "unknown_kid");
}

TEST(JwtCreateTest, AlgorithmNames) {
    EXPECT_EQ(parse_jwt_algorithm("HS256"), Algorithm::hs256);
    EXPECT_EQ(parse_jwt_algorithm("ES256"), Algorithm::es256);
    for (const std::string_view name : {"hs256", "es256", "none", "RS256", "HS256 ", ""}) {
        EXPECT_FALSE(parse_jwt_algorithm(name).has_value()) << name;
    }
    EXPECT_EQ(jwt_algorithm_name(Algorithm::hs256), "HS256");
    EXPECT_EQ(jwt_algorithm_name(Algorithm::es256), "ES256");
}

// ---- Threads and the per-thread HMAC cache
// --------------------------------------------------------

TEST(JwtCacheTest, VerifiersWithTheSameKidButDifferentSecretsDoNotShareContexts) {
    // The per-thread HMAC contexts are keyed by verifier: a reload that changes a secret under
    // the same kid must not keep accepting the old one (or refusing the new one).
    std::vector<JwtKeySpec> old_specs(1);
    old_specs[0].kid = "k";
    old_specs[0].secret = hs_secret;
    std::vector<JwtKeySpec> new_specs(1);
    new_specs[0].kid = "k";
    new_specs[0].secret = hs2_secret;
    const auto old_verifier = make_verifier(old_specs);
    const auto new_verifier = make_verifier(new_specs);
    ASSERT_NE(old_verifier, nullptr);
    ASSERT_NE(new_verifier, nullptr);
    const std::string old_token = mint_hs256("k", hs_secret, 1, now, now + 60);
    const std::string new_token = mint_hs256("k", hs2_secret, 2, now, now + 60);
    for (int round = 0; round < 3; ++round) {
        EXPECT_TRUE(old_verifier->verify(old_token, now).ok());
        EXPECT_FALSE(new_verifier->verify(old_token, now).ok());
        EXPECT_TRUE(new_verifier->verify(new_token, now).ok());
        EXPECT_FALSE(old_verifier->verify(new_token, now).ok());
    }
    // A verifier built where a destroyed one lived is still a different verifier.
    for (int round = 0; round < 5; ++round) {
        auto specs = round % 2 == 0 ? old_specs : new_specs;
        const auto verifier = make_verifier(std::move(specs));
        ASSERT_NE(verifier, nullptr);
        EXPECT_EQ(verifier->verify(old_token, now).ok(), round % 2 == 0) << round;
        EXPECT_EQ(verifier->verify(new_token, now).ok(), round % 2 == 1) << round;
    }
}

TEST(JwtThreadTest, OneVerifierOnManyThreads) {
    const auto verifier = make_verifier(default_specs());
    ASSERT_NE(verifier, nullptr);
    std::string error;
    const auto es_key = crypto::EcdsaP256PrivateKey::from_pem(es_private_pem, error);
    ASSERT_NE(es_key, nullptr) << error;
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            const auto id = static_cast<std::uint64_t>(t + 1);
            const std::string hs = mint_hs256("hs", hs_secret, id, now, now + 60);
            const std::string hs2 = mint_hs256("hs2", hs2_secret, id + 10, now, now + 60);
            const std::string es = mint_es256("es", *es_key, id + 20, now, now + 60);
            const std::string forged = mint_hs256("hs", hs2_secret, id, now, now + 60);
            for (int i = 0; i < 200; ++i) {
                const auto a = verifier->verify(hs, now);
                const auto b = verifier->verify(hs2, now);
                const auto c = verifier->verify(es, now);
                if (!a.ok() || a->customer_id != id) ++wrong;
                if (!b.ok() || b->customer_id != id + 10) ++wrong;
                if (!c.ok() || c->customer_id != id + 20) ++wrong;
                if (verifier->verify(forged, now).ok()) ++wrong;
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(wrong.load(), 0);
}

#ifndef CASHIERD_SANITIZED
TEST_F(JwtTest, Hs256VerificationAllocatesNothingAfterWarmUp) {
    const std::string token = mint_hs256("hs", hs_secret, 42, now, now + 60);
    const std::string refused_token = hs_token(R"({"alg":"none","kid":"hs"})", claims());
    ASSERT_TRUE(verifier_->verify(token, now).ok());
    ASSERT_FALSE(verifier_->verify(refused_token, now).ok());
    g_allocations = 0;
    g_counting = true;
    int ok = 0;
    for (int i = 0; i < 100; ++i) {
        if (verifier_->verify(token, now).ok()) ++ok;
        if (verifier_->verify(refused_token, now).ok()) --ok;
    }
    g_counting = false;
    EXPECT_EQ(ok, 100);
    EXPECT_EQ(g_allocations, 0);
}
#endif

}  // namespace
}  // namespace cashierd::providers
