// TEMPORARY stand-in for place_withdrawal (http/withdrawal.h) until http/withdrawal.cc lands:
// the customer, the account, the gate, the currency, an eligible withdrawal method and the
// available balance. No idempotency and no method limits. Dropped at merge.
#include "http/withdrawal.h"
#include "ledger/eligibility.h"
#include "providers/payment_module.h"

namespace cashierd::http {

Status place_withdrawal(LedgerContext& context, ledger::TransactionRecord& t, bool preview,
                        WithdrawalPlacement& placement) {
    placement = WithdrawalPlacement{};
    Result<ledger::CustomerRecord> customer = context.ledger.customer(t.customer_id);
    if (!customer.ok()) return Status(StatusCode::customer_not_found);
    Result<ledger::AccountRecord> account = context.ledger.account(t.login);
    if (!account.ok()) return Status(StatusCode::account_not_available, "", "login");
    if (account->customer_id != t.customer_id) {
        return Status(StatusCode::permission_denied, "", "login");
    }
    if (!account->enabled) {
        return Status(StatusCode::account_not_available, "account_disabled", "login");
    }
    if (!customer->withdrawal_allowed) return Status(StatusCode::withdrawal_not_allowed);
    if (t.currency != account->currency) {
        return Status(StatusCode::currency_conversion_required, "", "currency");
    }
    auto loaded = [](std::string_view module) {
        return providers::find_payment_module(module) != nullptr;
    };
    ledger::EligibilityQuery query{context.catalog, customer.value(), account.value(),
                                   ledger::MethodType::withdrawal, loaded};
    const ledger::MethodRecord* chosen = nullptr;
    std::vector<ledger::EligibleMethod> eligible = ledger::eligible_methods(query);
    for (const ledger::EligibleMethod& m : eligible) {
        if (m.provider->code != t.provider) continue;
        if (!t.method.empty() && m.method->method != t.method) continue;
        chosen = m.method;
        break;
    }
    if (chosen == nullptr) return Status(StatusCode::payment_method_not_available, "", "method");
    t.type = ledger::TxType::withdrawal;
    t.method = chosen->method;
    t.account_currency = account->currency;
    t.converted_amount = t.amount;
    t.conversion_rate = "1.0";
    t.created_time = t.updated_time = context.now;
    if (t.amount > account->available())
        return Status(StatusCode::insufficient_funds, "", "amount");
    if (preview) {
        t.id = 0;
        t.status = ledger::TxStatus::created;
        return Status();
    }
    t.id = context.ledger.next_transaction_id();
    Result<ledger::Outcome> outcome = context.ledger.create_withdrawal(t);
    if (!outcome.ok()) return outcome.status();
    switch (outcome.value()) {
        case ledger::Outcome::created:
            return Status();
        case ledger::Outcome::insufficient_funds:
            return Status(StatusCode::insufficient_funds, "", "amount");
        default:
            return Status(StatusCode::account_not_available, "", "login");
    }
}

}  // namespace cashierd::http
