#include "ledger/lifecycle.h"

#include <array>

namespace cashierd::ledger {
namespace {

constexpr std::size_t status_count = tx_status_max + 1;

using Row = std::array<bool, status_count>;
using Table = std::array<Row, status_count>;

constexpr std::size_t at(TxStatus status) {
    return static_cast<std::size_t>(status);
}

constexpr Table deposit_table() {
    using enum TxStatus;
    Table t{};
    t[at(created)][at(pending_payment)] = true;
    t[at(created)][at(failed)] = true;
    t[at(created)][at(manual_review)] = true;
    t[at(pending_payment)][at(provider_confirmed)] = true;
    t[at(pending_payment)][at(failed)] = true;
    t[at(pending_payment)][at(cancelled)] = true;
    t[at(pending_payment)][at(manual_review)] = true;
    t[at(provider_confirmed)][at(credited)] = true;
    t[at(provider_confirmed)][at(credit_failed)] = true;
    t[at(provider_confirmed)][at(manual_review)] = true;
    t[at(credited)][at(refunded)] = true;
    t[at(credited)][at(chargeback)] = true;
    t[at(credit_failed)][at(credited)] = true;
    t[at(manual_review)][at(credited)] = true;
    t[at(manual_review)][at(failed)] = true;
    return t;
}

constexpr Table withdrawal_table() {
    using enum TxStatus;
    Table t{};
    t[at(created)][at(manual_review)] = true;
    t[at(manual_review)][at(pending_payment)] = true;
    t[at(manual_review)][at(cancelled)] = true;
    t[at(pending_payment)][at(provider_confirmed)] = true;
    t[at(pending_payment)][at(failed)] = true;
    return t;
}

constexpr Table deposits = deposit_table();
constexpr Table withdrawals = withdrawal_table();

}  // namespace

bool transition_allowed(TxType type, TxStatus from, TxStatus to) {
    if (at(from) >= status_count || at(to) >= status_count) return false;
    const Table& table = type == TxType::deposit ? deposits : withdrawals;
    return table[at(from)][at(to)];
}

BalanceEffect balance_effect(TxType type, TxStatus from, TxStatus to) {
    if (!transition_allowed(type, from, to)) return BalanceEffect::none;
    if (type == TxType::deposit) {
        switch (to) {
            case TxStatus::credited:
                return BalanceEffect::credit;
            case TxStatus::refunded:
            case TxStatus::chargeback:
                return BalanceEffect::debit;
            default:
                return BalanceEffect::none;
        }
    }
    switch (to) {
        case TxStatus::pending_payment:
            return BalanceEffect::hold_to_debit;
        case TxStatus::cancelled:
            return BalanceEffect::release_hold;
        case TxStatus::failed:
            return BalanceEffect::reverse_debit;
        default:
            return BalanceEffect::none;
    }
}

bool is_final(TxType type, TxStatus status) {
    const Table& table = type == TxType::deposit ? deposits : withdrawals;
    for (bool allowed : table[at(status)]) {
        if (allowed) return false;
    }
    return true;
}

}  // namespace cashierd::ledger
