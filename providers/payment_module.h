// Provider modules: what a payment provider does when cashierd creates a payment, and what its
// webhooks mean. A module turns a new transaction into a provider payment id, a redirect URL or
// instructions; it verifies a webhook's raw body and headers and maps the payload to one
// normalized WebhookEvent. The modules compiled in are found by name; a provider configured
// with a module that is not here is answered 503 RET_ERR_NOSERVICE.
// Modules that call a provider over the network (Stripe) plug in behind the same interface.
// Thread: modules are stateless and shared read-only by every shard.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reactor/base/status.h"

namespace cashierd::providers {

struct PaymentRequest {
    std::uint64_t transaction_id = 0;
    std::uint64_t customer_id = 0;
    std::uint64_t login = 0;
    std::string_view method;
    std::string_view amount_text;  // Formatted with the currency's decimals: "250.00".
    std::string_view currency;
    std::string_view success_url;
    std::string_view failure_url;
    std::string_view public_url;  // cashierd's own base URL, for hosted pages.
    /// The provider config's string settings (bank details, labels, ...).
    const std::map<std::string, std::string, std::less<>>* settings = nullptr;
};

/// Normalized provider statuses (seed 002's payment.status).
enum class PaymentStatus : std::uint8_t { created = 0, pending = 1, succeeded = 2, failed = 3 };

struct PaymentCreation {
    std::string provider_payment_id;
    std::string redirect_url;  // Empty: no redirect (wait for the provider).
    /// Shown to the customer as instructions_json: ordered key/value text pairs.
    std::vector<std::pair<std::string, std::string>> instructions;
    PaymentStatus status = PaymentStatus::pending;
    std::string failure_reason;
};

/// A payout the back office approved: the money leaves to the customer.
struct PayoutRequest {
    std::uint64_t transaction_id = 0;
    std::uint64_t customer_id = 0;
    std::uint64_t login = 0;
    std::string_view method;
    std::string_view amount_text;  // Formatted with the currency's decimals: "250.00".
    std::string_view currency;
    std::string_view details_json;  // The customer's payout details (a JSON object), or "".
    std::string_view public_url;
    const std::map<std::string, std::string, std::less<>>* settings = nullptr;
};

struct PayoutCreation {
    std::string provider_payment_id;  // The payout's id at the provider; its webhooks name it.
    std::string page_url;             // Where a person plays the provider (sandbox), or empty.
    /// The module reports the payout itself this many seconds after it was requested (the
    /// sandbox's automatic delay), or -1: its webhook (or the back office) will.
    std::int64_t auto_complete_seconds = -1;
};

/// What a webhook event asks of a transaction, normalized across providers.
enum class WebhookKind : std::uint8_t {
    succeeded,   // The payment (or payout) was made.
    failed,      // The payment failed.
    cancelled,   // The payment was cancelled.
    refunded,    // The payment was refunded to the payer.
    chargeback,  // The payer disputed the payment.
    ignored,     // An event type the cashier does not act on: acknowledged, nothing changes.
};

struct WebhookHeader {
    std::string_view name;  // As received; compare case-insensitively.
    std::string_view value;
};

struct WebhookInput {
    std::span<const WebhookHeader> headers;
    std::string_view body;    // The raw body, exactly as received.
    std::string_view secret;  // The provider config's webhook_secret.
    std::int64_t now = 0;     // Unix seconds.
};

/// One verified webhook event.
struct WebhookEvent {
    std::string event_id;  // The provider's event id: single use per provider.
    WebhookKind kind = WebhookKind::ignored;
    std::uint64_t transaction_id = 0;  // The cashierd transaction the event is about.
    std::string provider_payment_id;   // Empty when the payload does not carry one.
    /// The amount as the exact decimal text of a JSON number in major units ("250.0"), or
    /// empty. Parsed by the caller with the transaction's currency (ledger::parse_amount).
    std::string amount_text;
    /// The amount in minor units when the provider sends minor units (Stripe), else -1.
    std::int64_t amount_minor = -1;
    std::string currency;  // ISO 4217 alphabetic, upper case; empty when not given.
    std::string reason;    // The provider's failure or dispute reason, if any.
};

/// A webhook's timestamp may differ from now by at most this, in both directions.
inline constexpr std::int64_t webhook_tolerance_seconds = 300;

class PaymentModule {
public:
    virtual ~PaymentModule() = default;
    virtual std::string_view name() const = 0;
    /// Creates the provider payment for a new transaction. Deterministic for local modules.
    virtual Status create_payment(const PaymentRequest& request, PaymentCreation& out) const = 0;

    /// Requests the payout of an approved withdrawal. Deterministic for local modules: asked
    /// again for the same request it answers the same (a restart reschedules from it). A module
    /// that calls its provider over the network does so after the approval's commit, through
    /// the outbound client, and reports by webhook like any other.
    virtual Status request_payout(const PayoutRequest& request, PayoutCreation& out) const = 0;

    /// False for a module that verifies webhooks but cannot create payments in this build
    /// (stripe, until the outbound HTTPS client): its methods are not offered, and a deposit
    /// to it is 503 RET_ERR_NOSERVICE like a module that is not loaded.
    virtual bool creates_payments() const { return true; }

    /// Verifies a webhook (signature and timestamp over the raw body) and maps its payload.
    /// Errors:
    ///   INVALID_SIGNATURE (detail: signature_missing, signature_malformed, timestamp_stale,
    ///     signature_mismatch): nothing of the body was trusted or parsed;
    ///   INVALID_DATA naming the field: the signed payload is malformed (not strict JSON, a
    ///     duplicated key, a missing or mistyped field, an unknown status);
    ///   NOT_FOUND "transaction_not_referenced": the event names no cashierd transaction.
    /// An event type the cashier does not act on is not an error: kind == ignored.
    virtual Status verify_webhook(const WebhookInput& input, WebhookEvent& out) const = 0;
};

/// The module compiled in under `name`, or nullptr.
const PaymentModule* find_payment_module(std::string_view name);

/// Names of every module compiled in.
std::vector<std::string_view> payment_module_names();

}  // namespace cashierd::providers
