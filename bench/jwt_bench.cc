// Cost of JwtVerifier::verify per customer request: HS256 and ES256 tokens as `cashierd token`
// mints them, plus the refusals an attacker can make the server compute (forged HS256 and ES256
// signatures, alg none). The bm_hmac_* pair is the choice behind the per-thread keyed HMAC
// context in jwt.cc: re-keying for every token (one-shot) against reset() on a kept context, on
// a signing input of a real token's size. Run from a Release build, once per backend.
// Thread: single-threaded benchmark.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "providers/crypto.h"
#include "providers/jwt.h"

namespace {

using cashierd::providers::JwtKeySpec;
using cashierd::providers::JwtVerifier;

constexpr std::int64_t now = 1700000000;
constexpr std::string_view hs_secret = "demo-jwt-secret-change-me-0123456789abcdef";

struct Fixture {
    Fixture() {
        signer = cashierd::crypto::EcdsaP256PrivateKey::generate();
        std::vector<JwtKeySpec> specs(2);
        specs[0].kid = "demo";
        specs[0].alg = JwtKeySpec::Algorithm::hs256;
        specs[0].secret = hs_secret;
        specs[1].kid = "mobile";
        specs[1].alg = JwtKeySpec::Algorithm::es256;
        specs[1].public_key_pem = signer->public_key_pem();
        std::string error;
        verifier = JwtVerifier::create(std::move(specs), error);
        hs256 = cashierd::providers::mint_hs256("demo", hs_secret, 123456, now, now + 3600);
        es256 = cashierd::providers::mint_es256("mobile", *signer, 123456, now, now + 3600);
        hs256_forged = cashierd::providers::mint_hs256("demo", "wrong-secret-0123456789abcdef-0123",
                                                       123456, now, now + 3600);
        const auto other = cashierd::crypto::EcdsaP256PrivateKey::generate();
        es256_forged = cashierd::providers::mint_es256("mobile", *other, 123456, now, now + 3600);
        alg_none = cashierd::crypto::base64url_encode(R"({"alg":"none","kid":"demo"})") + "." +
                   hs256.substr(hs256.find('.') + 1, hs256.rfind('.') - hs256.find('.'));
        signing_input = hs256.substr(0, hs256.rfind('.'));
    }

    std::unique_ptr<cashierd::crypto::EcdsaP256PrivateKey> signer;
    std::unique_ptr<JwtVerifier> verifier;
    std::string hs256;
    std::string es256;
    std::string hs256_forged;
    std::string es256_forged;
    std::string alg_none;
    std::string signing_input;
};

const Fixture& fixture() {
    static const Fixture instance;
    return instance;
}

void run_verify(benchmark::State& state, const std::string& token, bool expect_ok) {
    const Fixture& f = fixture();
    if (f.verifier == nullptr || f.verifier->verify(token, now).ok() != expect_ok) {
        state.SkipWithError("fixture token does not verify as expected");
        return;
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(f.verifier->verify(token, now));
    }
    state.SetLabel(std::to_string(token.size()) + " B token");
}

void bm_verify_hs256(benchmark::State& state) {
    run_verify(state, fixture().hs256, true);
}

void bm_verify_es256(benchmark::State& state) {
    run_verify(state, fixture().es256, true);
}

void bm_verify_hs256_forged(benchmark::State& state) {
    run_verify(state, fixture().hs256_forged, false);
}

void bm_verify_es256_forged(benchmark::State& state) {
    run_verify(state, fixture().es256_forged, false);
}

void bm_verify_alg_none(benchmark::State& state) {
    run_verify(state, fixture().alg_none, false);
}

void bm_hmac_one_shot_signing_input(benchmark::State& state) {
    const Fixture& f = fixture();
    for (auto _ : state) {
        benchmark::DoNotOptimize(cashierd::crypto::hmac_sha256(hs_secret, f.signing_input));
    }
}

void bm_hmac_reused_context_signing_input(benchmark::State& state) {
    const Fixture& f = fixture();
    cashierd::crypto::HmacSha256 hmac(hs_secret);
    for (auto _ : state) {
        hmac.reset();
        hmac.update(f.signing_input);
        benchmark::DoNotOptimize(hmac.finish());
    }
}

BENCHMARK(bm_verify_hs256);
BENCHMARK(bm_verify_es256);
BENCHMARK(bm_verify_hs256_forged);
BENCHMARK(bm_verify_es256_forged);
BENCHMARK(bm_verify_alg_none);
BENCHMARK(bm_hmac_one_shot_signing_input);
BENCHMARK(bm_hmac_reused_context_signing_input);

}  // namespace
