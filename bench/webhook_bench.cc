// Benchmarks of a module's verify_webhook (signature check plus strict parse and mapping) for the
// sandbox module at ~200 B, 1 KiB and 4 KiB bodies and for Stripe's ~2 KiB
// payment_intent.succeeded, each next to bare crypto::hmac_sha256 over the same signed bytes
// (t + "." + body) in the same binary, so results read as ratios to the MAC alone.
// Thread: single-threaded benchmark.
#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>

#include "providers/crypto.h"
#include "providers/payment_module.h"
#include "providers/webhook_signature.h"

namespace {

using cashierd::providers::PaymentModule;
using cashierd::providers::WebhookEvent;
using cashierd::providers::WebhookHeader;
using cashierd::providers::WebhookInput;

constexpr std::string_view secret = "whsec_bench_0123456789abcdef";
constexpr std::int64_t now = 1700000000;

// The sandbox body, padded with an unknown string field to `bytes` when that is larger.
std::string sandbox_body(std::size_t bytes) {
    const std::string head =
            R"({"id":"evt_sbx_15_succeeded","transaction_id":15,"provider_payment_id":"sbx_15",)"
            R"("status":"succeeded","amount":250.00,"currency":"USD")";
    const std::string pad_open = R"(,"note":")";
    const std::string pad_close = R"("})";
    const std::size_t fixed = head.size() + pad_open.size() + pad_close.size();
    if (bytes <= fixed) return head + "}";
    return head + pad_open + std::string(bytes - fixed, 'x') + pad_close;
}

// A payment_intent.succeeded event as Stripe delivers it, about 2 KiB.
constexpr std::string_view stripe_body = R"({
  "id": "evt_3OFdTrLkdIwHu7ix0ZLjNdBc",
  "object": "event",
  "api_version": "2023-10-16",
  "created": 1700000000,
  "data": {
    "object": {
      "id": "pi_3OFdTrLkdIwHu7ix0WGzHuZx",
      "object": "payment_intent",
      "amount": 25010,
      "amount_capturable": 0,
      "amount_details": {"tip": {}},
      "amount_received": 25010,
      "application": null,
      "application_fee_amount": null,
      "automatic_payment_methods": {"allow_redirects": "always", "enabled": true},
      "canceled_at": null,
      "cancellation_reason": null,
      "capture_method": "automatic",
      "client_secret": "pi_3OFdTrLkdIwHu7ix0WGzHuZx_secret_Wm8gS1kP0m2ZKcXc6rZ0aQ1pQ",
      "confirmation_method": "automatic",
      "created": 1699999990,
      "currency": "usd",
      "customer": "cus_P3lB0o4aF0gGqV",
      "description": "Deposit to trading account 5001",
      "invoice": null,
      "last_payment_error": null,
      "latest_charge": "ch_3OFdTrLkdIwHu7ix0tFVb1Xa",
      "livemode": false,
      "metadata": {"transaction_id": "15", "login": "5001", "brand": "demo"},
      "next_action": null,
      "on_behalf_of": null,
      "payment_method": "pm_1OFdTqLkdIwHu7ixJ2c4xN3y",
      "payment_method_configuration_details": {"id": "pmc_1NzK2ALkdIwHu7ixQmL6g2Rx",
                                               "parent": null},
      "payment_method_options": {
        "card": {"installments": null, "mandate_options": null, "network": null,
                 "request_three_d_secure": "automatic"},
        "link": {"persistent_token": null}
      },
      "payment_method_types": ["card", "link"],
      "processing": null,
      "receipt_email": "jane@example.com",
      "review": null,
      "setup_future_usage": null,
      "shipping": {"address": {"city": "Limassol", "country": "CY", "line1": "1 Harbour Road",
                               "line2": null, "postal_code": "3036", "state": null},
                   "carrier": null, "name": "Jane Doe", "phone": null, "tracking_number": null},
      "source": null,
      "statement_descriptor": null,
      "statement_descriptor_suffix": null,
      "status": "succeeded",
      "transfer_data": null,
      "transfer_group": null
    }
  },
  "livemode": false,
  "pending_webhooks": 2,
  "request": {"id": "req_u0i2Xy8t9Gq1Ab",
              "idempotency_key": "6b2f5d8e-4c1a-4e0b-9b6a-0d3e2c1f7a55"},
  "type": "payment_intent.succeeded"
})";

void run_verify(benchmark::State& state, std::string_view module_name, std::string_view header,
                const std::string& body) {
    const PaymentModule* module = cashierd::providers::find_payment_module(module_name);
    const std::string signature = cashierd::providers::sign_webhook(secret, now, body);
    const WebhookHeader headers[] = {{"Content-Type", "application/json"},
                                     {"User-Agent", "Provider/1.0"},
                                     {header, signature}};
    WebhookInput input;
    input.headers = headers;
    input.body = body;
    input.secret = secret;
    input.now = now;
    WebhookEvent event;
    for (auto _ : state) {
        cashierd::Status status = module->verify_webhook(input, event);
        if (!status.ok()) {
            state.SkipWithError("verify_webhook refused the benchmark body");
            break;
        }
        benchmark::DoNotOptimize(event.transaction_id);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
    state.counters["body_bytes"] = static_cast<double>(body.size());
}

// The bare MAC over exactly the bytes the signature covers.
void run_hmac(benchmark::State& state, const std::string& body) {
    const std::string signed_bytes = std::to_string(now) + "." + body;
    for (auto _ : state) {
        cashierd::crypto::Sha256Digest digest = cashierd::crypto::hmac_sha256(secret, signed_bytes);
        benchmark::DoNotOptimize(digest);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
    state.counters["body_bytes"] = static_cast<double>(body.size());
}

// The signature check alone (header parse, MAC, compare), to split verify into MAC and parse.
void run_signature(benchmark::State& state, const std::string& body) {
    const std::string signature = cashierd::providers::sign_webhook(secret, now, body);
    for (auto _ : state) {
        cashierd::Status status =
                cashierd::providers::verify_webhook_signature(signature, secret, body, now);
        benchmark::DoNotOptimize(status);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

void BM_SandboxVerifyWebhook(benchmark::State& state) {
    run_verify(state, "sandbox", "X-Cashier-Signature",
               sandbox_body(static_cast<std::size_t>(state.range(0))));
}

void BM_SandboxSignatureOnly(benchmark::State& state) {
    run_signature(state, sandbox_body(static_cast<std::size_t>(state.range(0))));
}

void BM_SandboxHmacReference(benchmark::State& state) {
    run_hmac(state, sandbox_body(static_cast<std::size_t>(state.range(0))));
}

void BM_StripeVerifyWebhook(benchmark::State& state) {
    run_verify(state, "stripe", "Stripe-Signature", std::string(stripe_body));
}

void BM_StripeSignatureOnly(benchmark::State& state) {
    run_signature(state, std::string(stripe_body));
}

void BM_StripeHmacReference(benchmark::State& state) {
    run_hmac(state, std::string(stripe_body));
}

BENCHMARK(BM_SandboxVerifyWebhook)->Arg(200)->Arg(1024)->Arg(4096);
BENCHMARK(BM_SandboxSignatureOnly)->Arg(200)->Arg(1024)->Arg(4096);
BENCHMARK(BM_SandboxHmacReference)->Arg(200)->Arg(1024)->Arg(4096);
BENCHMARK(BM_StripeVerifyWebhook);
BENCHMARK(BM_StripeSignatureOnly);
BENCHMARK(BM_StripeHmacReference);

}  // namespace
