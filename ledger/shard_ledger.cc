#include "ledger/shard_ledger.h"

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
          Named{"account_history", &account_history_}, Named{"external_ids", &external_ids_}}) {
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
    return Status();
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

Status ShardLedger::begin_batch() {
    if (batch_.active()) return Status();
    Result<Txn> txn = Txn::begin(*env_, false);
    if (!txn.ok()) return txn.status();
    batch_ = std::move(txn.value());
    batch_history_sequence_ = history_sequence_;
    batch_transaction_sequence_ = transaction_sequence_;
    batch_idempotency_.clear();
    return Status();
}

Status ShardLedger::commit_batch() {
    if (!batch_.active()) return Status();
    Status status = batch_.commit();
    if (status.ok()) {
        history_sequence_ = batch_history_sequence_;
        transaction_sequence_ = batch_transaction_sequence_;
        idempotency_.merge(batch_idempotency_);
        batch_idempotency_.clear();
        return status;
    }
    batch_history_sequence_ = history_sequence_;
    batch_transaction_sequence_ = transaction_sequence_;
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
    std::string key = key_u64(transaction.id);
    scratch_.clear();
    transaction.encode(scratch_);
    // Ids grow within a batch and across batches: every new record appends.
    Status status = batch_.put(transactions_, key, scratch_, MDB_APPEND);
    if (status.ok()) {
        status = batch_.put(customer_transactions_,
                            key_u64_pair(transaction.customer_id, transaction.id), {});
    }
    if (status.ok() && !transaction.idempotency_key.empty()) {
        batch_idempotency_[idempotency_index_key(transaction.customer_id,
                                                 transaction.idempotency_key)] = transaction.id;
    }
    return status;
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
