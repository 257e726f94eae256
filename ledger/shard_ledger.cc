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
    return Status();
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
    return Status();
}

Status ShardLedger::commit_batch() {
    if (!batch_.active()) return Status();
    Status status = batch_.commit();
    if (status.ok()) {
        history_sequence_ = batch_history_sequence_;
        return status;
    }
    batch_history_sequence_ = history_sequence_;
    if (status.detail() == "storage_full") env_->grow_map();
    return status;
}

void ShardLedger::abort_batch() {
    batch_.abort();
    batch_history_sequence_ = history_sequence_;
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
