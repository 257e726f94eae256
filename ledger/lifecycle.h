// The transaction lifecycle of SPEC §4: which status may follow which, for deposits and
// withdrawals, and what entering a status does to the account. This table is the only place
// that decides a transition; ShardLedger::transition() applies it and refuses anything else.
// Thread: any (pure functions over constant tables).
#pragma once

#include "ledger/records.h"

namespace cashierd::ledger {

/// True when a transaction of `type` may move from `from` to `to`.
bool transition_allowed(TxType type, TxStatus from, TxStatus to);

/// What entering a status does to the account, beyond the transaction record.
enum class BalanceEffect : std::uint8_t {
    none,
    credit,         // Deposit credited: balance += amount.
    debit,          // Deposit refunded or charged back: balance -= amount (may go negative).
    hold_to_debit,  // Withdrawal approved: held -= amount, balance -= amount.
    release_hold,   // Withdrawal rejected or cancelled: held -= amount.
    reverse_debit,  // Withdrawal payout failed: balance += amount.
};

/// The effect of the (allowed) transition from `from` to `to`.
BalanceEffect balance_effect(TxType type, TxStatus from, TxStatus to);

/// True when no transition leaves `status` for a transaction of `type`.
bool is_final(TxType type, TxStatus status);

}  // namespace cashierd::ledger
