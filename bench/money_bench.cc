// Benchmarks of the money hot paths: parse_amount on the texts deposits, withdrawals and
// payouts carry, and format_amount on the way out. Items are amounts. Run from a Release build.
// Thread: the benchmark's own.
#include <cstdint>
#include <string_view>

#include <benchmark/benchmark.h>

#include "ledger/money.h"

namespace {

using cashierd::ledger::amount_text_bytes_max;
using cashierd::ledger::format_amount;
using cashierd::ledger::parse_amount;

void parse(benchmark::State& state, std::string_view text, std::uint8_t exponent) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(text.data());
        const auto result = parse_amount(text, exponent);
        if (!result.ok()) {
            state.SkipWithError("refused");
            break;
        }
        benchmark::DoNotOptimize(result.value());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void format(benchmark::State& state, std::int64_t amount_minor, std::uint8_t exponent) {
    char out[amount_text_bytes_max];
    for (auto _ : state) {
        benchmark::DoNotOptimize(amount_minor);
        const std::size_t length = format_amount(amount_minor, exponent, out);
        benchmark::DoNotOptimize(length);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

BENCHMARK_CAPTURE(parse, usd_250_00, "250.00", 2);
BENCHMARK_CAPTURE(parse, usd_1234567_89, "1234567.89", 2);
BENCHMARK_CAPTURE(parse, btc_0_00012345, "0.00012345", 8);
BENCHMARK_CAPTURE(parse, usd_2_5e2, "2.5e2", 2);
BENCHMARK_CAPTURE(parse, usd_max, "10000000000000.00", 2);

BENCHMARK_CAPTURE(format, usd_250_00, 25000, 2);
BENCHMARK_CAPTURE(format, usd_1234567_89, 123456789, 2);
BENCHMARK_CAPTURE(format, btc_0_00012345, 12345, 8);
BENCHMARK_CAPTURE(format, usd_max, cashierd::ledger::amount_minor_max, 2);
BENCHMARK_CAPTURE(format, int64_min, INT64_MIN, 18);

}  // namespace
