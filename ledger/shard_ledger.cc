#include "ledger/shard_ledger.h"

#include "ledger/lifecycle.h"
#include "ledger/money.h"
#include "reactor/base/assert.h"

namespace cashierd::ledger {
namespace {

std::string key_u64(std::uint64_t value) {
    std::string key;
    append_key_u64(key, value);
    return key;
}

std::string key_u64_pair(std::uint64_t first, std::uint64_t second) {
    std::string key;
    append_key_u64(key, first);
    append_key_u64(key, second);
    return key;
}

bool is_bonus(HistoryType type) {
    return type == HistoryType::deposit_nonwithdrawable_bonus ||
           type == HistoryType::withdraw_nonwithdrawable_bonus;
}

bool is_debit(HistoryType type) {
    return type == HistoryType::withdraw || type == HistoryType::withdraw_nonwithdrawable_bonus;
}

std::string status_index_key(TxStatus status, TransactionId id) {
    std::string key(1, static_cast<char>(status));
    append_key_u64(key, id);
    return key;
}

std::string event_key(TransactionId id, std::string_view provider, std::string_view event_id) {
    std::string key;
    append_key_u64(key, id);
    key.append(provider);
    key.push_back('\0');
    key.append(event_id);
    return key;
}

// The account's negative-balance flag follows the balance: raised when it goes below zero,
// lowered when it is back.
void update_negative_flag(AccountRecord& account, std::int64_t now) {
    if (account.balance < 0) {
        if (account.negative_since == 0) account.negative_since = now;
    } else {
        account.negative_since = 0;
    }
}

}  // namespace

Result<std::unique_ptr<ShardLedger>> ShardLedger::open(const std::string& data_dir,
                                                       std::uint32_t shard,
                                                       std::uint32_t shard_count,
                                                       const LedgerOptions& options) {
    CASHIERD_ASSERT(shard_count > 0);
    CASHIERD_ASSERT(shard < shard_count);
    std::unique_ptr<ShardLedger> ledger(new ShardLedger(shard, shard_count));
    EnvOptions env_options;
    env_options.durable = options.durable;
    env_options.map_bytes = options.map_bytes;
    Result<std::unique_ptr<Env>> env =
            Env::open(data_dir + "/shard-" + std::to_string(shard), env_options);
    if (!env.ok()) return env.status();
    ledger->env_ = std::move(env.value());
    Status status = ledger->open_databases();
    if (status.ok()) status = ledger->load_sequences();
    if (status.ok()) status = ledger->rebuild_status_index();
    if (status.ok()) status = ledger->load_idempotency_index();
    if (!status.ok()) return status;
    return ledger;
}

ShardLedger::~ShardLedger() {
    abort_batch();
}

Status ShardLedger::open_databases() {
    struct Named {
        const char* name;
        MDB_dbi* dbi;
    };

    for (Named named :
         {Named{"meta", &meta_}, Named{"customers", &customers_}, Named{"accounts", &accounts_},
          Named{"transactions", &transactions_},
          Named{"customer_transactions", &customer_transactions_}, Named{"history", &history_},
          Named{"account_history", &account_history_}, Named{"external_ids", &external_ids_},
          Named{"status_index", &status_index_}, Named{"outbox", &outbox_},
          Named{"status_log", &status_log_}, Named{"provider_events", &provider_events_},
          Named{"wizards", &wizards_}, Named{"two_factor", &two_factor_}}) {
        Result<MDB_dbi> dbi = env_->open_dbi(named.name);
        if (!dbi.ok()) return dbi.status();
        *named.dbi = dbi.value();
    }
    return Status();
}

Status ShardLedger::load_sequences() {
    Result<Txn> txn = Txn::begin(*env_, true);
    if (!txn.ok()) return txn.status();
    Cursor cursor(txn.value(), history_);
    if (cursor.move(MDB_LAST)) {
        HistoryId last = read_key_u64(cursor.key());
        CASHIERD_ASSERT(last % shard_count_ == shard_);
        history_sequence_ = last / shard_count_;
    }
    batch_history_sequence_ = history_sequence_;
    Cursor transactions(txn.value(), transactions_);
    if (transactions.move(MDB_LAST)) {
        TransactionId last = read_key_u64(transactions.key());
        CASHIERD_ASSERT(last % shard_count_ == shard_);
        transaction_sequence_ = last / shard_count_;
    }
    batch_transaction_sequence_ = transaction_sequence_;
    Cursor outbox(txn.value(), outbox_);
    if (outbox.move(MDB_LAST)) {
        std::uint64_t last = read_key_u64(outbox.key());
        CASHIERD_ASSERT(last % shard_count_ == shard_);
        outbox_sequence_ = last / shard_count_;
    }
    batch_outbox_sequence_ = outbox_sequence_;
    return Status();
}

// Data written before the status index existed has transactions but no index: build it once.
Status ShardLedger::rebuild_status_index() {
    Result<Txn> txn = Txn::begin(*env_, false);
    if (!txn.ok()) return txn.status();
    {
        Cursor index(txn.value(), status_index_);
        Cursor transactions(txn.value(), transactions_);
        if (index.move(MDB_FIRST) || !transactions.move(MDB_FIRST)) return Status();
        do {
            TransactionRecord record = TransactionRecord::decode(transactions.value());
            Status status = txn->put(status_index_, status_index_key(record.status, record.id), {});
            if (!status.ok()) return status;
        } while (transactions.move(MDB_NEXT));
    }
    return txn->commit();
}

std::string ShardLedger::idempotency_index_key(CustomerId customer, std::string_view key) {
    std::string index_key;
    append_key_u64(index_key, customer);
    index_key.append(key);
    return index_key;
}

Status ShardLedger::load_idempotency_index() {
    Result<Txn> txn = Txn::begin(*env_, true);
    if (!txn.ok()) return txn.status();
    Cursor cursor(txn.value(), transactions_);
    for (bool more = cursor.move(MDB_FIRST); more; more = cursor.move(MDB_NEXT)) {
        TransactionRecord record = TransactionRecord::decode(cursor.value());
        if (record.idempotency_key.empty()) continue;
        idempotency_[idempotency_index_key(record.customer_id, record.idempotency_key)] = record.id;
    }
    return Status();
}

TransactionId ShardLedger::next_transaction_id() {
    CASHIERD_ASSERT(batch_.active());
    ++batch_transaction_sequence_;
    return batch_transaction_sequence_ * shard_count_ + shard_;
}

HistoryId ShardLedger::next_history_id() {
    CASHIERD_ASSERT(batch_.active());
    ++batch_history_sequence_;
    return batch_history_sequence_ * shard_count_ + shard_;
}

std::uint64_t ShardLedger::next_outbox_id() {
    CASHIERD_ASSERT(batch_.active());
    ++batch_outbox_sequence_;
    return batch_outbox_sequence_ * shard_count_ + shard_;
}

Status ShardLedger::begin_batch() {
    if (batch_.active()) return Status();
    Result<Txn> txn = Txn::begin(*env_, false);
    if (!txn.ok()) return txn.status();
    batch_ = std::move(txn.value());
    batch_history_sequence_ = history_sequence_;
    batch_transaction_sequence_ = transaction_sequence_;
    batch_outbox_sequence_ = outbox_sequence_;
    batch_idempotency_.clear();
    return Status();
}

Status ShardLedger::commit_batch() {
    if (!batch_.active()) return Status();
    Status status = batch_.commit();
    if (status.ok()) {
        history_sequence_ = batch_history_sequence_;
        transaction_sequence_ = batch_transaction_sequence_;
        outbox_sequence_ = batch_outbox_sequence_;
        idempotency_.merge(batch_idempotency_);
        batch_idempotency_.clear();
        return status;
    }
    batch_history_sequence_ = history_sequence_;
    batch_transaction_sequence_ = transaction_sequence_;
    batch_outbox_sequence_ = outbox_sequence_;
    batch_idempotency_.clear();
    // A put that hit MDB_MAP_FULL leaves the transaction unusable, so the commit reports
    // MDB_BAD_TXN rather than the full map: judge by the map's fill instead.
    if (status.detail() == "storage_full" || env_->map_nearly_full()) {
        if (env_->grow_map()) return Status(StatusCode::ret_err_noservice, "storage_full");
    }
    return status;
}

void ShardLedger::abort_batch() {
    batch_.abort();
    batch_history_sequence_ = history_sequence_;
    batch_transaction_sequence_ = transaction_sequence_;
    batch_outbox_sequence_ = outbox_sequence_;
    batch_idempotency_.clear();
}

Result<const Txn*> ShardLedger::read_txn(std::optional<Txn>& own) {
    if (batch_.active()) return &batch_;
    Result<Txn> txn = Txn::begin(*env_, true);
    if (!txn.ok()) return txn.status();
    own.emplace(std::move(txn.value()));
    return &*own;
}

Status ShardLedger::put_customer(const CustomerRecord& customer) {
    CASHIERD_ASSERT(batch_.active());
    CASHIERD_ASSERT(customer.id % shard_count_ == shard_);
    scratch_.clear();
    customer.encode(scratch_);
    return batch_.put(customers_, key_u64(customer.id), scratch_);
}

Status ShardLedger::put_account(const AccountRecord& account) {
    CASHIERD_ASSERT(batch_.active());
    CASHIERD_ASSERT(account.customer_id % shard_count_ == shard_);
    std::string key = key_u64(account.login);
    AccountRecord stored = account;
    Result<std::string_view> existing = batch_.get(accounts_, key);
    if (existing.ok()) {
        AccountRecord previous = AccountRecord::decode(existing.value());
        if (previous.customer_id != account.customer_id && previous.last_history_id != 0) {
            return Status(StatusCode::invalid_data, "account_has_history", "customer_id");
        }
        stored.balance = previous.balance;
        stored.bonus = previous.bonus;
        stored.held = previous.held;
        stored.negative_since = previous.negative_since;
        stored.last_history_id = previous.last_history_id;
        stored.created_time = previous.created_time;
    } else if (existing.status().code() != StatusCode::not_found) {
        return existing.status();
    } else {
        stored.balance = 0;
        stored.bonus = 0;
        stored.held = 0;
        stored.last_history_id = 0;
    }
    scratch_.clear();
    stored.encode(scratch_);
    return batch_.put(accounts_, key, scratch_);
}

Result<ChangeBalanceResult> ShardLedger::change_balance(const ChangeBalanceCommand& command) {
    CASHIERD_ASSERT(batch_.active());
    CASHIERD_ASSERT(command.amount > 0);
    ChangeBalanceResult result;
    std::string account_key = key_u64(command.login);
    Result<std::string_view> stored = batch_.get(accounts_, account_key);
    if (!stored.ok()) {
        if (stored.status().code() != StatusCode::not_found) return stored.status();
        result.outcome = Outcome::account_not_found;
        return result;
    }
    AccountRecord account = AccountRecord::decode(stored.value());
    CASHIERD_ASSERT(account.customer_id % shard_count_ == shard_);

    std::string external_key;
    if (!command.external_id.empty()) {
        external_key = key_u64(command.login);
        external_key.append(command.external_id);
        Result<std::string_view> seen = batch_.get(external_ids_, external_key);
        if (seen.ok()) {
            HistoryId id = read_key_u64(seen.value());
            Result<std::string_view> original = batch_.get(history_, key_u64(id));
            CASHIERD_ASSERT(original.ok());
            HistoryRecord history = HistoryRecord::decode(original.value());
            std::int64_t delta =
                    is_bonus(history.type) ? history.bonus_delta : history.balance_delta;
            bool same =
                    history.type == command.type && (delta < 0 ? -delta : delta) == command.amount;
            result.outcome = same ? Outcome::exists : Outcome::exists_with_different_request;
            result.history_id = id;
            result.account = account;
            return result;
        }
        if (seen.status().code() != StatusCode::not_found) return seen.status();
    }
    if (!account.enabled) {
        result.outcome = Outcome::account_disabled;
        return result;
    }

    std::int64_t& target = is_bonus(command.type) ? account.bonus : account.balance;
    // Withdrawable money excludes open withdrawal holds; the bonus has no holds.
    std::int64_t available = is_bonus(command.type) ? account.bonus : account.available();
    std::int64_t delta = is_debit(command.type) ? -command.amount : command.amount;
    if (is_debit(command.type) && command.amount > available) {
        result.outcome = Outcome::insufficient_funds;
        result.account = account;
        return result;
    }
    std::int64_t after = 0;
    if (__builtin_add_overflow(target, delta, &after)) {
        return Status(StatusCode::invalid_data, "balance_out_of_range", "preciseAmount");
    }
    target = after;

    HistoryRecord history;
    history.id = next_history_id();
    history.login = command.login;
    history.customer_id = account.customer_id;
    history.type = command.type;
    history.balance_delta = is_bonus(command.type) ? 0 : delta;
    history.bonus_delta = is_bonus(command.type) ? delta : 0;
    history.balance_after = account.balance;
    history.bonus_after = account.bonus;
    history.actor = command.actor;
    history.source = command.source;
    history.comment = command.comment;
    history.external_id = command.external_id;
    history.external_note = command.external_note;
    history.created_time = command.now;
    account.last_history_id = history.id;
    account.updated_time = command.now;
    update_negative_flag(account, command.now);

    std::string history_key = key_u64(history.id);
    scratch_.clear();
    history.encode(scratch_);
    Status status = batch_.put(history_, history_key, scratch_, MDB_APPEND);
    if (status.ok()) {
        status = batch_.put(account_history_, key_u64_pair(command.login, history.id), {});
    }
    if (status.ok() && !external_key.empty()) {
        status = batch_.put(external_ids_, external_key, history_key);
    }
    if (status.ok()) {
        scratch_.clear();
        account.encode(scratch_);
        status = batch_.put(accounts_, account_key, scratch_);
    }
    if (!status.ok()) return status;
    result.outcome = Outcome::created;
    result.history_id = history.id;
    result.account = account;
    return result;
}

Result<CustomerRecord> ShardLedger::customer(CustomerId id) {
    std::optional<Txn> own;
    Result<const Txn*> txn = read_txn(own);
    if (!txn.ok()) return txn.status();
    Result<std::string_view> bytes = txn.value()->get(customers_, key_u64(id));
    if (!bytes.ok()) return bytes.status();
    return CustomerRecord::decode(bytes.value());
}

Result<AccountRecord> ShardLedger::account(Login login) {
    std::optional<Txn> own;
    Result<const Txn*> txn = read_txn(own);
    if (!txn.ok()) return txn.status();
    Result<std::string_view> bytes = txn.value()->get(accounts_, key_u64(login));
    if (!bytes.ok()) return bytes.status();
    return AccountRecord::decode(bytes.value());
}

Result<std::vector<HistoryRecord>> ShardLedger::history(Login login, std::size_t limit,
                                                        HistoryId before) {
    std::optional<Txn> own;
    Result<const Txn*> txn = read_txn(own);
    if (!txn.ok()) return txn.status();
    std::vector<HistoryRecord> records;
    Cursor cursor(*txn.value(), account_history_);
    // Position just past the newest wanted key, then walk backwards within this login.
    std::string start = key_u64_pair(login, before == 0 ? UINT64_MAX : before);
    bool positioned =
            cursor.move(MDB_SET_RANGE, start) ? cursor.move(MDB_PREV) : cursor.move(MDB_LAST);
    while (positioned && records.size() < limit) {
        if (read_key_u64(cursor.key()) != login) break;
        HistoryId id = read_key_u64(cursor.key(), 8);
        Result<std::string_view> bytes = txn.value()->get(history_, key_u64(id));
        CASHIERD_ASSERT(bytes.ok());
        records.push_back(HistoryRecord::decode(bytes.value()));
        positioned = cursor.move(MDB_PREV);
    }
    return records;
}

Result<std::vector<AccountRecord>> ShardLedger::accounts() {
    std::optional<Txn> own;
    Result<const Txn*> txn = read_txn(own);
    if (!txn.ok()) return txn.status();
    std::vector<AccountRecord> records;
    Cursor cursor(*txn.value(), accounts_);
    for (bool more = cursor.move(MDB_FIRST); more; more = cursor.move(MDB_NEXT)) {
        records.push_back(AccountRecord::decode(cursor.value()));
    }
    return records;
}

Result<std::optional<WizardRecord>> ShardLedger::wizard(std::string_view uuid) {
    std::optional<Txn> own;
    Result<const Txn*> txn = read_txn(own);
    if (!txn.ok()) return txn.status();
    Result<std::string_view> bytes = txn.value()->get(wizards_, uuid);
    if (!bytes.ok()) {
        if (bytes.status().code() == StatusCode::not_found) return std::optional<WizardRecord>();
        return bytes.status();
    }
    return std::optional<WizardRecord>(WizardRecord::decode(bytes.value()));
}

Status ShardLedger::put_wizard(const WizardRecord& wizard) {
    CASHIERD_ASSERT(batch_.active());
    CASHIERD_ASSERT(wizard.uuid.size() == wizard_uuid_length);
    CASHIERD_ASSERT(wizard.customer_id % shard_count_ == shard_);
    scratch_.clear();
    wizard.encode(scratch_);
    return batch_.put(wizards_, wizard.uuid, scratch_);
}

Result<TwoFactorStateRecord> ShardLedger::two_factor_state(CustomerId customer) {
    std::optional<Txn> own;
    Result<const Txn*> txn = read_txn(own);
    if (!txn.ok()) return txn.status();
    Result<std::string_view> bytes = txn.value()->get(two_factor_, key_u64(customer));
    if (!bytes.ok()) {
        if (bytes.status().code() == StatusCode::not_found) return TwoFactorStateRecord();
        return bytes.status();
    }
    return TwoFactorStateRecord::decode(bytes.value());
}

Status ShardLedger::put_two_factor_state(CustomerId customer, const TwoFactorStateRecord& state) {
    CASHIERD_ASSERT(batch_.active());
    CASHIERD_ASSERT(customer % shard_count_ == shard_);
    scratch_.clear();
    state.encode(scratch_);
    return batch_.put(two_factor_, key_u64(customer), scratch_);
}

Result<std::vector<HistoryRecord>> ShardLedger::all_history(Login login) {
    Result<std::vector<HistoryRecord>> newest_first = history(login, SIZE_MAX, 0);
    if (!newest_first.ok()) return newest_first.status();
    std::vector<HistoryRecord> records(newest_first->rbegin(), newest_first->rend());
    return records;
}

}  // namespace cashierd::ledger

namespace cashierd::ledger {

std::string_view idempotency_match_name(IdempotencyMatch match) {
    switch (match) {
        case IdempotencyMatch::same:
            return "exists";
        case IdempotencyMatch::different_login:
            return "exists_with_different_login";
        case IdempotencyMatch::different_type:
            return "exists_with_different_type";
        case IdempotencyMatch::different_provider:
            return "exists_with_different_provider";
        case IdempotencyMatch::different_method:
            return "exists_with_different_method";
        case IdempotencyMatch::different_amount:
            return "exists_with_different_amount";
        case IdempotencyMatch::different_currency:
            return "exists_with_different_currency";
    }
    return "exists";
}

IdempotencyMatch compare_request(const TransactionRecord& stored,
                                 const TransactionRecord& incoming) {
    if (stored.login != incoming.login) return IdempotencyMatch::different_login;
    if (stored.type != incoming.type) return IdempotencyMatch::different_type;
    if (stored.provider != incoming.provider) return IdempotencyMatch::different_provider;
    // An omitted method matches the one the first request was given.
    if (!incoming.method.empty() && stored.method != incoming.method) {
        return IdempotencyMatch::different_method;
    }
    if (stored.amount != incoming.amount) return IdempotencyMatch::different_amount;
    if (stored.currency != incoming.currency) return IdempotencyMatch::different_currency;
    return IdempotencyMatch::same;
}

Result<std::optional<TransactionRecord>> ShardLedger::find_by_idempotency_key(
        CustomerId customer, std::string_view key) {
    std::string index_key = idempotency_index_key(customer, key);
    TransactionId id = 0;
    if (auto pending = batch_idempotency_.find(index_key); pending != batch_idempotency_.end()) {
        id = pending->second;
    } else if (auto stored = idempotency_.find(index_key); stored != idempotency_.end()) {
        id = stored->second;
    } else {
        return std::optional<TransactionRecord>();
    }
    Result<TransactionRecord> record = transaction(id);
    if (!record.ok()) return record.status();
    CASHIERD_ASSERT(record->customer_id == customer);
    CASHIERD_ASSERT(record->idempotency_key == key);
    return std::optional<TransactionRecord>(std::move(record.value()));
}

Status ShardLedger::put_new_transaction(const TransactionRecord& transaction) {
    CASHIERD_ASSERT(batch_.active());
    CASHIERD_ASSERT(transaction.id % shard_count_ == shard_);
    CASHIERD_ASSERT(transaction.customer_id % shard_count_ == shard_);
    TransactionRecord stored = transaction;
    stored.status_sequence = 1;
    // Ids grow within a batch and across batches: every new record appends.
    Status status = put_transaction_record(stored, MDB_APPEND);
    if (status.ok()) {
        status = batch_.put(customer_transactions_,
                            key_u64_pair(transaction.customer_id, transaction.id), {});
    }
    if (status.ok()) {
        status = batch_.put(status_index_, status_index_key(stored.status, stored.id), {});
    }
    if (status.ok()) {
        status = append_status_change(stored, TxStatus::created, "customer", stored.comment,
                                      stored.created_time);
    }
    if (status.ok() && !transaction.idempotency_key.empty()) {
        batch_idempotency_[idempotency_index_key(transaction.customer_id,
                                                 transaction.idempotency_key)] = transaction.id;
    }
    return status;
}

Result<Outcome> ShardLedger::create_withdrawal(TransactionRecord& withdrawal) {
    CASHIERD_ASSERT(batch_.active());
    CASHIERD_ASSERT(withdrawal.type == TxType::withdrawal);
    CASHIERD_ASSERT(withdrawal.converted_amount > 0);
    Result<std::string_view> stored = batch_.get(accounts_, key_u64(withdrawal.login));
    if (!stored.ok()) {
        if (stored.status().code() != StatusCode::not_found) return stored.status();
        return Outcome::account_not_found;
    }
    AccountRecord account = AccountRecord::decode(stored.value());
    CASHIERD_ASSERT(account.customer_id == withdrawal.customer_id);
    if (!account.enabled) return Outcome::account_disabled;
    if (withdrawal.converted_amount > account.available()) return Outcome::insufficient_funds;
    account.held += withdrawal.converted_amount;
    account.updated_time = withdrawal.created_time;
    scratch_.clear();
    account.encode(scratch_);
    Status status = batch_.put(accounts_, key_u64(account.login), scratch_);
    if (!status.ok()) return status;
    // created (0) → manual_review (9) in the same commit as the hold.
    withdrawal.status = TxStatus::manual_review;
    status = put_new_transaction(withdrawal);
    if (!status.ok()) return status;
    withdrawal.status_sequence = 1;
    return Outcome::created;
}

Result<TransactionRecord> ShardLedger::transaction(TransactionId id) {
    std::optional<Txn> own;
    Result<const Txn*> txn = read_txn(own);
    if (!txn.ok()) return txn.status();
    Result<std::string_view> bytes = txn.value()->get(transactions_, key_u64(id));
    if (!bytes.ok()) return bytes.status();
    return TransactionRecord::decode(bytes.value());
}

Result<std::vector<TransactionRecord>> ShardLedger::transactions(CustomerId customer,
                                                                 const TransactionFilter& filter) {
    std::optional<Txn> own;
    Result<const Txn*> txn = read_txn(own);
    if (!txn.ok()) return txn.status();
    std::vector<TransactionRecord> records;
    Cursor cursor(*txn.value(), customer_transactions_);
    std::string start = key_u64_pair(customer, filter.before == 0 ? UINT64_MAX : filter.before);
    bool positioned =
            cursor.move(MDB_SET_RANGE, start) ? cursor.move(MDB_PREV) : cursor.move(MDB_LAST);
    while (positioned && records.size() < filter.limit) {
        if (read_key_u64(cursor.key()) != customer) break;
        TransactionId id = read_key_u64(cursor.key(), 8);
        Result<std::string_view> bytes = txn.value()->get(transactions_, key_u64(id));
        CASHIERD_ASSERT(bytes.ok());
        TransactionRecord record = TransactionRecord::decode(bytes.value());
        bool wanted = (filter.login == 0 || record.login == filter.login) &&
                      (!filter.type || record.type == *filter.type) &&
                      (!filter.status || record.status == *filter.status);
        if (wanted) records.push_back(std::move(record));
        positioned = cursor.move(MDB_PREV);
    }
    return records;
}

}  // namespace cashierd::ledger

namespace cashierd::ledger {

Status ShardLedger::put_transaction_record(const TransactionRecord& transaction, unsigned flags) {
    scratch_.clear();
    transaction.encode(scratch_);
    return batch_.put(transactions_, key_u64(transaction.id), scratch_, flags);
}

Status ShardLedger::append_status_change(const TransactionRecord& transaction, TxStatus previous,
                                         std::string_view actor, std::string_view comment,
                                         std::int64_t now) {
    OutboxRecord event;
    event.type = OutboxType::transaction_status;
    event.customer_id = transaction.customer_id;
    event.login = transaction.login;
    event.transaction_id = transaction.id;
    event.transaction_type = transaction.type;
    event.status = transaction.status;
    event.previous_status = previous;
    event.sequence = transaction.status_sequence;
    event.amount = transaction.amount;
    event.currency = transaction.currency;
    event.actor = actor;
    event.comment = comment;
    event.created_time = now;
    Status status = append_outbox(event);
    if (!status.ok()) return status;
    std::string key = key_u64_pair(transaction.id, transaction.status_sequence);
    return batch_.put(status_log_, key, key_u64(event.id));
}

Status ShardLedger::append_outbox(OutboxRecord& record) {
    CASHIERD_ASSERT(batch_.active());
    record.id = next_outbox_id();
    std::string encoded;
    record.encode(encoded);
    return batch_.put(outbox_, key_u64(record.id), encoded, MDB_APPEND);
}

Result<HistoryId> ShardLedger::move_balance(AccountRecord& account, HistoryType type,
                                            std::int64_t balance_delta, std::int64_t held_delta,
                                            const TransactionRecord& transaction,
                                            std::string_view actor, std::string_view comment,
                                            std::int64_t now) {
    std::int64_t balance = 0;
    std::int64_t held = 0;
    if (__builtin_add_overflow(account.balance, balance_delta, &balance) ||
        __builtin_add_overflow(account.held, held_delta, &held)) {
        return Status(StatusCode::invalid_data, "balance_out_of_range", "amount");
    }
    // Holds never go below zero: a release or debit matches a hold placed before.
    CASHIERD_ASSERT(held >= 0);
    account.balance = balance;
    account.held = held;
    account.updated_time = now;
    update_negative_flag(account, now);
    HistoryId history_id = 0;
    // A hold alone is not a balance change (available moves, balance does not): no history.
    if (balance_delta != 0) {
        HistoryRecord history;
        history.id = history_id = next_history_id();
        history.login = account.login;
        history.customer_id = account.customer_id;
        history.type = type;
        history.balance_delta = balance_delta;
        history.balance_after = account.balance;
        history.bonus_after = account.bonus;
        history.transaction_id = transaction.id;
        history.actor = actor;
        history.source = "cashier";
        history.comment = comment;
        history.created_time = now;
        account.last_history_id = history.id;
        scratch_.clear();
        history.encode(scratch_);
        Status status = batch_.put(history_, key_u64(history.id), scratch_, MDB_APPEND);
        if (status.ok()) {
            status = batch_.put(account_history_, key_u64_pair(account.login, history.id), {});
        }
        if (!status.ok()) return status;
    }
    scratch_.clear();
    account.encode(scratch_);
    Status status = batch_.put(accounts_, key_u64(account.login), scratch_);
    if (!status.ok()) return status;
    return history_id;
}

Result<TransitionResult> ShardLedger::transition(const TransitionCommand& command,
                                                 std::string_view provider_payment_id) {
    CASHIERD_ASSERT(batch_.active());
    TransitionResult result;
    Result<std::string_view> stored = batch_.get(transactions_, key_u64(command.id));
    if (!stored.ok()) {
        if (stored.status().code() != StatusCode::not_found) return stored.status();
        result.outcome = TransitionOutcome::not_found;
        return result;
    }
    result.transaction = TransactionRecord::decode(stored.value());
    TxStatus previous = result.transaction.status;
    Result<TransitionOutcome> moved =
            step(result.transaction, command.to, command.actor, command.comment, command.reason,
                 command.now, result.history_id);
    if (!moved.ok()) return moved.status();
    result.outcome = moved.value();
    if (result.outcome == TransitionOutcome::applied) {
        if (!provider_payment_id.empty()) {
            result.transaction.provider_payment_id = provider_payment_id;
        }
        Status status = store_status(result.transaction, previous);
        if (!status.ok()) return status;
    }
    return result;
}

Status ShardLedger::store_status(const TransactionRecord& t, TxStatus previous) {
    Status status = Status();
    if (previous != t.status) {
        status = batch_.del(status_index_, status_index_key(previous, t.id));
        if (status.ok()) status = batch_.put(status_index_, status_index_key(t.status, t.id), {});
    }
    if (status.ok()) status = put_transaction_record(t, 0);
    return status;
}

Result<TransitionOutcome> ShardLedger::step(TransactionRecord& t, TxStatus to,
                                            std::string_view actor, std::string_view comment,
                                            std::string_view reason, std::int64_t now,
                                            HistoryId& history_id) {
    if (!transition_allowed(t.type, t.status, to)) return TransitionOutcome::not_allowed;
    BalanceEffect effect = balance_effect(t.type, t.status, to);
    AccountRecord account;
    if (effect != BalanceEffect::none) {
        Result<std::string_view> bytes = batch_.get(accounts_, key_u64(t.login));
        bool enabled = false;
        if (bytes.ok()) {
            account = AccountRecord::decode(bytes.value());
            enabled = account.enabled;
        } else if (bytes.status().code() != StatusCode::not_found) {
            return bytes.status();
        }
        // Accounts are never deleted, so only a credit can meet a missing one (a transaction
        // restored without its account); it is treated like a disabled account.
        CASHIERD_ASSERT(bytes.ok() || effect == BalanceEffect::credit);
        if (effect == BalanceEffect::credit && !enabled) {
            if (t.status != TxStatus::provider_confirmed) {
                return TransitionOutcome::account_unavailable;
            }
            to = TxStatus::credit_failed;
            reason = "account_disabled";
            effect = BalanceEffect::none;
        }
    }

    std::int64_t amount = t.converted_amount;
    std::int64_t balance_delta = 0;
    std::int64_t held_delta = 0;
    HistoryType history_type = HistoryType::deposit_credit;
    switch (effect) {
        case BalanceEffect::none:
            break;
        case BalanceEffect::credit:
            balance_delta = amount;
            break;
        case BalanceEffect::debit:
            balance_delta = -amount;
            history_type = to == TxStatus::refunded ? HistoryType::refund : HistoryType::chargeback;
            break;
        case BalanceEffect::hold_to_debit:
            balance_delta = -amount;
            held_delta = -amount;
            history_type = HistoryType::withdrawal_debit;
            break;
        case BalanceEffect::release_hold:
            held_delta = -amount;
            break;
        case BalanceEffect::reverse_debit:
            balance_delta = amount;
            history_type = HistoryType::withdrawal_reversal;
            break;
    }
    if (effect != BalanceEffect::none) {
        Result<HistoryId> history = move_balance(account, history_type, balance_delta, held_delta,
                                                 t, actor, comment, now);
        if (!history.ok()) return history.status();
        history_id = history.value();
    }

    TxStatus previous = t.status;
    t.status = to;
    ++t.status_sequence;
    t.updated_time = now;
    if (!reason.empty()) t.failure_reason = reason;
    Status status = append_status_change(t, previous, actor, comment, now);
    if (!status.ok()) return status;
    return TransitionOutcome::applied;
}

namespace {

// The status a provider event asks for, or nothing when the event means nothing for this type.
std::optional<TxStatus> event_target(TxType type, ProviderEventKind kind) {
    if (type == TxType::deposit) {
        switch (kind) {
            case ProviderEventKind::succeeded:
                return TxStatus::credited;
            case ProviderEventKind::failed:
                return TxStatus::failed;
            case ProviderEventKind::cancelled:
                return TxStatus::cancelled;
            case ProviderEventKind::refunded:
                return TxStatus::refunded;
            case ProviderEventKind::chargeback:
                return TxStatus::chargeback;
        }
        return std::nullopt;
    }
    switch (kind) {
        case ProviderEventKind::succeeded:
            return TxStatus::provider_confirmed;
        case ProviderEventKind::failed:
        case ProviderEventKind::cancelled:  // A cancelled payout did not pay: it failed.
            return TxStatus::failed;
        case ProviderEventKind::refunded:
        case ProviderEventKind::chargeback:
            return std::nullopt;
    }
    return std::nullopt;
}

// Empty when the event's amount and currency (where given) match the transaction, else what
// the provider reported, for the audit trail.
std::string amount_difference(const ProviderEventCommand& command, const TransactionRecord& t) {
    std::optional<Currency> currency = find_currency(t.currency);
    std::uint8_t exponent = currency ? currency->exponent : 2;
    bool differs = !command.currency.empty() && command.currency != t.currency;
    std::string reported;
    if (command.amount_minor >= 0) {
        differs = differs || command.amount_minor != t.amount;
        char text[amount_text_bytes_max];
        reported.assign(text, format_amount(command.amount_minor, exponent, text));
    } else if (!command.amount_text.empty()) {
        Result<std::int64_t> amount = parse_amount(command.amount_text, exponent);
        differs = differs || !amount.ok() || amount.value() != t.amount;
        reported = command.amount_text;
    }
    if (!differs) return {};
    return "provider reported " + (reported.empty() ? std::string("no amount") : reported) + " " +
           (command.currency.empty() ? t.currency : command.currency);
}

}  // namespace

Result<ProviderEventResult> ShardLedger::apply_provider_event(const ProviderEventCommand& command) {
    CASHIERD_ASSERT(batch_.active());
    ProviderEventResult result;
    // Checked before anything is written: a refused key must not leave half an event behind.
    if (command.event_id.empty() || command.event_id.size() > provider_event_id_bytes_max) {
        return Status(StatusCode::invalid_data, "event_id_1_to_255_bytes", "id");
    }
    if (command.provider.empty() || command.provider.size() > 64) {
        return Status(StatusCode::invalid_data, "provider_1_to_64_bytes", "provider");
    }
    Result<TransactionRecord> found = transaction(command.transaction_id);
    if (!found.ok()) {
        if (found.status().code() != StatusCode::not_found) return found.status();
        result.outcome = EventOutcome::not_found;
        return result;
    }
    TransactionRecord t = std::move(found.value());
    result.transaction = t;
    if (t.provider != command.provider) {
        result.outcome = EventOutcome::not_found;
        return result;
    }
    std::string key = event_key(t.id, command.provider, command.event_id);
    Result<std::string_view> seen = batch_.get(provider_events_, key);
    if (seen.ok()) {
        result.outcome = EventOutcome::replayed;
        return result;
    }
    if (seen.status().code() != StatusCode::not_found) return seen.status();

    std::string actor = "provider:" + command.provider;
    std::optional<TxStatus> target = event_target(t.type, command.kind);
    bool carries_money = command.kind == ProviderEventKind::succeeded ||
                         command.kind == ProviderEventKind::refunded ||
                         command.kind == ProviderEventKind::chargeback;
    std::string difference = carries_money ? amount_difference(command, t) : std::string();
    result.outcome = EventOutcome::not_applicable;

    TxStatus stored_status = t.status;
    HistoryId history_id = 0;
    auto apply = [&](TxStatus to, std::string_view comment,
                     std::string_view reason) -> Result<bool> {
        Result<TransitionOutcome> moved =
                step(t, to, actor, comment, reason, command.now, history_id);
        if (!moved.ok()) return moved.status();
        return moved.value() == TransitionOutcome::applied;
    };

    // manual_review and credit_failed wait for the back office: a provider event never decides
    // them (a late success must not credit a deposit held for review).
    bool back_office_owns =
            t.status == TxStatus::manual_review || t.status == TxStatus::credit_failed;
    if (!target || back_office_owns) {
        // Nothing this event may do to the transaction.
    } else if (!difference.empty()) {
        result.outcome = EventOutcome::amount_mismatch;
        // Before the money moved, the back office decides; after it (a partial refund or a
        // dispute of another amount) nothing is taken automatically.
        bool before_credit =
                t.status == TxStatus::pending_payment || t.status == TxStatus::provider_confirmed;
        if (before_credit && command.kind == ProviderEventKind::succeeded &&
            transition_allowed(t.type, t.status, TxStatus::manual_review)) {
            Result<bool> moved = apply(TxStatus::manual_review, difference, "amount_mismatch");
            if (!moved.ok()) return moved.status();
            result.applied = moved.value();
        }
    } else if (*target == TxStatus::credited && t.status == TxStatus::pending_payment) {
        // Confirmed and credited in one commit: two status changes, two outbox events.
        Result<bool> confirmed = apply(TxStatus::provider_confirmed, command.reason, {});
        if (!confirmed.ok()) return confirmed.status();
        Result<bool> credited = apply(TxStatus::credited, command.reason, {});
        if (!credited.ok()) return credited.status();
        result.applied = true;
    } else {
        Result<bool> moved = apply(*target, command.reason, command.reason);
        if (!moved.ok()) return moved.status();
        result.applied = moved.value();
    }
    if (result.applied && result.outcome == EventOutcome::not_applicable) {
        result.outcome = EventOutcome::applied;
    }
    if (result.applied) {
        if (t.provider_payment_id.empty()) t.provider_payment_id = command.provider_payment_id;
        // Every step of this event, the record and its index entry written once.
        Status status = store_status(t, stored_status);
        if (!status.ok()) return status;
    }
    char applied = result.applied ? '1' : '0';
    Status status = batch_.put(provider_events_, key, std::string_view(&applied, 1));
    if (!status.ok()) return status;
    result.transaction = std::move(t);
    return result;
}

Result<std::vector<TransactionRecord>> ShardLedger::all_transactions(
        const TransactionFilter& filter) {
    std::optional<Txn> own;
    Result<const Txn*> txn = read_txn(own);
    if (!txn.ok()) return txn.status();
    std::vector<TransactionRecord> records;
    TransactionId before = filter.before == 0 ? UINT64_MAX : filter.before;
    auto wanted = [&](const TransactionRecord& record) {
        return (filter.login == 0 || record.login == filter.login) &&
               (!filter.type || record.type == *filter.type) &&
               (!filter.status || record.status == *filter.status);
    };
    auto load = [&](TransactionId id) {
        Result<std::string_view> bytes = txn.value()->get(transactions_, key_u64(id));
        CASHIERD_ASSERT(bytes.ok());
        return TransactionRecord::decode(bytes.value());
    };
    if (filter.status) {
        Cursor cursor(*txn.value(), status_index_);
        std::string start = status_index_key(*filter.status, before);
        bool positioned =
                cursor.move(MDB_SET_RANGE, start) ? cursor.move(MDB_PREV) : cursor.move(MDB_LAST);
        while (positioned && records.size() < filter.limit) {
            std::string_view key = cursor.key();
            if (static_cast<std::uint8_t>(key[0]) != static_cast<std::uint8_t>(*filter.status)) {
                break;
            }
            TransactionRecord record = load(read_key_u64(key, 1));
            if (wanted(record)) records.push_back(std::move(record));
            positioned = cursor.move(MDB_PREV);
        }
        return records;
    }
    Cursor cursor(*txn.value(), transactions_);
    bool positioned = cursor.move(MDB_SET_RANGE, key_u64(before)) ? cursor.move(MDB_PREV)
                                                                  : cursor.move(MDB_LAST);
    while (positioned && records.size() < filter.limit) {
        TransactionRecord record = TransactionRecord::decode(cursor.value());
        if (wanted(record)) records.push_back(std::move(record));
        positioned = cursor.move(MDB_PREV);
    }
    return records;
}

Result<std::vector<OutboxRecord>> ShardLedger::status_changes(TransactionId id) {
    std::optional<Txn> own;
    Result<const Txn*> txn = read_txn(own);
    if (!txn.ok()) return txn.status();
    std::vector<OutboxRecord> records;
    Cursor cursor(*txn.value(), status_log_);
    for (bool more = cursor.move(MDB_SET_RANGE, key_u64_pair(id, 0));
         more && read_key_u64(cursor.key()) == id; more = cursor.move(MDB_NEXT)) {
        Result<std::string_view> bytes = txn.value()->get(outbox_, cursor.value());
        CASHIERD_ASSERT(bytes.ok());
        records.push_back(OutboxRecord::decode(bytes.value()));
    }
    return records;
}

Result<std::vector<OutboxRecord>> ShardLedger::outbox_after(std::uint64_t after,
                                                            std::size_t limit) {
    std::vector<OutboxRecord> records;
    if (after == UINT64_MAX) return records;
    Result<Txn> txn = Txn::begin(*env_, true);
    if (!txn.ok()) return txn.status();
    Cursor cursor(txn.value(), outbox_);
    for (bool more = cursor.move(MDB_SET_RANGE, key_u64(after + 1)); more && records.size() < limit;
         more = cursor.move(MDB_NEXT)) {
        records.push_back(OutboxRecord::decode(cursor.value()));
    }
    return records;
}

}  // namespace cashierd::ledger
