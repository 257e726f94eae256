// The stored records of the ledger and their binary encoding (record_codec.h). Money is int64
// minor units everywhere; strings are owned copies once decoded.
// Each encode() writes a version byte first; decode() accepts only versions it knows.
// Thread: any (plain values).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cashierd::ledger {

using CustomerId = std::uint64_t;
using Login = std::uint64_t;
using TransactionId = std::uint64_t;
using HistoryId = std::uint64_t;

enum class TwoFactor : std::uint8_t { none, email, sms, google };

/// "none", "email", "sms" or "google".
std::string_view two_factor_name(TwoFactor method);

/// The method of a name two_factor_name() gives, or nothing.
std::optional<TwoFactor> parse_two_factor(std::string_view name);

enum class TxType : std::uint8_t { deposit = 0, withdrawal = 1 };

/// Status numbers of seed 003.
enum class TxStatus : std::uint8_t {
    created = 0,
    pending_payment = 1,
    provider_confirmed = 2,
    credited = 3,
    credit_failed = 4,
    failed = 5,
    cancelled = 6,
    refunded = 7,
    chargeback = 8,
    manual_review = 9,
};

inline constexpr std::uint8_t tx_status_max = 9;

std::string_view tx_status_name(TxStatus status);

/// Kinds of balance change, one per history record. The first four are seed 000's
/// changebalance types.
enum class HistoryType : std::uint8_t {
    deposit = 0,
    withdraw = 1,
    deposit_nonwithdrawable_bonus = 2,
    withdraw_nonwithdrawable_bonus = 3,
    deposit_credit = 4,  // A cashier deposit credited.
    refund = 5,
    chargeback = 6,
    withdrawal_debit = 7,
    withdrawal_reversal = 8,
};

std::string_view history_type_name(HistoryType type);

struct MethodOverride {
    std::string provider;
    std::string method;
    bool enabled = true;
    std::string min_amount;  // Decimal text; empty when not narrowed.
    std::string max_amount;
};

struct CustomerRecord {
    static constexpr std::uint8_t version = 1;
    CustomerId id = 0;
    std::string brand;
    std::string country;  // ISO 3166-1 alpha-2.
    std::string name;
    std::string email;
    std::string phone;
    bool deposit_allowed = true;
    bool withdrawal_allowed = true;
    TwoFactor two_factor = TwoFactor::none;
    std::string totp_secret;  // Base32; a secret: never logged or returned.
    std::vector<MethodOverride> overrides;
    std::int64_t created_time = 0;
    std::int64_t updated_time = 0;

    void encode(std::string& out) const;
    static CustomerRecord decode(std::string_view bytes);
    friend bool operator==(const CustomerRecord&, const CustomerRecord&) = default;
};

struct AccountRecord {
    static constexpr std::uint8_t version = 2;  // 2 added negative_since.
    Login login = 0;
    CustomerId customer_id = 0;
    std::string group;
    std::string currency;  // The group's currency when the account was opened.
    bool enabled = true;
    std::int64_t balance = 0;  // Withdrawable money, minor units; negative after a chargeback.
    std::int64_t bonus = 0;    // Non-withdrawable bonus, minor units.
    std::int64_t held = 0;     // Sum of open withdrawal holds.
    HistoryId last_history_id = 0;
    /// When a refund or chargeback took the balance below zero (the account's negative-balance
    /// flag); 0 while the balance is not negative.
    std::int64_t negative_since = 0;
    std::int64_t created_time = 0;
    std::int64_t updated_time = 0;

    std::int64_t available() const { return balance - held; }

    void encode(std::string& out) const;
    static AccountRecord decode(std::string_view bytes);
    friend bool operator==(const AccountRecord&, const AccountRecord&) = default;
};

struct TransactionRecord {
    static constexpr std::uint8_t version = 2;  // 2 added status_sequence.
    TransactionId id = 0;
    CustomerId customer_id = 0;
    Login login = 0;
    TxType type = TxType::deposit;
    TxStatus status = TxStatus::created;
    std::string provider;
    std::string method;
    std::string provider_payment_id;
    std::int64_t amount = 0;  // Minor units of `currency`.
    std::string currency;
    std::string account_currency;
    std::int64_t converted_amount = 0;  // Minor units of `account_currency`.
    std::string conversion_rate;        // Decimal text ("1" without conversion).
    std::string failure_reason;
    std::string idempotency_key;
    std::string comment;
    std::string metadata_json;
    std::string success_url;
    std::string failure_url;
    std::string redirect_url;
    std::string instructions_json;
    /// Status changes so far (1 once created): the sequence number of the latest outbox event,
    /// so a receiver can drop events older than one it has.
    std::uint32_t status_sequence = 0;
    std::int64_t created_time = 0;
    std::int64_t updated_time = 0;

    void encode(std::string& out) const;
    static TransactionRecord decode(std::string_view bytes);
    friend bool operator==(const TransactionRecord&, const TransactionRecord&) = default;
};

struct HistoryRecord {
    static constexpr std::uint8_t version = 1;
    HistoryId id = 0;
    Login login = 0;
    CustomerId customer_id = 0;
    HistoryType type = HistoryType::deposit;
    std::int64_t balance_delta = 0;  // Signed change of `balance`.
    std::int64_t bonus_delta = 0;    // Signed change of `bonus`.
    std::int64_t balance_after = 0;
    std::int64_t bonus_after = 0;
    TransactionId transaction_id = 0;  // 0 for a back-office change.
    std::string actor;                 // Who: "system", "customer", or a manager token id.
    std::string source;
    std::string comment;
    std::string external_id;
    std::string external_note;
    std::int64_t created_time = 0;

    void encode(std::string& out) const;
    static HistoryRecord decode(std::string_view bytes);
    friend bool operator==(const HistoryRecord&, const HistoryRecord&) = default;
};

enum class OutboxType : std::uint8_t {
    transaction_status = 0,  // A transaction changed status.
    two_factor_code = 1,     // A 2FA code to send to the customer.
};

std::string_view outbox_type_name(OutboxType type);

/// One durable notification, appended in the same commit as the change it reports. For
/// transaction_status it is also the transaction's audit trail: who moved it and why.
struct OutboxRecord {
    static constexpr std::uint8_t version = 1;
    std::uint64_t id = 0;  // sequence*N + shard, like every id of a shard.
    OutboxType type = OutboxType::transaction_status;
    CustomerId customer_id = 0;
    Login login = 0;
    TransactionId transaction_id = 0;
    TxType transaction_type = TxType::deposit;
    TxStatus status = TxStatus::created;
    TxStatus previous_status = TxStatus::created;
    std::uint32_t sequence = 0;  // The transaction's status_sequence after this change.
    std::int64_t amount = 0;     // Minor units of `currency`.
    std::string currency;
    std::string actor;         // "system", "customer", "provider:<code>", or "manager#<n>".
    std::string comment;       // Why (a back-office comment, a provider reason).
    std::string payload_json;  // Type-specific fields as a JSON object text ("" for none).
    std::int64_t created_time = 0;

    void encode(std::string& out) const;
    static OutboxRecord decode(std::string_view bytes);
    friend bool operator==(const OutboxRecord&, const OutboxRecord&) = default;
};

}  // namespace cashierd::ledger
