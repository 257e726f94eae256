// Provider modules: what a payment provider does when cashierd creates a payment. A module
// turns a new transaction into a provider payment id, a redirect URL or instructions, and a
// normalized status. The modules compiled in are found by name; a provider configured with a
// module that is not here is answered 503 RET_ERR_NOSERVICE.
// Modules that call a provider over the network (Stripe) plug in behind the same interface.
// Thread: modules are stateless and shared read-only by every shard.
#pragma once

#include <cstdint>
#include <map>
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

class PaymentModule {
public:
    virtual ~PaymentModule() = default;
    virtual std::string_view name() const = 0;
    /// Creates the provider payment for a new transaction. Deterministic for local modules.
    virtual Status create_payment(const PaymentRequest& request, PaymentCreation& out) const = 0;
};

/// The module compiled in under `name`, or nullptr.
const PaymentModule* find_payment_module(std::string_view name);

/// Names of every module compiled in.
std::vector<std::string_view> payment_module_names();

}  // namespace cashierd::providers
