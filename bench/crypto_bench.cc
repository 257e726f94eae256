// Throughput of the crypto module on a webhook-sized (1 KiB) body: a keyed HmacSha256 reset per
// message (the hot-path pattern) against one-shot hmac_sha256, which allocates and re-keys each
// time, and plain SHA-256. Run from a Release build, once per backend.
// Thread: single-threaded benchmark.

#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>

#include "providers/crypto.h"

namespace {

constexpr std::size_t message_bytes = 1024;

const std::string& message() {
    static const std::string text(message_bytes, 'm');
    return text;
}

const std::string& key() {
    static const std::string text(32, 'k');
    return text;
}

void bm_hmac_sha256_reused_context(benchmark::State& state) {
    cashierd::crypto::HmacSha256 hmac(key());
    for (auto _ : state) {
        hmac.reset();
        hmac.update(message());
        benchmark::DoNotOptimize(hmac.finish());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message_bytes));
}

void bm_hmac_sha256_one_shot(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(cashierd::crypto::hmac_sha256(key(), message()));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message_bytes));
}

void bm_sha256(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(cashierd::crypto::sha256(message()));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message_bytes));
}

BENCHMARK(bm_hmac_sha256_reused_context);
BENCHMARK(bm_hmac_sha256_one_shot);
BENCHMARK(bm_sha256);

}  // namespace
