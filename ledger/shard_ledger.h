// ShardLedger: one shard's LMDB environment and the commands that change it. Mutating commands
// are applied into the open batch (one write transaction); commit_batch() makes the whole batch
// durable with one fsync, and only then do its in-memory effects (sequences, idempotency
// indexes) become visible. abort_batch() undoes both.
// Thread: the owning shard only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ledger/lmdb_env.h"
#include "ledger/records.h"
#include "ledger/wizard.h"
#include "reactor/base/result.h"

namespace cashierd::ledger {

struct LedgerOptions {
    bool durable = true;
    std::size_t map_bytes = std::size_t{1} << 30;
};

/// seed 000's changebalance request, validated.
struct ChangeBalanceCommand {
    Login login = 0;
    HistoryType type = HistoryType::deposit;  // One of the four changebalance types.
    std::int64_t amount = 0;                  // > 0, minor units of the account's currency.
    std::string comment;
    std::string external_id;  // When set: retries with the same id move money once.
    std::string external_note;
    std::string source;
    std::string actor;
    std::int64_t now = 0;
};

enum class Outcome : std::uint8_t {
    created,
    exists,  // The same request was applied before: the original result is returned.
    exists_with_different_request,
    account_not_found,
    account_disabled,
    insufficient_funds,
};

/// How a new request compares with the transaction stored under its idempotency key, in order
/// of precedence (the first difference found is reported).
enum class IdempotencyMatch : std::uint8_t {
    same,
    different_login,
    different_type,
    different_provider,
    different_method,
    different_amount,
    different_currency,
};

std::string_view idempotency_match_name(IdempotencyMatch match);

/// Compares the request fields of two transactions (not their ids, statuses or times). An
/// incoming request without a method matches whatever method the stored one was given.
IdempotencyMatch compare_request(const TransactionRecord& stored,
                                 const TransactionRecord& incoming);

/// Filters for listing a customer's transactions.
struct TransactionFilter {
    Login login = 0;  // 0: every login of the customer.
    std::optional<TxType> type;
    std::optional<TxStatus> status;
    std::size_t limit = 50;
    TransactionId before = 0;  // Only ids below this (0: from the newest).
};

struct ChangeBalanceResult {
    Outcome outcome = Outcome::created;
    HistoryId history_id = 0;
    AccountRecord account;
};

/// A status change asked of a transaction (lifecycle.h decides whether it is allowed).
struct TransitionCommand {
    TransactionId id = 0;
    TxStatus to = TxStatus::created;
    std::string actor;    // Who: "provider:<code>", "manager#<n>", "customer", "system".
    std::string comment;  // Why.
    std::string reason;   // Replaces the transaction's failure_reason when not empty.
    std::int64_t now = 0;
};

enum class TransitionOutcome : std::uint8_t {
    applied,
    not_found,
    not_allowed,  // The lifecycle has no such edge: nothing changed.
    /// Crediting needs an enabled account and the back office asked for it: nothing changed.
    /// (A provider's confirmation for a disabled account moves to credit_failed instead.)
    account_unavailable,
};

struct TransitionResult {
    TransitionOutcome outcome = TransitionOutcome::applied;
    TransactionRecord transaction;  // As it stands after the command.
    HistoryId history_id = 0;       // The balance change's history record, if any.
};

/// The longest provider event id remembered (with the transaction id and the provider code it
/// stays inside LMDB's 511-byte key).
inline constexpr std::size_t provider_event_id_bytes_max = 255;

/// What a provider's verified webhook says happened to a payment.
enum class ProviderEventKind : std::uint8_t { succeeded, failed, cancelled, refunded, chargeback };

struct ProviderEventCommand {
    std::string provider;  // The provider config's code.
    std::string event_id;  // Single use per (provider, transaction).
    TransactionId transaction_id = 0;
    ProviderEventKind kind = ProviderEventKind::succeeded;
    std::string amount_text;          // Exact decimal text in major units, or empty.
    std::int64_t amount_minor = -1;   // Minor units, or -1.
    std::string currency;             // Empty: not given.
    std::string provider_payment_id;  // Empty: not given.
    std::string reason;
    std::int64_t now = 0;
};

enum class EventOutcome : std::uint8_t {
    applied,
    replayed,        // This event id was seen before: nothing changed.
    not_applicable,  // Not a legal transition from the current status: nothing changed.
    /// The amount or currency differs from the transaction. Before crediting the transaction
    /// moves to manual_review (applied); after it (a partial refund or dispute) nothing changes.
    amount_mismatch,
    not_found,  // No such transaction, or it belongs to another provider.
};

struct ProviderEventResult {
    EventOutcome outcome = EventOutcome::applied;
    bool applied = false;  // True when the transaction changed.
    TransactionRecord transaction;
};

class ShardLedger {
public:
    /// Opens (creating) `data_dir/shard-<shard>`.
    static Result<std::unique_ptr<ShardLedger>> open(const std::string& data_dir,
                                                     std::uint32_t shard, std::uint32_t shard_count,
                                                     const LedgerOptions& options);
    ~ShardLedger();
    ShardLedger(const ShardLedger&) = delete;
    ShardLedger& operator=(const ShardLedger&) = delete;

    std::uint32_t shard() const { return shard_; }

    // Batches.
    /// Opens the batch's write transaction if none is open.
    Status begin_batch();

    bool batch_open() const { return batch_.active(); }

    /// The id of the last committed outbox record (0: none yet).
    std::uint64_t last_outbox_id() const {
        return outbox_sequence_ == 0 ? 0 : outbox_sequence_ * shard_count_ + shard_;
    }

    /// Commits the batch (one fsync). On failure nothing of the batch remains, in LMDB or in
    /// memory, and the map is grown if it was full.
    Status commit_batch();
    void abort_batch();

    // Mutations: inside the open batch.
    Status put_customer(const CustomerRecord& customer);
    /// Creates or updates an account's customer, group, currency and enabled flag; balances
    /// are never set this way. Moving an account to another customer is refused once it has
    /// history (INVALID_DATA "account_has_history").
    Status put_account(const AccountRecord& account);
    Result<ChangeBalanceResult> change_balance(const ChangeBalanceCommand& command);

    /// The transaction a customer created with `idempotency_key` (committed or in this batch),
    /// or nothing.
    Result<std::optional<TransactionRecord>> find_by_idempotency_key(CustomerId customer,
                                                                     std::string_view key);
    /// Reserves the next transaction id in the open batch.
    TransactionId next_transaction_id();
    /// Writes a new transaction (id from next_transaction_id()) and its index entries.
    Status put_new_transaction(const TransactionRecord& transaction);

    /// A withdrawal request: the check of the available balance (balance − holds; the bonus is
    /// never available) and the hold are one step of the batch, so two requests can never
    /// spend the same money. On `created` the transaction (id from next_transaction_id(),
    /// converted_amount in the account's currency) is stored in manual_review and the account's
    /// `held` grew by its amount; any other outcome changes nothing.
    Result<Outcome> create_withdrawal(TransactionRecord& withdrawal);
    Result<TransactionRecord> transaction(TransactionId id);
    /// A customer's transactions, newest first.
    Result<std::vector<TransactionRecord>> transactions(CustomerId customer,
                                                        const TransactionFilter& filter);
    /// Every customer's transactions on this shard, newest first (the back office's view). A
    /// status filter walks the status index, so a queue such as manual_review is found
    /// without scanning the rest.
    Result<std::vector<TransactionRecord>> all_transactions(const TransactionFilter& filter);

    /// Moves a transaction along the lifecycle inside the open batch: the status, its balance
    /// effect with one history record, the status index and one outbox event, all or nothing.
    /// A non-empty `provider_payment_id` is recorded with the change (the payout an approval
    /// asked the provider for).
    Result<TransitionResult> transition(const TransitionCommand& command,
                                        std::string_view provider_payment_id = {});

    /// Applies a provider's webhook event exactly once: the event id is remembered durably in
    /// the same batch, so a replay (or 50 distinct events racing) moves money once.
    Result<ProviderEventResult> apply_provider_event(const ProviderEventCommand& command);

    /// The status changes of a transaction (its outbox events), oldest first: who and why.
    Result<std::vector<OutboxRecord>> status_changes(TransactionId id);

    /// Appends a notification (a 2FA code) to the outbox inside the open batch; sets its id.
    Status append_outbox(OutboxRecord& record);

    /// Outbox records with id > `after`, oldest first, at most `limit`. Safe from any thread
    /// (its own read transaction; never the batch): the notifier reads while the shard writes.
    Result<std::vector<OutboxRecord>> outbox_after(std::uint64_t after, std::size_t limit);

    // Reads: inside the open batch if there is one (so a batch sees its own writes), else in a
    // read transaction of their own.
    Result<CustomerRecord> customer(CustomerId id);
    Result<AccountRecord> account(Login login);
    /// History of an account, newest first, at most `limit` records with id < `before` (0 = no
    /// bound).
    Result<std::vector<HistoryRecord>> history(Login login, std::size_t limit, HistoryId before);

    /// Every account (for verify and tests).
    Result<std::vector<AccountRecord>> accounts();
    /// Every history record of an account, oldest first.
    Result<std::vector<HistoryRecord>> all_history(Login login);

    // The withdrawal wizard (seed 001).
    /// The wizard stored under `uuid` (in the batch if one is open), or nothing.
    Result<std::optional<WizardRecord>> wizard(std::string_view uuid);
    /// Creates or replaces a wizard inside the open batch.
    Status put_wizard(const WizardRecord& wizard);
    /// A customer's 2FA state (the last used TOTP step, the wrong-code window); a customer
    /// that never confirmed a code reads as the default.
    Result<TwoFactorStateRecord> two_factor_state(CustomerId customer);
    Status put_two_factor_state(CustomerId customer, const TwoFactorStateRecord& state);

    Env& env() { return *env_; }

private:
    ShardLedger(std::uint32_t shard, std::uint32_t shard_count)
        : shard_(shard), shard_count_(shard_count) {}

    Status open_databases();
    Status load_sequences();
    Status rebuild_status_index();
    Status put_transaction_record(const TransactionRecord& transaction, unsigned flags);
    /// One lifecycle step on `t` in memory: the balance effect with its history record and the
    /// outbox event are written; the record itself is left to store_status().
    Result<TransitionOutcome> step(TransactionRecord& t, TxStatus to, std::string_view actor,
                                   std::string_view comment, std::string_view reason,
                                   std::int64_t now, HistoryId& history_id);
    /// Writes `t` and moves its status index entry from `previous`.
    Status store_status(const TransactionRecord& t, TxStatus previous);
    Status append_status_change(const TransactionRecord& transaction, TxStatus previous,
                                std::string_view actor, std::string_view comment, std::int64_t now);
    Result<HistoryId> move_balance(AccountRecord& account, HistoryType type,
                                   std::int64_t balance_delta, std::int64_t held_delta,
                                   const TransactionRecord& transaction, std::string_view actor,
                                   std::string_view comment, std::int64_t now);
    std::uint64_t next_outbox_id();
    Status load_idempotency_index();
    static std::string idempotency_index_key(CustomerId customer, std::string_view key);
    Result<const Txn*> read_txn(std::optional<Txn>& own);
    HistoryId next_history_id();

    std::uint32_t shard_;
    std::uint32_t shard_count_;
    std::unique_ptr<Env> env_;
    MDB_dbi meta_ = 0;
    MDB_dbi customers_ = 0;
    MDB_dbi accounts_ = 0;
    MDB_dbi transactions_ = 0;
    MDB_dbi customer_transactions_ = 0;
    MDB_dbi history_ = 0;
    MDB_dbi account_history_ = 0;
    MDB_dbi external_ids_ = 0;  // (login, external id) -> history id: changebalance retries.
    MDB_dbi status_index_ = 0;  // (status byte, transaction id) -> nothing.
    MDB_dbi outbox_ = 0;        // outbox id -> OutboxRecord.
    MDB_dbi status_log_ = 0;    // (transaction id, sequence) -> outbox id.
    // (transaction id, provider, '\0', event id) -> applied byte. Keyed by transaction first so
    // the random event ids of a new transaction land together at the B-tree's right edge.
    MDB_dbi provider_events_ = 0;
    MDB_dbi wizards_ = 0;     // wizard uuid (36-char text) -> WizardRecord.
    MDB_dbi two_factor_ = 0;  // customer id (u64 BE) -> TwoFactorStateRecord.

    Txn batch_;
    std::uint64_t history_sequence_ = 0;  // Last used, committed.
    std::uint64_t batch_history_sequence_ = 0;
    std::uint64_t transaction_sequence_ = 0;
    std::uint64_t batch_transaction_sequence_ = 0;
    std::uint64_t outbox_sequence_ = 0;
    std::uint64_t batch_outbox_sequence_ = 0;
    // (customer, idempotency key) -> transaction id, for every stored transaction with a key:
    // an in-memory index, so random client keys never touch a durable B-tree (ledger/README.md).
    // The open batch's entries are kept apart until it commits.
    std::unordered_map<std::string, TransactionId> idempotency_;
    std::unordered_map<std::string, TransactionId> batch_idempotency_;
    std::string scratch_;
};

}  // namespace cashierd::ledger
