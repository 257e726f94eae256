// JSON on the request path, one core: JsonReader::read_object() on a seed-002 deposit body (all
// ten request fields, strict checks included) and JsonWriter producing a seed-002 deposit
// response (transaction + payment + next_action). Compare with shared/baselines FINDINGS §3.c,
// which measured bare simdjson On-Demand on a similar body.
#include <string>

#include <benchmark/benchmark.h>

#include "http/json_reader.h"
#include "http/json_writer.h"
#include "reactor/base/limits.h"

namespace cashierd::http {
namespace {

constexpr std::string_view deposit_body =
        R"({"login":2000009,"provider":"stripe","method":"card","amount":250.0,"currency":"USD",)"
        R"("idempotency_key":"0f9bb0e7-642d-4b70-b458-62e3993c7d2d",)"
        R"("success_url":"https://terminal.example.com/cashier/success",)"
        R"("failure_url":"https://terminal.example.com/cashier/failure",)"
        R"("comment":"first deposit","metadata_json":"{\"source\":\"terminal\"}"})";

constexpr JsonField deposit_fields[] = {
        {"login", JsonType::int64, true},
        {"provider", JsonType::string, true},
        {"amount", JsonType::number_or_string, true},
        {"currency", JsonType::string, true},
        {"method", JsonType::string},
        {"idempotency_key", JsonType::string},
        {"success_url", JsonType::string},
        {"failure_url", JsonType::string},
        {"comment", JsonType::string},
        {"metadata_json", JsonType::string},
};

void read_deposit(benchmark::State& state) {
    JsonReader reader(limits::request_body_bytes_max);
    std::string buffer(deposit_body);
    buffer.append(limits::json_padding_bytes, '\0');
    const std::string_view document(buffer.data(), deposit_body.size());
    JsonValue out[std::size(deposit_fields)];
    for (auto _ : state) {
        const Status status = reader.read_object(document, buffer.size(), deposit_fields, out);
        if (!status.ok()) {
            state.SkipWithError("read_object failed");
            break;
        }
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(deposit_body.size()));
}

BENCHMARK(read_deposit);

void write_transaction(JsonWriter& json) {
    json.begin_object();
    json.field("id", std::int64_t{15});
    json.field("customer_id", std::int64_t{5});
    json.field("login", std::int64_t{2000009});
    json.field("type", std::int64_t{0});
    json.field("provider", "stripe");
    json.field("method", "card");
    json.field("provider_payment_id", "pi_123");
    json.key("amount").raw("250.00");
    json.field("currency", "USD");
    json.field("account_currency", "USD");
    json.key("converted_amount").raw("250.00");
    json.key("conversion_rate").raw("1.0");
    json.field("status", std::int64_t{1});
    json.field("failure_reason", "");
    json.field("idempotency_key", "0f9bb0e7-642d-4b70-b458-62e3993c7d2d");
    json.field("comment", "first deposit");
    json.field("metadata_json", "{\"source\":\"terminal\"}");
    json.field("created_time", std::int64_t{1779270000});
    json.field("updated_time", std::int64_t{1779270000});
    json.end_object();
}

void write_deposit_response(benchmark::State& state) {
    std::string out;
    out.reserve(2048);
    for (auto _ : state) {
        out.clear();
        JsonWriter json(out);
        json.begin_object();
        json.key("transaction");
        write_transaction(json);
        json.key("payment").begin_object();
        json.field("provider_payment_id", "pi_123");
        json.field("redirect_url", "https://provider.example/pay/pi_123");
        json.field("instructions_json", "{}");
        json.field("raw_response_json", "{}");
        json.field("status", std::int64_t{1});
        json.field("failure_reason", "");
        json.end_object();
        json.field("next_action", "REDIRECT");
        json.end_object();
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

BENCHMARK(write_deposit_response);

}  // namespace
}  // namespace cashierd::http
