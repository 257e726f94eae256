// The sandbox provider played inside cashierd: its hosted page's buttons and its automatic
// payouts deliver the sandbox's signed webhook through the same module verification and
// ledger event as POST /cashier/webhook/{provider}.
// Thread: the shard that owns the transaction.
#pragma once

#include "http/ledger_gateway.h"
#include "ledger/records.h"

namespace cashierd::http {

/// A job that confirms sandbox payout `id` as the sandbox provider would (its "succeeded"
/// webhook), if the payout is still waiting for it; else it does nothing.
OwnedJob make_sandbox_payout_job(ledger::TransactionId id);

}  // namespace cashierd::http
