// Tests of the modules' verify_webhook (providers/payment_modules.cc): the sandbox and
// bank_transfer formats and Stripe's events, every mapping and every refusal. Bodies are signed
// with sign_webhook, whose digests webhook_signature_test checks against python3.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "providers/payment_module.h"
#include "providers/webhook_signature.h"

namespace cashierd::providers {
namespace {

constexpr std::string_view secret = "whsec_test";
constexpr std::int64_t now = 1700000000;

struct Outcome {
    Status status;
    WebhookEvent event;
};

Status verify_into(std::string_view module_name, std::string_view header_name,
                   std::string_view body, WebhookEvent& event) {
    const PaymentModule* module = find_payment_module(module_name);
    if (module == nullptr) return Status(StatusCode::internal, "no_such_module");
    const std::string signature = sign_webhook(secret, now, body);
    const WebhookHeader header{header_name, signature};
    WebhookInput input;
    input.headers = std::span(&header, 1);
    input.body = body;
    input.secret = secret;
    input.now = now;
    return module->verify_webhook(input, event);
}

Outcome sandbox(std::string_view body) {
    Outcome out;
    out.status = verify_into("sandbox", "X-Cashier-Signature", body, out.event);
    return out;
}

Outcome bank(std::string_view body) {
    Outcome out;
    out.status = verify_into("bank_transfer", "X-Cashier-Signature", body, out.event);
    return out;
}

Outcome stripe(std::string_view body) {
    Outcome out;
    out.status = verify_into("stripe", "Stripe-Signature", body, out.event);
    return out;
}

void expect_invalid(const Outcome& outcome, std::string_view detail, std::string_view field) {
    EXPECT_EQ(outcome.status.code(), StatusCode::invalid_data) << outcome.status.name();
    EXPECT_EQ(outcome.status.detail(), detail);
    EXPECT_EQ(outcome.status.field(), field);
}

void expect_signature(const Outcome& outcome, std::string_view detail) {
    EXPECT_EQ(outcome.status.code(), StatusCode::invalid_signature) << outcome.status.name();
    EXPECT_EQ(outcome.status.detail(), detail);
}

std::string replace(std::string text, std::string_view from, std::string_view to) {
    const std::size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
}

// ---- the modules compiled in -------------------------------------------------------------------

TEST(WebhookModulesTest, ThreeModulesAreCompiledIn) {
    const std::vector<std::string_view> names = payment_module_names();
    EXPECT_EQ(names, (std::vector<std::string_view>{"sandbox", "bank_transfer", "stripe"}));
    for (std::string_view name : names) {
        ASSERT_NE(find_payment_module(name), nullptr);
        EXPECT_EQ(find_payment_module(name)->name(), name);
    }
    EXPECT_EQ(find_payment_module("Stripe"), nullptr);
}

TEST(WebhookModulesTest, StripeCannotCreatePaymentsYet) {
    PaymentRequest request;
    request.transaction_id = 15;
    PaymentCreation creation;
    const Status status = find_payment_module("stripe")->create_payment(request, creation);
    EXPECT_EQ(status.code(), StatusCode::ret_err_noservice);
    EXPECT_EQ(status.detail(), "stripe_payments_not_available");
    EXPECT_TRUE(creation.provider_payment_id.empty());
}

// ---- sandbox -----------------------------------------------------------------------------------

constexpr std::string_view sandbox_body =
        R"({"id":"evt_sbx_15_succeeded","transaction_id":15,"provider_payment_id":"sbx_15",)"
        R"("status":"succeeded","amount":250.0,"currency":"USD"})";

TEST(WebhookModulesTest, SandboxMapsEveryField) {
    const Outcome outcome = sandbox(sandbox_body);
    ASSERT_TRUE(outcome.status.ok()) << outcome.status.detail() << outcome.status.field();
    EXPECT_EQ(outcome.event.event_id, "evt_sbx_15_succeeded");
    EXPECT_EQ(outcome.event.kind, WebhookKind::succeeded);
    EXPECT_EQ(outcome.event.transaction_id, 15u);
    EXPECT_EQ(outcome.event.provider_payment_id, "sbx_15");
    EXPECT_EQ(outcome.event.amount_text, "250.0");
    EXPECT_EQ(outcome.event.amount_minor, -1);
    EXPECT_EQ(outcome.event.currency, "USD");
    EXPECT_TRUE(outcome.event.reason.empty());
}

TEST(WebhookModulesTest, SandboxStatuses) {
    const std::pair<std::string_view, WebhookKind> statuses[] = {
            {"succeeded", WebhookKind::succeeded},
            {"failed", WebhookKind::failed},
            {"cancelled", WebhookKind::cancelled},
            {"refunded", WebhookKind::refunded},
            {"chargeback", WebhookKind::chargeback}};
    for (const auto& [text, kind] : statuses) {
        const Outcome outcome = sandbox(replace(std::string(sandbox_body), "\"succeeded\"",
                                                "\"" + std::string(text) + "\""));
        ASSERT_TRUE(outcome.status.ok()) << text;
        EXPECT_EQ(outcome.event.kind, kind) << text;
    }
    for (std::string_view unknown : {"\"paid\"", "\"Succeeded\"", "\"\"", "\"succeeded \""}) {
        expect_invalid(sandbox(replace(std::string(sandbox_body), "\"succeeded\"", unknown)),
                       "status_unknown", "status");
    }
    expect_invalid(sandbox(replace(std::string(sandbox_body), "\"succeeded\"", "2")), "wrong_type",
                   "status");
}

TEST(WebhookModulesTest, SandboxAmountTextIsTheExactSource) {
    for (std::string_view amount :
         {"250.10", "1e2", "250", "0.000001", "1E+2", "-5", "0", "12345678901234567890123.45"}) {
        const Outcome outcome = sandbox(replace(std::string(sandbox_body), "250.0", amount));
        ASSERT_TRUE(outcome.status.ok()) << amount;
        EXPECT_EQ(outcome.event.amount_text, amount);
    }
    // Whitespace around the number is not part of it.
    const Outcome spaced = sandbox(replace(std::string(sandbox_body), "250.0", " \n250.10 \t\r\n"));
    ASSERT_TRUE(spaced.status.ok());
    EXPECT_EQ(spaced.event.amount_text, "250.10");
    // The last member, right before the closing brace.
    const Outcome last = sandbox(
            R"({"id":"e","transaction_id":1,"status":"failed","currency":"EUR","amount":7.50})");
    ASSERT_TRUE(last.status.ok());
    EXPECT_EQ(last.event.amount_text, "7.50");
    // An escaped key is the same key.
    const Outcome escaped =
            sandbox(replace(std::string(sandbox_body), "\"amount\"", "\"\\u0061mount\""));
    ASSERT_TRUE(escaped.status.ok());
    EXPECT_EQ(escaped.event.amount_text, "250.0");
    // An unknown nested "amount" is not the amount.
    const Outcome nested = sandbox(
            replace(std::string(sandbox_body), "{\"id\"", R"({"extra":{"amount":999},"id")"));
    ASSERT_TRUE(nested.status.ok());
    EXPECT_EQ(nested.event.amount_text, "250.0");
}

TEST(WebhookModulesTest, SandboxAmountMustBeANumber) {
    expect_invalid(sandbox(replace(std::string(sandbox_body), "250.0", "\"250.00\"")), "wrong_type",
                   "amount");
    expect_invalid(sandbox(replace(std::string(sandbox_body), "250.0", "true")), "wrong_type",
                   "amount");
    expect_invalid(sandbox(replace(std::string(sandbox_body), "250.0", "null")), "wrong_type",
                   "amount");
    expect_invalid(sandbox(replace(std::string(sandbox_body), "250.0", "[250]")), "wrong_type",
                   "amount");
    // Not JSON numbers at all: the document is refused.
    // Integers past uint64 too: simdjson's DOM refuses them as numbers it cannot hold.
    for (std::string_view bad :
         {"250.", ".5", "+1", "01", "NaN", "1e", "0x10", "1e400", "18446744073709551616"}) {
        expect_invalid(sandbox(replace(std::string(sandbox_body), "250.0", bad)), "malformed_json",
                       "");
    }
}

TEST(WebhookModulesTest, SandboxProviderPaymentIdIsOptional) {
    const Outcome absent = sandbox(
            R"({"id":"e","transaction_id":15,"status":"failed","amount":1,"currency":"USD"})");
    ASSERT_TRUE(absent.status.ok());
    EXPECT_TRUE(absent.event.provider_payment_id.empty());
    const Outcome null = sandbox(replace(std::string(sandbox_body), "\"sbx_15\"", "null"));
    ASSERT_TRUE(null.status.ok());
    EXPECT_TRUE(null.event.provider_payment_id.empty());
    expect_invalid(sandbox(replace(std::string(sandbox_body), "\"sbx_15\"", "15")), "wrong_type",
                   "provider_payment_id");
    const std::string long_id = "\"" + std::string(256, 'p') + "\"";
    expect_invalid(sandbox(replace(std::string(sandbox_body), "\"sbx_15\"", long_id)), "too_long",
                   "provider_payment_id");
    const Outcome longest = sandbox(
            replace(std::string(sandbox_body), "\"sbx_15\"", "\"" + std::string(255, 'p') + "\""));
    EXPECT_TRUE(longest.status.ok());
}

TEST(WebhookModulesTest, SandboxTransactionIdIsAPositiveInteger) {
    for (std::string_view bad : {"0", "-1", "15.0", "1e2", "\"15\"", "null", "true"}) {
        const Outcome outcome =
                sandbox(replace(std::string(sandbox_body), "15,", std::string(bad) + ","));
        EXPECT_EQ(outcome.status.code(), StatusCode::invalid_data) << bad;
        EXPECT_EQ(outcome.status.field(), "transaction_id") << bad;
    }
    expect_invalid(sandbox(replace(std::string(sandbox_body), "15,", "0,")), "not_positive",
                   "transaction_id");
    expect_invalid(sandbox(replace(std::string(sandbox_body), "15,", "15.0,")), "wrong_type",
                   "transaction_id");
    const Outcome largest =
            sandbox(replace(std::string(sandbox_body), "15,", "18446744073709551615,"));
    ASSERT_TRUE(largest.status.ok());
    EXPECT_EQ(largest.event.transaction_id, 18446744073709551615u);
    expect_invalid(sandbox(replace(std::string(sandbox_body), "15,", "18446744073709551616,")),
                   "malformed_json", "");
}

TEST(WebhookModulesTest, SandboxEventIdAndCurrency) {
    expect_invalid(sandbox(replace(std::string(sandbox_body), "\"evt_sbx_15_succeeded\"", "\"\"")),
                   "event_id_length", "id");
    expect_invalid(sandbox(replace(std::string(sandbox_body), "\"evt_sbx_15_succeeded\"",
                                   "\"" + std::string(129, 'e') + "\"")),
                   "event_id_length", "id");
    const Outcome longest = sandbox(replace(std::string(sandbox_body), "\"evt_sbx_15_succeeded\"",
                                            "\"" + std::string(128, 'e') + "\""));
    ASSERT_TRUE(longest.status.ok());
    EXPECT_EQ(longest.event.event_id, std::string(128, 'e'));
    expect_invalid(sandbox(replace(std::string(sandbox_body), "\"evt_sbx_15_succeeded\"", "7")),
                   "wrong_type", "id");
    for (std::string_view bad : {"\"usd\"", "\"US\"", "\"USDT\"", "\"U5D\"", "\"\""}) {
        expect_invalid(sandbox(replace(std::string(sandbox_body), "\"USD\"", bad)),
                       "currency_invalid", "currency");
    }
    expect_invalid(sandbox(replace(std::string(sandbox_body), "\"USD\"", "840")), "wrong_type",
                   "currency");
}

TEST(WebhookModulesTest, SandboxMissingFields) {
    const std::pair<std::string_view, std::string_view> members[] = {
            {R"("id":"evt_sbx_15_succeeded",)", "id"},
            {R"("transaction_id":15,)", "transaction_id"},
            {R"("status":"succeeded",)", "status"},
            {R"("amount":250.0,)", "amount"},
            {R"(,"currency":"USD")", "currency"}};
    for (const auto& [member, field] : members) {
        expect_invalid(sandbox(replace(std::string(sandbox_body), member, "")), "missing_field",
                       field);
    }
}

TEST(WebhookModulesTest, SandboxRefusesDuplicatedKeys) {
    const std::pair<std::string_view, std::string_view> duplicates[] = {
            {R"("id":"evt_other",)", "id"},
            {R"("transaction_id":16,)", "transaction_id"},
            {R"("provider_payment_id":"sbx_16",)", "provider_payment_id"},
            {R"("status":"failed",)", "status"},
            {R"("amount":1.0,)", "amount"},
            {R"("currency":"EUR",)", "currency"},
            {R"("\u0061mount":250.0,)", "amount"}};
    for (const auto& [member, field] : duplicates) {
        expect_invalid(sandbox(replace(std::string(sandbox_body), "{", "{" + std::string(member))),
                       "duplicate_key", field);
    }
    // An unknown key is refused too; its name is not static text, so no field is named.
    expect_invalid(sandbox(replace(std::string(sandbox_body), "{", R"({"x":1,"x":1,)")),
                   "duplicate_key", "");
    // Repeated keys inside an unknown nested object are not the module's business.
    EXPECT_TRUE(
            sandbox(replace(std::string(sandbox_body), "{", R"({"x":{"y":1,"y":2},)")).status.ok());
}

TEST(WebhookModulesTest, SandboxRefusesAnythingButOneStrictObject) {
    const std::string body(sandbox_body);
    expect_invalid(sandbox(body + " x"), "malformed_json", "");
    expect_invalid(sandbox(body + "{}"), "malformed_json", "");
    expect_invalid(sandbox(body + body), "malformed_json", "");
    expect_invalid(sandbox(body + std::string(1, '\0')), "malformed_json", "");
    expect_invalid(sandbox(body.substr(0, body.size() - 1)), "malformed_json", "");
    expect_invalid(sandbox(replace(body, ",\"status\"", ",,\"status\"")), "malformed_json", "");
    expect_invalid(sandbox(replace(body, "sbx_15", "sbx_\xff")), "malformed_json", "");
    expect_invalid(sandbox(replace(body, "sbx_15", "sbx\\x")), "malformed_json", "");
    expect_invalid(sandbox(replace(body, "{", R"({"skipped":[1,,2],)")), "malformed_json", "");
    expect_invalid(sandbox(replace(body, "{", R"({"skipped":tru,)")), "malformed_json", "");
    expect_invalid(sandbox("[" + body + "]"), "not_an_object", "");
    expect_invalid(sandbox("\"text\""), "not_an_object", "");
    expect_invalid(sandbox(""), "empty_document", "");
    expect_invalid(sandbox("  \n"), "empty_document", "");
    // Whitespace around the document is fine, and so are unknown fields of every type.
    EXPECT_TRUE(sandbox(" \n" + body + "\r\n ").status.ok());
    EXPECT_TRUE(sandbox(replace(body, "{", R"({"meta":{"a":[1,2.5e3,null,true,{"b":"\u00e9"}]},)"))
                        .status.ok());
}

TEST(WebhookModulesTest, SandboxChecksTheSignatureBeforeTheBody) {
    const PaymentModule* module = find_payment_module("sandbox");
    const std::string garbage = "{not json";
    const std::string signature = sign_webhook(secret, now, sandbox_body);
    WebhookHeader header{"x-cashier-signature", signature};
    WebhookInput input;
    input.headers = std::span(&header, 1);
    input.body = garbage;
    input.secret = secret;
    input.now = now;
    WebhookEvent event;
    expect_signature({module->verify_webhook(input, event), {}}, detail_signature_mismatch);
    EXPECT_TRUE(event.event_id.empty());

    input.body = sandbox_body;
    ASSERT_TRUE(module->verify_webhook(input, event).ok());  // Header name in any case.
    input.now = now + 301;
    expect_signature({module->verify_webhook(input, event), {}}, detail_timestamp_stale);
    input.now = now;
    input.secret = "whsec_other";
    expect_signature({module->verify_webhook(input, event), {}}, detail_signature_mismatch);
    input.secret = secret;

    header.name = "Stripe-Signature";
    expect_signature({module->verify_webhook(input, event), {}}, detail_signature_missing);
    header.name = "X-Cashier-Signature";
    header.value = "";
    expect_signature({module->verify_webhook(input, event), {}}, detail_signature_missing);
    const WebhookHeader twice[] = {{"X-Cashier-Signature", signature},
                                   {"X-Cashier-Signature", signature}};
    input.headers = twice;
    expect_signature({module->verify_webhook(input, event), {}}, detail_signature_malformed);
}

TEST(WebhookModulesTest, AReusedEventStartsClean) {
    WebhookEvent event;
    ASSERT_TRUE(verify_into("stripe", "Stripe-Signature",
                            R"({"id":"evt_1","type":"charge.dispute.created","data":{"object":{)"
                            R"("payment_intent":"pi_1","amount":500,"currency":"eur",)"
                            R"("reason":"fraudulent","metadata":{"transaction_id":"9"}}}})",
                            event)
                        .ok());
    EXPECT_EQ(event.amount_minor, 500);
    ASSERT_TRUE(verify_into("sandbox", "X-Cashier-Signature",
                            R"({"id":"e2","transaction_id":3,"status":"failed","amount":1,)"
                            R"("currency":"USD"})",
                            event)
                        .ok());
    EXPECT_EQ(event.event_id, "e2");
    EXPECT_EQ(event.kind, WebhookKind::failed);
    EXPECT_EQ(event.transaction_id, 3u);
    EXPECT_TRUE(event.provider_payment_id.empty());
    EXPECT_EQ(event.amount_minor, -1);
    EXPECT_TRUE(event.reason.empty());
    // A refused event leaves nothing of the previous one behind.
    EXPECT_FALSE(verify_into("sandbox", "X-Cashier-Signature", "{}", event).ok());
    EXPECT_TRUE(event.event_id.empty());
    EXPECT_EQ(event.transaction_id, 0u);
    EXPECT_TRUE(event.amount_text.empty());
    EXPECT_TRUE(event.currency.empty());
}

// ---- bank_transfer -----------------------------------------------------------------------------

constexpr std::string_view bank_body =
        R"({"id":"bank_ntf_881","reference":"CSH-15","status":"succeeded","amount":"250.00",)"
        R"("currency":"EUR"})";

TEST(WebhookModulesTest, BankTransferMapsEveryField) {
    const Outcome outcome = bank(bank_body);
    ASSERT_TRUE(outcome.status.ok()) << outcome.status.detail() << outcome.status.field();
    EXPECT_EQ(outcome.event.event_id, "bank_ntf_881");
    EXPECT_EQ(outcome.event.kind, WebhookKind::succeeded);
    EXPECT_EQ(outcome.event.transaction_id, 15u);
    EXPECT_EQ(outcome.event.provider_payment_id, "CSH-15");
    EXPECT_EQ(outcome.event.amount_text, "250.00");
    EXPECT_EQ(outcome.event.amount_minor, -1);
    EXPECT_EQ(outcome.event.currency, "EUR");

    const std::pair<std::string_view, WebhookKind> statuses[] = {
            {"failed", WebhookKind::failed},
            {"cancelled", WebhookKind::cancelled},
            {"refunded", WebhookKind::refunded},
            {"chargeback", WebhookKind::chargeback}};
    for (const auto& [text, kind] : statuses) {
        const Outcome mapped = bank(
                replace(std::string(bank_body), "\"succeeded\"", "\"" + std::string(text) + "\""));
        ASSERT_TRUE(mapped.status.ok()) << text;
        EXPECT_EQ(mapped.event.kind, kind);
    }
    expect_invalid(bank(replace(std::string(bank_body), "\"succeeded\"", "\"settled\"")),
                   "status_unknown", "status");
}

TEST(WebhookModulesTest, BankTransferReferenceMatchesCreatePayment) {
    PaymentRequest request;
    request.transaction_id = 4242;
    request.amount_text = "10.00";
    request.currency = "EUR";
    PaymentCreation creation;
    ASSERT_TRUE(find_payment_module("bank_transfer")->create_payment(request, creation).ok());
    const Outcome outcome =
            bank(replace(std::string(bank_body), "CSH-15", creation.provider_payment_id));
    ASSERT_TRUE(outcome.status.ok());
    EXPECT_EQ(outcome.event.transaction_id, 4242u);
    EXPECT_EQ(outcome.event.provider_payment_id, creation.provider_payment_id);

    const Outcome largest =
            bank(replace(std::string(bank_body), "CSH-15", "CSH-18446744073709551615"));
    ASSERT_TRUE(largest.status.ok());
    EXPECT_EQ(largest.event.transaction_id, 18446744073709551615u);
}

TEST(WebhookModulesTest, BankTransferRefusesMalformedReferences) {
    for (std::string_view bad :
         {"CSH-0", "CSH-", "CSH-01", "csh-15", "CSH-15x", "CSH--1", "CSH-+1", "CSH- 15", " CSH-15",
          "CSH-18446744073709551616", "CSH-99999999999999999999", "XYZ-15", "CSH15", ""}) {
        const Outcome outcome = bank(replace(std::string(bank_body), "CSH-15", bad));
        expect_invalid(outcome, "reference_invalid", "reference");
        EXPECT_EQ(outcome.event.transaction_id, 0u) << bad;
    }
    expect_invalid(bank(replace(std::string(bank_body), "\"CSH-15\"", "15")), "wrong_type",
                   "reference");
    expect_invalid(bank(replace(std::string(bank_body), R"("reference":"CSH-15",)", "")),
                   "missing_field", "reference");
    expect_invalid(bank(replace(std::string(bank_body), "{", R"({"reference":"CSH-16",)")),
                   "duplicate_key", "reference");
}

TEST(WebhookModulesTest, BankTransferAmountIsANumberOrADecimalString) {
    for (std::string_view amount : {"250.10", "1e2", "7", "0.5", "-3"}) {
        const Outcome as_string = bank(replace(std::string(bank_body), "250.00", amount));
        ASSERT_TRUE(as_string.status.ok()) << amount;
        EXPECT_EQ(as_string.event.amount_text, amount);
        const Outcome as_number = bank(replace(std::string(bank_body), "\"250.00\"", amount));
        ASSERT_TRUE(as_number.status.ok()) << amount;
        EXPECT_EQ(as_number.event.amount_text, amount);
    }
    for (std::string_view bad :
         {"abc", "", " 250", "250 ", "+1", "01", "1.", ".5", "1,5", "0x1A", "NaN", "250.00EUR"}) {
        expect_invalid(bank(replace(std::string(bank_body), "250.00", bad)), "invalid_number",
                       "amount");
    }
    expect_invalid(bank(replace(std::string(bank_body), "\"250.00\"", "{}")), "wrong_type",
                   "amount");
    expect_invalid(bank(replace(std::string(bank_body), "\"250.00\"", "false")), "wrong_type",
                   "amount");
}

TEST(WebhookModulesTest, BankTransferStrictness) {
    const std::string body(bank_body);
    expect_invalid(bank(body + "\n}"), "malformed_json", "");
    expect_invalid(bank(replace(body, "{", R"({"amount":"1.00",)")), "duplicate_key", "amount");
    expect_invalid(bank(replace(body, "{", R"({"id":"x",)")), "duplicate_key", "id");
    expect_invalid(bank(replace(body, "{", R"({"note":"a","note":"b",)")), "duplicate_key", "");
    expect_invalid(bank(replace(body, "\"EUR\"", "\"eur\"")), "currency_invalid", "currency");
    expect_invalid(bank(replace(body, R"(,"currency":"EUR")", "")), "missing_field", "currency");
    expect_invalid(bank(replace(body, "\"bank_ntf_881\"", "\"\"")), "event_id_length", "id");
    // A sandbox-style body is not a bank notification.
    expect_invalid(bank(sandbox_body), "missing_field", "reference");
    EXPECT_TRUE(bank(replace(body, "{", R"({"iban":"DE89370400440532013000","payer":{"n":1},)"))
                        .status.ok());
}

// ---- stripe ------------------------------------------------------------------------------------

// A payment_intent.succeeded event in the shape Stripe delivers it (API version 2023-10-16).
constexpr std::string_view stripe_succeeded = R"({
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
      "shipping": null,
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

// A charge.dispute.created event in the shape Stripe delivers it. cashierd's metadata is set on
// the dispute here: Stripe does not copy a payment's metadata onto its disputes.
constexpr std::string_view stripe_dispute = R"({
  "id": "evt_1OGx0aLkdIwHu7ixf9rPq2Lm",
  "object": "event",
  "api_version": "2023-10-16",
  "created": 1700000000,
  "data": {
    "object": {
      "id": "dp_1OGx0ZLkdIwHu7ixk8H9s3Qe",
      "object": "dispute",
      "amount": 25010,
      "balance_transactions": [
        {"id": "txn_1OGx0ZLkdIwHu7ixR3p8eT4u", "object": "balance_transaction", "amount": -25010,
         "currency": "usd", "fee": 1500, "fee_details": [{"amount": 1500, "currency": "usd",
         "description": "Dispute fee", "type": "stripe_fee"}], "net": -26510,
         "reporting_category": "dispute", "status": "available", "type": "adjustment"}
      ],
      "charge": "ch_3OFdTrLkdIwHu7ix0tFVb1Xa",
      "created": 1699999999,
      "currency": "usd",
      "evidence": {"access_activity_log": null, "billing_address": null,
                   "customer_email_address": "jane@example.com", "product_description": null,
                   "uncategorized_text": null},
      "evidence_details": {"due_by": 1700863999, "has_evidence": false, "past_due": false,
                           "submission_count": 0},
      "is_charge_refundable": false,
      "livemode": false,
      "metadata": {"transaction_id": "15"},
      "network_reason_code": "10.4",
      "payment_intent": "pi_3OFdTrLkdIwHu7ix0WGzHuZx",
      "payment_method_details": {"card": {"brand": "visa", "network_reason_code": "10.4"},
                                 "type": "card"},
      "reason": "fraudulent",
      "status": "needs_response"
    }
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": {"id": null, "idempotency_key": null},
  "type": "charge.dispute.created"
})";

TEST(WebhookModulesTest, StripePaymentIntentSucceededAsStripeSendsIt) {
    const Outcome outcome = stripe(stripe_succeeded);
    ASSERT_TRUE(outcome.status.ok()) << outcome.status.detail() << outcome.status.field();
    EXPECT_EQ(outcome.event.event_id, "evt_3OFdTrLkdIwHu7ix0ZLjNdBc");
    EXPECT_EQ(outcome.event.kind, WebhookKind::succeeded);
    EXPECT_EQ(outcome.event.transaction_id, 15u);
    EXPECT_EQ(outcome.event.provider_payment_id, "pi_3OFdTrLkdIwHu7ix0WGzHuZx");
    EXPECT_EQ(outcome.event.amount_minor, 25010);
    EXPECT_TRUE(outcome.event.amount_text.empty());
    EXPECT_EQ(outcome.event.currency, "USD");
    EXPECT_TRUE(outcome.event.reason.empty());
}

TEST(WebhookModulesTest, StripeDisputeCreatedAsStripeSendsIt) {
    const Outcome outcome = stripe(stripe_dispute);
    ASSERT_TRUE(outcome.status.ok()) << outcome.status.detail() << outcome.status.field();
    EXPECT_EQ(outcome.event.event_id, "evt_1OGx0aLkdIwHu7ixf9rPq2Lm");
    EXPECT_EQ(outcome.event.kind, WebhookKind::chargeback);
    EXPECT_EQ(outcome.event.transaction_id, 15u);
    EXPECT_EQ(outcome.event.provider_payment_id, "pi_3OFdTrLkdIwHu7ix0WGzHuZx");
    EXPECT_EQ(outcome.event.amount_minor, 25010);
    EXPECT_EQ(outcome.event.currency, "USD");
    EXPECT_EQ(outcome.event.reason, "fraudulent");
}

TEST(WebhookModulesTest, StripeSignatureHeaderWithV0AndRotation) {
    const PaymentModule* module = find_payment_module("stripe");
    const std::string signed_header = sign_webhook(secret, now, stripe_succeeded);
    const std::string v1 = signed_header.substr(signed_header.find("v1="));
    const std::string header = "t=" + std::to_string(now) + ",v1=" + std::string(64, 'a') + "," +
                               v1 + ",v0=" + std::string(64, 'b');
    WebhookHeader headers[] = {{"content-type", "application/json; charset=utf-8"},
                               {"stripe-signature", header}};
    WebhookInput input;
    input.headers = headers;
    input.body = stripe_succeeded;
    input.secret = secret;
    input.now = now;
    WebhookEvent event;
    ASSERT_TRUE(module->verify_webhook(input, event).ok());
    EXPECT_EQ(event.transaction_id, 15u);

    headers[1].name = "X-Cashier-Signature";
    expect_signature({module->verify_webhook(input, event), {}}, detail_signature_missing);
    headers[1].name = "Stripe-Signature";
    input.body = "{}";
    expect_signature({module->verify_webhook(input, event), {}}, detail_signature_mismatch);
}

std::string stripe_event(std::string_view type, std::string_view object) {
    return R"({"id":"evt_1","type":")" + std::string(type) + R"(","data":{"object":)" +
           std::string(object) + "}}";
}

TEST(WebhookModulesTest, StripeSucceededAmounts) {
    const Outcome received = stripe(
            stripe_event("payment_intent.succeeded",
                         R"({"id":"pi_1","amount":999,"amount_received":500,"currency":"eur",)"
                         R"("metadata":{"transaction_id":"7"}})"));
    ASSERT_TRUE(received.status.ok());
    EXPECT_EQ(received.event.amount_minor, 500);
    EXPECT_EQ(received.event.currency, "EUR");
    EXPECT_EQ(received.event.transaction_id, 7u);

    for (std::string_view amount_received : {"", R"("amount_received":null,)"}) {
        const Outcome fallback = stripe(stripe_event(
                "payment_intent.succeeded",
                R"({"id":"pi_1",)" + std::string(amount_received) +
                        R"("amount":999,"currency":"JPY","metadata":{"transaction_id":"7"}})"));
        ASSERT_TRUE(fallback.status.ok()) << amount_received;
        EXPECT_EQ(fallback.event.amount_minor, 999);
        EXPECT_EQ(fallback.event.currency, "JPY");
    }

    const std::string base =
            R"({"id":"pi_1","amount":999,"currency":"usd","metadata":{"transaction_id":"7"}})";
    expect_invalid(stripe(stripe_event("payment_intent.succeeded", replace(base, "999", "0"))),
                   "not_positive", "data.object.amount");
    expect_invalid(stripe(stripe_event("payment_intent.succeeded", replace(base, "999", "-5"))),
                   "not_positive", "data.object.amount");
    expect_invalid(stripe(stripe_event("payment_intent.succeeded", replace(base, "999", "9.5"))),
                   "wrong_type", "data.object.amount");
    expect_invalid(stripe(stripe_event("payment_intent.succeeded", replace(base, "999", "1e3"))),
                   "wrong_type", "data.object.amount");
    expect_invalid(
            stripe(stripe_event("payment_intent.succeeded", replace(base, "999", "\"999\""))),
            "wrong_type", "data.object.amount");
    expect_invalid(stripe(stripe_event("payment_intent.succeeded",
                                       replace(base, "999", "9223372036854775808"))),
                   "out_of_range", "data.object.amount");
    const Outcome largest = stripe(
            stripe_event("payment_intent.succeeded", replace(base, "999", "9223372036854775807")));
    ASSERT_TRUE(largest.status.ok());
    EXPECT_EQ(largest.event.amount_minor, 9223372036854775807);
    expect_invalid(stripe(stripe_event("payment_intent.succeeded",
                                       replace(base, "\"amount\":999", "\"amount_received\":0"))),
                   "not_positive", "data.object.amount_received");
    expect_invalid(
            stripe(stripe_event("payment_intent.succeeded",
                                replace(base, "\"amount\":999", "\"amount_received\":\"1\""))),
            "wrong_type", "data.object.amount_received");
    expect_invalid(
            stripe(stripe_event("payment_intent.succeeded", replace(base, "\"amount\":999,", ""))),
            "missing_field", "data.object.amount");
    expect_invalid(
            stripe(stripe_event("payment_intent.succeeded", replace(base, "\"id\":\"pi_1\",", ""))),
            "missing_field", "data.object.id");
    expect_invalid(stripe(stripe_event("payment_intent.succeeded", replace(base, "usd", "usdt"))),
                   "currency_invalid", "data.object.currency");
    expect_invalid(stripe(stripe_event("payment_intent.succeeded", replace(base, "usd", "us1"))),
                   "currency_invalid", "data.object.currency");
    expect_invalid(stripe(stripe_event("payment_intent.succeeded",
                                       replace(base, ",\"currency\":\"usd\"", ""))),
                   "missing_field", "data.object.currency");
}

TEST(WebhookModulesTest, StripePaymentFailedReason) {
    const std::string base =
            R"({"id":"pi_2","amount":100,"currency":"usd","metadata":{"transaction_id":"8"},)"
            R"("last_payment_error":{"code":"card_declined","message":"Your card was declined."}})";
    const Outcome coded = stripe(stripe_event("payment_intent.payment_failed", base));
    ASSERT_TRUE(coded.status.ok());
    EXPECT_EQ(coded.event.kind, WebhookKind::failed);
    EXPECT_EQ(coded.event.transaction_id, 8u);
    EXPECT_EQ(coded.event.provider_payment_id, "pi_2");
    EXPECT_EQ(coded.event.reason, "card_declined");
    // A failure is no money claim: no amount, no currency.
    EXPECT_EQ(coded.event.amount_minor, -1);
    EXPECT_TRUE(coded.event.currency.empty());

    for (std::string_view code : {R"("code":null,)", ""}) {
        const Outcome message =
                stripe(stripe_event("payment_intent.payment_failed",
                                    replace(base, R"("code":"card_declined",)", code)));
        ASSERT_TRUE(message.status.ok());
        EXPECT_EQ(message.event.reason, "Your card was declined.");
    }
    const Outcome none = stripe(stripe_event(
            "payment_intent.payment_failed",
            replace(base, R"({"code":"card_declined","message":"Your card was declined."})",
                    "null")));
    ASSERT_TRUE(none.status.ok());
    EXPECT_TRUE(none.event.reason.empty());
    expect_invalid(
            stripe(stripe_event(
                    "payment_intent.payment_failed",
                    replace(base, R"({"code":"card_declined","message":"Your card was declined."})",
                            "\"declined\""))),
            "wrong_type", "data.object.last_payment_error");
    expect_invalid(stripe(stripe_event("payment_intent.payment_failed",
                                       replace(base, R"("card_declined")", "402"))),
                   "wrong_type", "data.object.last_payment_error.code");
    expect_invalid(stripe(stripe_event("payment_intent.payment_failed",
                                       replace(base, R"({"code")", R"({"code":"x","code")"))),
                   "duplicate_key", "data.object.last_payment_error.code");
    expect_invalid(stripe(stripe_event(
                           "payment_intent.payment_failed",
                           replace(base, R"({"code")", R"({"doc_url":"a","doc_url":"b","code")"))),
                   "duplicate_key", "data.object.last_payment_error");
}

TEST(WebhookModulesTest, StripeCanceledReason) {
    const std::string base =
            R"({"id":"pi_3","metadata":{"transaction_id":"9"},"cancellation_reason":"abandoned"})";
    const Outcome reason = stripe(stripe_event("payment_intent.canceled", base));
    ASSERT_TRUE(reason.status.ok());
    EXPECT_EQ(reason.event.kind, WebhookKind::cancelled);
    EXPECT_EQ(reason.event.transaction_id, 9u);
    EXPECT_EQ(reason.event.provider_payment_id, "pi_3");
    EXPECT_EQ(reason.event.reason, "abandoned");
    const Outcome none =
            stripe(stripe_event("payment_intent.canceled", replace(base, "\"abandoned\"", "null")));
    ASSERT_TRUE(none.status.ok());
    EXPECT_TRUE(none.event.reason.empty());
    expect_invalid(
            stripe(stripe_event("payment_intent.canceled", replace(base, "\"abandoned\"", "3"))),
            "wrong_type", "data.object.cancellation_reason");
    // Stripe spells it with one l; the other spelling is just another event type.
    const Outcome other = stripe(stripe_event("payment_intent.cancelled", base));
    ASSERT_TRUE(other.status.ok());
    EXPECT_EQ(other.event.kind, WebhookKind::ignored);
}

TEST(WebhookModulesTest, StripeChargeRefunded) {
    const std::string base =
            R"({"id":"ch_4","object":"charge","amount":2000,"amount_refunded":1500,)"
            R"("currency":"gbp","payment_intent":"pi_4","refunded":false,)"
            R"("metadata":{"transaction_id":"10"}})";
    const Outcome refunded = stripe(stripe_event("charge.refunded", base));
    ASSERT_TRUE(refunded.status.ok());
    EXPECT_EQ(refunded.event.kind, WebhookKind::refunded);
    EXPECT_EQ(refunded.event.transaction_id, 10u);
    EXPECT_EQ(refunded.event.provider_payment_id, "pi_4");
    EXPECT_EQ(refunded.event.amount_minor, 1500);
    EXPECT_EQ(refunded.event.currency, "GBP");
    // A charge made without a payment intent is known by its own id.
    const Outcome bare = stripe(stripe_event("charge.refunded", replace(base, "\"pi_4\"", "null")));
    ASSERT_TRUE(bare.status.ok());
    EXPECT_EQ(bare.event.provider_payment_id, "ch_4");
    expect_invalid(stripe(stripe_event("charge.refunded", replace(base, "\"pi_4\"", "{}"))),
                   "wrong_type", "data.object.payment_intent");
    expect_invalid(stripe(stripe_event("charge.refunded", replace(base, "1500", "0"))),
                   "not_positive", "data.object.amount_refunded");
    expect_invalid(stripe(stripe_event("charge.refunded",
                                       replace(base, R"("amount_refunded":1500,)", ""))),
                   "missing_field", "data.object.amount_refunded");
}

TEST(WebhookModulesTest, StripeDisputeFields) {
    const std::string base =
            R"({"id":"dp_5","amount":700,"currency":"usd","payment_intent":"pi_5",)"
            R"("reason":"product_not_received","metadata":{"transaction_id":"11"}})";
    const Outcome dispute = stripe(stripe_event("charge.dispute.created", base));
    ASSERT_TRUE(dispute.status.ok());
    EXPECT_EQ(dispute.event.provider_payment_id, "pi_5");
    EXPECT_EQ(dispute.event.amount_minor, 700);
    EXPECT_EQ(dispute.event.reason, "product_not_received");
    expect_invalid(stripe(stripe_event("charge.dispute.created", replace(base, "700", "70.0"))),
                   "wrong_type", "data.object.amount");
    expect_invalid(stripe(stripe_event("charge.dispute.created", replace(base, "\"pi_5\"", "5"))),
                   "wrong_type", "data.object.payment_intent");
    expect_invalid(stripe(stripe_event("charge.dispute.created",
                                       replace(base, "\"product_not_received\"", "[]"))),
                   "wrong_type", "data.object.reason");
}

TEST(WebhookModulesTest, StripeTransactionReference) {
    const std::string base =
            R"({"id":"pi_6","amount":100,"currency":"usd","metadata":{"transaction_id":"12"}})";
    for (std::string_view metadata :
         {R"({})", R"(null)", R"({"transaction_id":null})", R"({"order":"12"})"}) {
        const Outcome outcome = stripe(stripe_event(
                "payment_intent.succeeded", replace(base, R"({"transaction_id":"12"})", metadata)));
        EXPECT_EQ(outcome.status.code(), StatusCode::not_found) << metadata;
        EXPECT_EQ(outcome.status.detail(), "transaction_not_referenced");
        // Everything else stays mapped, for a caller that looks the payment up by its id.
        EXPECT_EQ(outcome.event.kind, WebhookKind::succeeded);
        EXPECT_EQ(outcome.event.provider_payment_id, "pi_6");
        EXPECT_EQ(outcome.event.transaction_id, 0u);
    }
    const Outcome no_metadata =
            stripe(stripe_event("payment_intent.succeeded",
                                replace(base, R"(,"metadata":{"transaction_id":"12"})", "")));
    EXPECT_EQ(no_metadata.status.code(), StatusCode::not_found);
    EXPECT_EQ(no_metadata.status.detail(), "transaction_not_referenced");

    for (std::string_view bad : {R"("0")", R"("012")", R"("12a")", R"("")", R"("-12")", R"(" 12")",
                                 R"("18446744073709551616")"}) {
        expect_invalid(
                stripe(stripe_event("payment_intent.succeeded", replace(base, R"("12")", bad))),
                "transaction_id_invalid", "data.object.metadata.transaction_id");
    }
    expect_invalid(stripe(stripe_event("payment_intent.succeeded", replace(base, R"("12")", "12"))),
                   "wrong_type", "data.object.metadata.transaction_id");
    expect_invalid(stripe(stripe_event("payment_intent.succeeded",
                                       replace(base, R"({"transaction_id":"12"})", "[]"))),
                   "wrong_type", "data.object.metadata");
    expect_invalid(stripe(stripe_event("payment_intent.succeeded",
                                       replace(base, R"({"transaction_id")",
                                               R"({"transaction_id":"13","transaction_id")"))),
                   "duplicate_key", "data.object.metadata.transaction_id");
    expect_invalid(stripe(stripe_event("payment_intent.succeeded",
                                       replace(base, R"({"transaction_id")",
                                               R"({"k":"1","k":"2","transaction_id")"))),
                   "duplicate_key", "data.object.metadata");
}

TEST(WebhookModulesTest, StripeIgnoresOtherEventTypes) {
    for (std::string_view type :
         {"customer.created", "payment_intent.created", "payment_intent.processing",
          "charge.succeeded", "charge.dispute.closed", "PAYMENT_INTENT.SUCCEEDED"}) {
        const Outcome outcome = stripe(stripe_event(type, R"({"id":"cus_1","object":"customer"})"));
        ASSERT_TRUE(outcome.status.ok()) << type;
        EXPECT_EQ(outcome.event.kind, WebhookKind::ignored);
        EXPECT_EQ(outcome.event.event_id, "evt_1");
        EXPECT_EQ(outcome.event.transaction_id, 0u);
        EXPECT_TRUE(outcome.event.provider_payment_id.empty());
    }
    // The shape of data does not matter for a type nobody reads, but the document is still strict.
    EXPECT_TRUE(stripe(R"({"id":"evt_2","type":"balance.available"})").status.ok());
    EXPECT_TRUE(stripe(R"({"id":"evt_2","type":"ping","data":[]})").status.ok());
    expect_invalid(stripe(R"({"id":"evt_2","type":"ping"} )"
                          "x"),
                   "malformed_json", "");
    expect_invalid(stripe(R"({"id":"evt_2","type":"ping","type":"ping"})"), "duplicate_key",
                   "type");
    expect_invalid(stripe(R"({"id":"evt_2"})"), "missing_field", "type");
    expect_invalid(stripe(R"({"id":"evt_2","type":7})"), "wrong_type", "type");
    expect_invalid(stripe(R"({"type":"ping"})"), "missing_field", "id");
    expect_invalid(stripe(R"({"id":"","type":"ping"})"), "event_id_length", "id");
    expect_invalid(stripe(R"({"id":")" + std::string(256, 'e') + R"(","type":"ping"})"),
                   "event_id_length", "id");
    EXPECT_TRUE(stripe(R"({"id":")" + std::string(255, 'e') + R"(","type":"ping"})").status.ok());
}

TEST(WebhookModulesTest, StripeRefusesDuplicatedKeysAtEveryLevel) {
    const std::string base = stripe_event(
            "payment_intent.succeeded",
            R"({"id":"pi_7","amount":100,"currency":"usd","metadata":{"transaction_id":"14"}})");
    expect_invalid(stripe(replace(base, "{\"id\"", R"({"id":"evt_x","id")")), "duplicate_key",
                   "id");
    expect_invalid(stripe(replace(base, "{\"id\"", R"({"data":{},"id")")), "duplicate_key", "data");
    expect_invalid(stripe(replace(base, "{\"id\"", R"({"x":1,"x":2,"id")")), "duplicate_key", "");
    expect_invalid(stripe(replace(base, R"({"object")", R"({"object":{},"object")")),
                   "duplicate_key", "data.object");
    expect_invalid(
            stripe(replace(base, R"({"object")",
                           R"({"previous_attributes":{},"previous_attributes":{},"object")")),
            "duplicate_key", "data");
    expect_invalid(stripe(replace(base, R"({"id":"pi_7")", R"({"id":"pi_7","amount":1)")),
                   "duplicate_key", "data.object.amount");
    expect_invalid(stripe(replace(base, R"({"id":"pi_7")", R"({"id":"pi_7","id":"pi_8")")),
                   "duplicate_key", "data.object.id");
    expect_invalid(
            stripe(replace(base, R"({"id":"pi_7")", R"({"id":"pi_7","status":"a","status":"b")")),
            "duplicate_key", "data.object");
    expect_invalid(stripe(replace(base, R"({"id":"pi_7")", R"({"id":"pi_7","currency":"eur")")),
                   "duplicate_key", "data.object.currency");
}

TEST(WebhookModulesTest, StripeStructure) {
    expect_invalid(stripe(R"({"id":"evt_1","type":"payment_intent.succeeded"})"), "missing_field",
                   "data");
    expect_invalid(stripe(R"({"id":"evt_1","type":"payment_intent.succeeded","data":[]})"),
                   "wrong_type", "data");
    expect_invalid(stripe(R"({"id":"evt_1","type":"payment_intent.succeeded","data":null})"),
                   "wrong_type", "data");
    expect_invalid(stripe(R"({"id":"evt_1","type":"payment_intent.succeeded","data":{}})"),
                   "missing_field", "data.object");
    expect_invalid(stripe(stripe_event("payment_intent.succeeded", "\"pi_1\"")), "wrong_type",
                   "data.object");
    expect_invalid(stripe(std::string(stripe_succeeded) + ","), "malformed_json", "");
}

}  // namespace
}  // namespace cashierd::providers
