#include "http/withdrawal.h"

#include <optional>

#include "http/payment_route.h"

namespace cashierd::http {

using ledger::AccountRecord;
using ledger::CustomerRecord;
using ledger::TransactionRecord;
using ledger::TxStatus;
using ledger::TxType;

Status place_withdrawal(LedgerContext& context, TransactionRecord& t, bool preview,
                        WithdrawalPlacement& placement) {
    placement = WithdrawalPlacement{};
    t.type = TxType::withdrawal;
    CustomerRecord customer;
    AccountRecord account;
    Status status = load_payer(context, t.customer_id, t.login, customer, account);
    if (!status.ok()) return status;
    // A retry answers with the original withdrawal whatever the balance is now: the hold was
    // placed the first time.
    std::optional<TransactionRecord> replay;
    status = find_replay(context, t, replay);
    if (!status.ok()) return status;
    if (replay) {
        t = std::move(*replay);
        placement.replayed = true;
        return Status();
    }
    Result<ledger::EligibleMethod> route =
            choose_method(context, customer, account, t, ledger::MethodType::withdrawal);
    if (!route.ok()) return route.status();
    t.method = route->method->method;
    t.account_currency = account.currency;
    t.converted_amount = t.amount;
    t.conversion_rate = "1.0";
    t.created_time = t.updated_time = context.now;
    if (preview) {
        // The bonus is never available; holds of open withdrawals are not either.
        if (t.converted_amount > account.available()) {
            return Status(StatusCode::insufficient_funds, "", "amount");
        }
        t.id = 0;
        t.status = TxStatus::created;
        return Status();
    }
    t.id = context.ledger.next_transaction_id();
    // The ledger checks the available balance and places the hold in one step.
    Result<ledger::Outcome> created = context.ledger.create_withdrawal(t);
    if (!created.ok()) return created.status();
    switch (created.value()) {
        case ledger::Outcome::created:
            return Status();
        case ledger::Outcome::insufficient_funds:
            return Status(StatusCode::insufficient_funds, "", "amount");
        case ledger::Outcome::account_not_found:
        case ledger::Outcome::account_disabled:
            return Status(StatusCode::account_not_available, "account_disabled", "login");
        case ledger::Outcome::exists:
        case ledger::Outcome::exists_with_different_request:
            break;
    }
    return Status(StatusCode::internal, "unexpected_withdrawal_outcome");
}

}  // namespace cashierd::http
