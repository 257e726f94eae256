// The one decision whether a customer may withdraw, shared by POST /cashier/withdrawal and the
// withdrawal wizard (seed 001): the gates, eligibility, limits and the available balance are
// checked in one place, and the hold is placed in the same step of the batch as the check.
// Thread: the customer's owner shard, inside its open batch.
#pragma once

#include "http/ledger_gateway.h"
#include "ledger/records.h"
#include "reactor/base/status.h"

namespace cashierd::http {

/// What place_withdrawal() did.
struct WithdrawalPlacement {
    bool replayed = false;  // The idempotency key named an earlier, identical request.
};

/// `t` carries the request: customer_id, login, provider, method (empty: the provider's first
/// eligible withdrawal method), amount (minor units of `currency`), currency, and optionally
/// idempotency_key, comment, metadata_json (the customer's payout details as a JSON object).
/// Checks, in this order: an idempotency replay (same key and request: the original is
/// returned; a different request 409 RET_ERR_DUPLICATE), the customer (404 CUSTOMER_NOT_FOUND),
/// the account (400 ACCOUNT_NOT_AVAILABLE, 403 PERMISSION_DENIED), its group, the
/// `withdrawal_allowed` gate (403 WITHDRAWAL_NOT_ALLOWED), the currency, the provider and its
/// module, an eligible withdrawal method (403 PAYMENT_METHOD_NOT_AVAILABLE), the method's limits
/// (400 INVALID_DATA), and amount <= available (400 INSUFFICIENT_FUNDS).
/// With `preview`, nothing is written: `t` is filled as it would be stored, with id 0 and
/// status created. Otherwise the withdrawal is created in manual_review with its hold.
Status place_withdrawal(LedgerContext& context, ledger::TransactionRecord& t, bool preview,
                        WithdrawalPlacement& placement);

}  // namespace cashierd::http
