// Fuzz target: a provider webhook through a module's verify_webhook (signature, then the strict
// JSON mapping). The first byte picks the module (sandbox, bank_transfer, stripe) and the mode:
//   A  the rest is "<signature header value>\n<body>", verified as received;
//   B  the rest is the body, signed here so the input reaches the JSON mapping.
// Properties checked on every input, not just "no crash": only the documented codes come out;
// an accepted event has an id, names a transaction unless ignored, a well-formed currency and
// amount; mode B never fails the signature; a second run of the same input agrees with the first.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "providers/payment_module.h"
#include "providers/webhook_signature.h"

using cashierd::Status;
using cashierd::StatusCode;
using cashierd::providers::WebhookEvent;
using cashierd::providers::WebhookHeader;
using cashierd::providers::WebhookInput;
using cashierd::providers::WebhookKind;

namespace {

constexpr std::string_view secret = "whsec_fuzz";
constexpr std::int64_t now = 1700000000;

struct Target {
    std::string_view module;
    std::string_view header;
};

constexpr Target targets[] = {{"sandbox", "X-Cashier-Signature"},
                              {"bank_transfer", "X-Cashier-Signature"},
                              {"stripe", "Stripe-Signature"}};

void check(bool condition) {
    if (!condition) std::abort();
}

bool is_json_number_text(std::string_view text) {
    std::size_t i = 0;
    auto digits = [&] {
        const std::size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9')
            ++i;
        return i > start;
    };
    if (i < text.size() && text[i] == '-') ++i;
    if (i < text.size() && text[i] == '0') {
        ++i;
    } else if (!digits()) {
        return false;
    }
    if (i < text.size() && text[i] == '.') {
        ++i;
        if (!digits()) return false;
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
        if (!digits()) return false;
    }
    return i == text.size();
}

void check_status(const Status& status, std::string_view module) {
    switch (status.code()) {
        case StatusCode::ok:
            return;
        case StatusCode::invalid_signature:
            check(status.detail() == cashierd::providers::detail_signature_missing ||
                  status.detail() == cashierd::providers::detail_signature_malformed ||
                  status.detail() == cashierd::providers::detail_timestamp_stale ||
                  status.detail() == cashierd::providers::detail_signature_mismatch);
            check(status.field().empty());
            return;
        case StatusCode::invalid_data:
            check(!status.detail().empty());
            return;
        case StatusCode::not_found:
            check(module == "stripe");
            check(status.detail() == "transaction_not_referenced");
            return;
        default:
            check(false);
    }
}

void check_event(const WebhookEvent& event, std::string_view module) {
    check(!event.event_id.empty());
    check(event.event_id.size() <= 255);
    if (event.kind != WebhookKind::ignored) check(event.transaction_id > 0);
    check(event.currency.empty() || event.currency.size() == 3);
    for (const char c : event.currency)
        check(c >= 'A' && c <= 'Z');
    check(event.amount_minor == -1 || event.amount_minor > 0);
    check(event.amount_text.empty() || is_json_number_text(event.amount_text));
    if (module == "stripe") {
        check(event.amount_text.empty());
    } else {
        // The local formats carry every field on every event.
        check(event.kind != WebhookKind::ignored);
        check(event.amount_minor == -1);
        check(!event.amount_text.empty());
        check(event.currency.size() == 3);
    }
    if (module == "bank_transfer") {
        check(event.provider_payment_id == "CSH-" + std::to_string(event.transaction_id));
    }
}

bool same_event(const WebhookEvent& a, const WebhookEvent& b) {
    return a.event_id == b.event_id && a.kind == b.kind && a.transaction_id == b.transaction_id &&
           a.provider_payment_id == b.provider_payment_id && a.amount_text == b.amount_text &&
           a.amount_minor == b.amount_minor && a.currency == b.currency && a.reason == b.reason;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const Target& target = targets[data[0] % 3];
    const bool sign_here = (data[0] / 3) % 2 == 1;
    const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

    std::string signature;
    std::string_view body = rest;
    if (sign_here) {
        signature = cashierd::providers::sign_webhook(secret, now, body);
    } else {
        const std::size_t newline = rest.find('\n');
        signature.assign(rest.substr(0, newline));
        body = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    }
    const WebhookHeader header{target.header, signature};
    WebhookInput input;
    input.headers = std::span(&header, 1);
    input.body = body;
    input.secret = secret;
    input.now = now;

    const cashierd::providers::PaymentModule* module =
            cashierd::providers::find_payment_module(target.module);
    check(module != nullptr);
    WebhookEvent event;
    const Status status = module->verify_webhook(input, event);
    check_status(status, target.module);
    if (sign_here) check(status.code() != StatusCode::invalid_signature);
    if (status.ok()) check_event(event, target.module);

    // The thread_local parsers are reused: the same input must give the same answer.
    WebhookEvent again;
    const Status second = module->verify_webhook(input, again);
    check(second.code() == status.code());
    check(second.detail() == status.detail());
    check(second.field() == status.field());
    if (status.ok()) check(same_event(event, again));
    return 0;
}
