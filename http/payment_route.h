// The checks a deposit and a withdrawal share on the customer's owner shard, in seed 002's
// order: the payer (customer, account, owner), an idempotency replay, then the route of the
// money (account enabled, group, the customer's gate, currency, provider, module, an eligible
// method of the right direction and its limits). One place, so both directions refuse alike.
// Thread: the customer's owner shard, inside its open batch (reads only).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "http/ledger_gateway.h"
#include "ledger/eligibility.h"
#include "ledger/records.h"
#include "providers/payment_module.h"
#include "reactor/base/result.h"

namespace cashierd::http {

/// Loaded and able to move money: what makes a provider's methods eligible.
bool module_loaded(std::string_view name);

/// The customer (404 CUSTOMER_NOT_FOUND) and the account (400 ACCOUNT_NOT_AVAILABLE), which
/// must belong to the customer (403 PERMISSION_DENIED).
Status load_payer(LedgerContext& context, ledger::CustomerId customer_id, ledger::Login login,
                  ledger::CustomerRecord& customer, ledger::AccountRecord& account);

/// With an idempotency key: the transaction stored under it when it was the same request
/// (`replay` set), 409 RET_ERR_DUPLICATE naming the first difference when it was not.
Status find_replay(LedgerContext& context, const ledger::TransactionRecord& request,
                   std::optional<ledger::TransactionRecord>& replay);

/// The method `request` may use in direction `type` (request.method empty: the provider's
/// first eligible one), after the account, group, gate (403 DEPOSIT_NOT_ALLOWED /
/// WITHDRAWAL_NOT_ALLOWED), currency, provider and module checks; then the method's limits
/// (400 INVALID_DATA amount_below_minimum / amount_above_maximum). The result points into
/// `context.catalog`, valid during the job's apply().
Result<ledger::EligibleMethod> choose_method(LedgerContext& context,
                                             const ledger::CustomerRecord& customer,
                                             const ledger::AccountRecord& account,
                                             const ledger::TransactionRecord& request,
                                             ledger::MethodType type);

/// The module of provider `code` in the catalog (with its config in `provider`), or nullptr
/// when the provider or its module is gone.
const providers::PaymentModule* provider_module(const ledger::Catalog& catalog,
                                                std::string_view code,
                                                const ledger::ProviderRecord** provider);

/// A provider config's settings as its module reads them: string values as they are, integers
/// in decimal, anything else left out.
std::map<std::string, std::string, std::less<>> provider_settings(const std::string& settings_json);

/// Asks the provider module of withdrawal `t` for its payout (the back office approved it).
/// 503 RET_ERR_NOSERVICE when the provider or its module is gone.
Status request_payout(LedgerContext& context, const ledger::TransactionRecord& t,
                      providers::PayoutCreation& out);

}  // namespace cashierd::http
