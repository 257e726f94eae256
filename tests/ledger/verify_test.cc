// verify_data_dir and backup_data_dir on a small two-shard data dir built through GlobalStore and
// ShardLedger: clean as built; then each kind of corruption, written with raw LMDB, is reported
// with a line naming it (never a crash); a directory entry without its account is a warning;
// backups are compacted, verified copies and refuse a non-empty target.
#include "ledger/verify.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <lmdb.h>

#include "ledger/backup.h"
#include "ledger/catalog.h"
#include "ledger/shard_ledger.h"

namespace cashierd::ledger {
namespace {

namespace fs = std::filesystem;

std::string key_u64(std::uint64_t value) {
    std::string key;
    append_key_u64(key, value);
    return key;
}

std::string key_u64_pair(std::uint64_t first, std::uint64_t second) {
    std::string key = key_u64(first);
    append_key_u64(key, second);
    return key;
}

std::string status_key(TxStatus status, std::uint64_t id) {
    return std::string(1, static_cast<char>(status)) + key_u64(id);
}

// Direct writes into one environment, committed when it goes out of scope: the corruption the
// ledger's own API would never produce.
class RawEnv {
public:
    explicit RawEnv(const std::string& directory) {
        EXPECT_EQ(mdb_env_create(&env_), 0);
        mdb_env_set_maxdbs(env_, 16);
        mdb_env_set_mapsize(env_, std::size_t{256} << 20);
        EXPECT_EQ(mdb_env_open(env_, directory.c_str(), 0, 0640), 0) << directory;
        EXPECT_EQ(mdb_txn_begin(env_, nullptr, 0, &txn_), 0);
    }

    ~RawEnv() {
        EXPECT_EQ(mdb_txn_commit(txn_), 0);
        mdb_env_close(env_);
    }

    RawEnv(const RawEnv&) = delete;
    RawEnv& operator=(const RawEnv&) = delete;

    void put(const char* db, std::string_view key, std::string_view value) {
        MDB_val k = val(key);
        MDB_val v = val(value);
        ASSERT_EQ(mdb_put(txn_, dbi(db), &k, &v, 0), 0);
    }

    void del(const char* db, std::string_view key) {
        MDB_val k = val(key);
        ASSERT_EQ(mdb_del(txn_, dbi(db), &k, nullptr), 0);
    }

    std::string get(const char* db, std::string_view key) {
        MDB_val k = val(key);
        MDB_val v{};
        EXPECT_EQ(mdb_get(txn_, dbi(db), &k, &v), 0);
        return {static_cast<const char*>(v.mv_data), v.mv_size};
    }

private:
    static MDB_val val(std::string_view bytes) {
        return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
    }

    MDB_dbi dbi(const char* name) {
        MDB_dbi dbi = 0;
        EXPECT_EQ(mdb_dbi_open(txn_, name, 0, &dbi), 0) << name;
        return dbi;
    }

    MDB_env* env_ = nullptr;
    MDB_txn* txn_ = nullptr;
};

class VerifyTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "verify-XXXXXX").string();
        root_ = ::mkdtemp(pattern.data());
        data_ = root_ + "/data";
        build();
    }

    void TearDown() override { fs::remove_all(root_); }

    std::unique_ptr<ShardLedger> open_shard(std::uint32_t shard, const std::string& dir = {}) {
        LedgerOptions options;
        options.durable = false;
        options.map_bytes = std::size_t{64} << 20;
        auto opened = ShardLedger::open(dir.empty() ? data_ : dir, shard, 2, options);
        EXPECT_TRUE(opened.ok());
        return std::move(opened.value());
    }

    HistoryId change(ShardLedger& ledger, Login login, HistoryType type, std::int64_t amount,
                     std::string external_id = {}) {
        ChangeBalanceCommand command;
        command.login = login;
        command.type = type;
        command.amount = amount;
        command.comment = "comment";
        command.external_id = std::move(external_id);
        command.external_note = "note";
        command.source = "test";
        command.actor = "manager";
        command.now = 1700000000;
        auto result = ledger.change_balance(command);
        EXPECT_TRUE(result.ok());
        EXPECT_EQ(result->outcome, Outcome::created);
        return result->history_id;
    }

    TransactionRecord transaction(CustomerId customer, Login login, TxType type, TxStatus status,
                                  std::int64_t amount) {
        TransactionRecord t;
        t.customer_id = customer;
        t.login = login;
        t.type = type;
        t.status = status;
        t.amount = amount;
        t.converted_amount = amount;
        t.currency = "USD";
        t.account_currency = "USD";
        t.conversion_rate = "1";
        // Every string set, so the shape walk meets every field.
        t.provider = "sandbox";
        t.method = "card";
        t.provider_payment_id = "sbx_1";
        t.failure_reason = "none";
        t.idempotency_key = "key-" + std::to_string(login) + "-" + std::to_string(amount);
        t.comment = "c";
        t.metadata_json = "{}";
        t.success_url = "https://s";
        t.failure_url = "https://f";
        t.redirect_url = "https://r";
        t.instructions_json = "{}";
        return t;
    }

    TransactionId add_transaction(ShardLedger& ledger, TransactionRecord t) {
        t.id = ledger.next_transaction_id();
        EXPECT_TRUE(ledger.put_new_transaction(t).ok());
        return t.id;
    }

    // Customers 2 and 4 on shard 0, 3 on shard 1; accounts 1001 (customer 2, four changes),
    // 1002 (customer 3, one deposit), 1003 (customer 4, none); three transactions.
    void build() {
        std::string error;
        auto global = GlobalStore::open(data_, 2, 2, false, error);
        ASSERT_TRUE(global.ok()) << error;
        ASSERT_TRUE(global.value()->put_brand({"demo", "Demo", true}).ok());
        ASSERT_TRUE(global.value()->put_group({"usd", "demo", "USD", true}).ok());
        for (auto [login, customer] :
             {std::pair{1001, 2}, std::pair{1002, 3}, std::pair{1003, 4}}) {
            ASSERT_TRUE(global.value()->put_directory(login, customer).ok());
        }
        std::unique_ptr<ShardLedger> shards[2] = {open_shard(0), open_shard(1)};
        for (CustomerId id : {2, 3, 4}) {
            ShardLedger& ledger = *shards[id % 2];
            ASSERT_TRUE(ledger.begin_batch().ok());
            CustomerRecord customer;
            customer.id = id;
            customer.brand = "demo";
            customer.country = "GB";
            customer.name = "Name";
            customer.email = "e@example.com";
            customer.phone = "+44";
            customer.two_factor = TwoFactor::google;
            customer.totp_secret = "JBSWY3DPEHPK3PXP";
            customer.overrides = {{"sandbox", "card", false, "10", "20"}};
            ASSERT_TRUE(ledger.put_customer(customer).ok());
            ASSERT_TRUE(ledger.commit_batch().ok());
        }
        for (auto [login, customer] :
             {std::pair{1001, 2}, std::pair{1002, 3}, std::pair{1003, 4}}) {
            ShardLedger& ledger = *shards[customer % 2];
            ASSERT_TRUE(ledger.begin_batch().ok());
            AccountRecord account;
            account.login = login;
            account.customer_id = customer;
            account.group = "usd";
            account.currency = "USD";
            ASSERT_TRUE(ledger.put_account(account).ok());
            ASSERT_TRUE(ledger.commit_batch().ok());
        }
        ShardLedger& zero = *shards[0];
        ASSERT_TRUE(zero.begin_batch().ok());
        history_1001_ = {change(zero, 1001, HistoryType::deposit, 50000, "wire-1"),
                         change(zero, 1001, HistoryType::withdraw, 10000),
                         change(zero, 1001, HistoryType::deposit_nonwithdrawable_bonus, 5000),
                         change(zero, 1001, HistoryType::withdraw_nonwithdrawable_bonus, 2000)};
        deposit_1001_ = add_transaction(
                zero, transaction(2, 1001, TxType::deposit, TxStatus::pending_payment, 2500));
        add_transaction(zero, transaction(4, 1003, TxType::withdrawal, TxStatus::cancelled, 100));
        ASSERT_TRUE(zero.commit_batch().ok());
        ShardLedger& one = *shards[1];
        ASSERT_TRUE(one.begin_batch().ok());
        history_1002_ = change(one, 1002, HistoryType::deposit, 70000);
        add_transaction(one, transaction(3, 1002, TxType::deposit, TxStatus::created, 900));
        ASSERT_TRUE(one.commit_batch().ok());
        // Everything closed before anyone else opens the files (one LMDB open per process).
    }

    VerifyReport verify(const std::string& dir = {}) {
        std::string error;
        auto report = verify_data_dir(dir.empty() ? data_ : dir, &error);
        EXPECT_TRUE(report.ok()) << error;
        return report.ok() ? report.value() : VerifyReport();
    }

    // The report holds exactly one problem, and it reads `line`.
    static void expect_only(const VerifyReport& report, const std::string& line) {
        EXPECT_EQ(report.problem_count, 1u) << format_verify_report(report);
        ASSERT_EQ(report.problems.size(), 1u) << format_verify_report(report);
        EXPECT_EQ(report.problems[0], line);
    }

    static bool has(const std::vector<std::string>& lines, const std::string& text) {
        for (const std::string& line : lines) {
            if (line.find(text) != std::string::npos) return true;
        }
        return false;
    }

    std::string shard_dir(int shard) const { return data_ + "/shard-" + std::to_string(shard); }

    AccountRecord stored_account(Login login, int shard) {
        RawEnv env(shard_dir(shard));
        return AccountRecord::decode(env.get("accounts", key_u64(login)));
    }

    void rewrite_account(const AccountRecord& account, int shard) {
        std::string bytes;
        account.encode(bytes);
        RawEnv(shard_dir(shard)).put("accounts", key_u64(account.login), bytes);
    }

    std::string root_;
    std::string data_;
    std::vector<HistoryId> history_1001_;
    HistoryId history_1002_ = 0;
    TransactionId deposit_1001_ = 0;
};

TEST_F(VerifyTest, TheBuiltDataDirIsClean) {
    VerifyReport report = verify();
    EXPECT_TRUE(report.clean());
    EXPECT_TRUE(report.problems.empty()) << format_verify_report(report);
    EXPECT_TRUE(report.warnings.empty()) << format_verify_report(report);
    EXPECT_EQ(report.shards, 2u);
    EXPECT_EQ(report.customers, 3u);
    EXPECT_EQ(report.accounts, 3u);
    EXPECT_EQ(report.transactions, 3u);
    EXPECT_EQ(report.history_records, 5u);
    EXPECT_EQ(format_verify_report(report),
              "verify: 3 accounts, 3 transactions, 5 history records, 0 problems\n");
    // Ids tell their shard: the fixture's assumptions.
    EXPECT_EQ(history_1001_[0] % 2, 0u);
    EXPECT_EQ(history_1002_ % 2, 1u);
}

TEST_F(VerifyTest, ABalanceThatIsNotTheSumOfItsHistory) {
    AccountRecord account = stored_account(1001, 0);
    ASSERT_EQ(account.balance, 40000);
    account.balance = 40001;
    rewrite_account(account, 0);
    VerifyReport report = verify();
    EXPECT_FALSE(report.clean());
    expect_only(report, "shard-0: account 1001: balance 40001 != sum of its history 40000");
    EXPECT_EQ(format_verify_report(report),
              "shard-0: account 1001: balance 40001 != sum of its history 40000\n"
              "verify: 3 accounts, 3 transactions, 5 history records, 1 problems\n");
}

TEST_F(VerifyTest, ABonusAndALastHistoryIdThatDisagree) {
    AccountRecord account = stored_account(1001, 0);
    account.bonus = 2999;
    account.last_history_id = history_1001_[2];
    rewrite_account(account, 0);
    VerifyReport report = verify();
    EXPECT_EQ(report.problem_count, 2u) << format_verify_report(report);
    EXPECT_TRUE(
            has(report.problems, "shard-0: account 1001: bonus 2999 != sum of its history 3000"));
    EXPECT_TRUE(has(report.problems,
                    "shard-0: account 1001: last_history_id " + std::to_string(history_1001_[2]) +
                            " != its last history record " + std::to_string(history_1001_[3])));
}

TEST_F(VerifyTest, AHistoryRecordWhoseRunningBalanceIsWrong) {
    HistoryId id = history_1001_[1];
    {
        RawEnv env(shard_dir(0));
        HistoryRecord record = HistoryRecord::decode(env.get("history", key_u64(id)));
        record.balance_after = 39000;
        std::string bytes;
        record.encode(bytes);
        env.put("history", key_u64(id), bytes);
    }
    expect_only(verify(), "shard-0: history " + std::to_string(id) +
                                  ": balance_after 39000 != running balance 40000");
}

TEST_F(VerifyTest, AHistoryRecordMovingTheWrongWay) {
    HistoryId id = history_1001_[0];
    {
        RawEnv env(shard_dir(0));
        HistoryRecord record = HistoryRecord::decode(env.get("history", key_u64(id)));
        record.type = HistoryType::withdraw;  // A withdrawal that credited.
        std::string bytes;
        record.encode(bytes);
        env.put("history", key_u64(id), bytes);
    }
    expect_only(verify(), "shard-0: history " + std::to_string(id) +
                                  ": WITHDRAW with balance_delta 50000 and bonus_delta 0");
}

TEST_F(VerifyTest, AnAccountHistoryEntryDeletedOrDangling) {
    HistoryId id = history_1001_[2];
    RawEnv(shard_dir(0)).del("account_history", key_u64_pair(1001, id));
    expect_only(verify(), "shard-0: history " + std::to_string(id) +
                                  ": missing from account_history (login 1001)");
    {
        RawEnv env(shard_dir(0));
        env.put("account_history", key_u64_pair(1001, id), {});
        env.put("account_history", key_u64_pair(1001, 9998), {});
        env.put("account_history", key_u64_pair(1003, history_1001_[3]), {});
    }
    VerifyReport report = verify();
    EXPECT_EQ(report.problem_count, 2u) << format_verify_report(report);
    EXPECT_TRUE(
            has(report.problems, "shard-0: account_history (1001, 9998): history record missing"));
    EXPECT_TRUE(has(report.problems, "shard-0: account_history (1003, " +
                                             std::to_string(history_1001_[3]) + "): history " +
                                             std::to_string(history_1001_[3]) +
                                             " is of login 1001"));
}

TEST_F(VerifyTest, ATransactionIndexEntryWithoutItsTransaction) {
    RawEnv(shard_dir(0)).put("customer_transactions", key_u64_pair(2, 9998), {});
    expect_only(verify(), "shard-0: customer_transactions (2, 9998): transaction missing");
}

TEST_F(VerifyTest, ATransactionMissingFromItsIndex) {
    RawEnv(shard_dir(0)).del("customer_transactions", key_u64_pair(2, deposit_1001_));
    expect_only(verify(), "shard-0: transaction " + std::to_string(deposit_1001_) +
                                  ": missing from customer_transactions (customer 2)");
}

TEST_F(VerifyTest, AnAccountWithoutItsDirectoryEntry) {
    RawEnv(data_ + "/global").del("directory", key_u64(1002));
    expect_only(verify(), "shard-1: account 1002: no directory entry in global");
}

TEST_F(VerifyTest, ADirectoryEntryNamingAnotherCustomer) {
    RawEnv(data_ + "/global").put("directory", key_u64(1003), key_u64(2));
    expect_only(verify(),
                "shard-0: account 1003: the directory says customer 2, the account says "
                "customer 4");
}

TEST_F(VerifyTest, ADirectoryEntryWithoutItsAccountIsOnlyAWarning) {
    // What PUT /admin/accounts leaves when it dies between its two writes, and what a live
    // verify or backup can see while one is in progress.
    RawEnv(data_ + "/global").put("directory", key_u64(1009), key_u64(5));
    VerifyReport report = verify();
    EXPECT_TRUE(report.clean()) << format_verify_report(report);
    ASSERT_EQ(report.warnings.size(), 1u);
    EXPECT_EQ(report.warnings[0],
              "global: directory login 1009 -> customer 5: no account on shard-1");
    EXPECT_EQ(format_verify_report(report),
              "warning: global: directory login 1009 -> customer 5: no account on shard-1\n"
              "verify: 3 accounts, 3 transactions, 5 history records, 0 problems\n");
}

TEST_F(VerifyTest, HeldMustEqualTheWithdrawalsInManualReview) {
    {
        std::unique_ptr<ShardLedger> zero = open_shard(0);
        ASSERT_TRUE(zero->begin_batch().ok());
        add_transaction(*zero,
                        transaction(2, 1001, TxType::withdrawal, TxStatus::manual_review, 300));
        // Not open: no hold.
        add_transaction(*zero, transaction(2, 1001, TxType::withdrawal, TxStatus::failed, 70));
        ASSERT_TRUE(zero->commit_batch().ok());
    }
    expect_only(verify(),
                "shard-0: account 1001: held 0 != sum of its withdrawals in "
                "manual_review 300");
    AccountRecord account = stored_account(1001, 0);
    account.held = 300;
    rewrite_account(account, 0);
    VerifyReport report = verify();
    EXPECT_TRUE(report.clean()) << format_verify_report(report);
    EXPECT_EQ(report.transactions, 5u);
}

TEST_F(VerifyTest, ATransactionWithAnUnknownStatusIsReportedNotFatal) {
    TransactionRecord t = transaction(2, 1001, TxType::deposit, TxStatus::created, 100);
    t.id = 6;
    std::string bytes;
    t.encode(bytes);
    bytes[1 + 8 + 8 + 8 + 1] = 12;  // version, id, customer, login, type, then status.
    {
        RawEnv env(shard_dir(0));
        env.put("transactions", key_u64(6), bytes);
        env.put("customer_transactions", key_u64_pair(2, 6), {});
    }
    expect_only(verify(), "shard-0: transaction 6: unknown status 12");
    bytes[1 + 8 + 8 + 8] = 7;  // The type byte.
    RawEnv(shard_dir(0)).put("transactions", key_u64(6), bytes);
    expect_only(verify(), "shard-0: transaction 6: unknown type 7");
}

TEST_F(VerifyTest, MalformedRecordsAreReportedNotFatal) {
    {
        RawEnv env(shard_dir(0));
        std::string history = env.get("history", key_u64(history_1001_[3]));
        env.put("history", key_u64(history_1001_[3]), history.substr(0, history.size() - 3));
        std::string account = env.get("accounts", key_u64(1003));
        account[0] = 7;
        env.put("accounts", key_u64(1003), account);
        std::string customer = env.get("customers", key_u64(4));
        customer.push_back('x');
        env.put("customers", key_u64(4), customer);
        env.put("transactions", key_u64(8), "");
        env.put("customer_transactions", key_u64_pair(2, 8), {});
    }
    VerifyReport report = verify();
    std::string text = format_verify_report(report);
    EXPECT_TRUE(has(report.problems,
                    "shard-0: history " + std::to_string(history_1001_[3]) + ": malformed record"))
            << text;
    EXPECT_TRUE(
            has(report.problems, "shard-0: account 1003: record version 7 (verify knows 1 to 2)"))
            << text;
    EXPECT_TRUE(has(report.problems, "shard-0: customer 4: malformed record")) << text;
    EXPECT_TRUE(has(report.problems, "shard-0: transaction 8: empty record")) << text;
    // The unreadable history record no longer counts: the account's totals disagree.
    EXPECT_TRUE(
            has(report.problems, "shard-0: account 1001: bonus 3000 != sum of its history 5000"))
            << text;
    EXPECT_EQ(report.history_records, 5u);
}

TEST_F(VerifyTest, TheStatusIndexMustMatchEachTransactionsStatus) {
    // Transaction 2 (customer 1, shard 0) is pending_payment: index it as credited instead.
    {
        RawEnv env(shard_dir(0));
        env.del("status_index", status_key(TxStatus::pending_payment, deposit_1001_));
        env.put("status_index", status_key(TxStatus::credited, deposit_1001_), {});
    }
    VerifyReport report = verify();
    std::string id = std::to_string(deposit_1001_);
    EXPECT_EQ(report.problem_count, 2u) << format_verify_report(report);
    EXPECT_TRUE(has(report.problems, "shard-0: transaction " + id +
                                             ": missing from status_index under pending_payment"))
            << format_verify_report(report);
    EXPECT_TRUE(has(report.problems, "shard-0: status_index (3, " + id + "): transaction " + id +
                                             " is pending_payment"))
            << format_verify_report(report);
}

TEST_F(VerifyTest, RecordsOnTheWrongShard) {
    TransactionRecord t = transaction(3, 1002, TxType::deposit, TxStatus::created, 100);
    t.id = 100;  // Even: a shard-0 id, stored on shard 1.
    std::string bytes;
    t.encode(bytes);
    {
        RawEnv env(shard_dir(1));
        env.put("transactions", key_u64(100), bytes);
        env.put("customer_transactions", key_u64_pair(3, 100), {});
        env.put("status_index", status_key(TxStatus::created, 100), {});
    }
    expect_only(verify(), "shard-1: transaction 100: id is not of shard-1");

    AccountRecord stray = stored_account(1002, 1);  // Customer 3 belongs to shard 1.
    stray.login = 1004;
    rewrite_account(stray, 0);
    RawEnv(data_ + "/global").put("directory", key_u64(1004), key_u64(3));
    VerifyReport report = verify();
    EXPECT_TRUE(has(report.problems, "shard-0: account 1004: customer 3 belongs to shard-1"))
            << format_verify_report(report);
    EXPECT_TRUE(has(report.problems,
                    "global: directory login 1004 -> customer 3 of shard-1, but the account is "
                    "on shard-0"))
            << format_verify_report(report);
}

TEST_F(VerifyTest, TransactionsInImpossibleStates) {
    TransactionRecord credited = transaction(2, 1001, TxType::withdrawal, TxStatus::credited, 5);
    TransactionRecord zero = transaction(2, 1001, TxType::deposit, TxStatus::created, 0);
    TransactionRecord stranger = transaction(2, 1002, TxType::deposit, TxStatus::created, 5);
    credited.id = 6;
    zero.id = 8;
    stranger.id = 10;
    {
        RawEnv env(shard_dir(0));
        for (const TransactionRecord* t : {&credited, &zero, &stranger}) {
            std::string bytes;
            t->encode(bytes);
            env.put("transactions", key_u64(t->id), bytes);
            env.put("customer_transactions", key_u64_pair(2, t->id), {});
            env.put("status_index", status_key(t->status, t->id), {});
        }
    }
    VerifyReport report = verify();
    EXPECT_EQ(report.problem_count, 3u) << format_verify_report(report);
    EXPECT_TRUE(has(report.problems,
                    "shard-0: transaction 6: a withdrawal in status credited, which withdrawals "
                    "never reach"));
    EXPECT_TRUE(has(report.problems, "shard-0: transaction 8: amount 0 is not > 0"));
    // Login 1002 lives on shard 1.
    EXPECT_TRUE(has(report.problems, "shard-0: transaction 10: account 1002 not found"));
}

TEST_F(VerifyTest, WizardsAndTwoFactorStateAreChecked) {
    auto wizard = [](std::string uuid, CustomerId customer, WizardState state) {
        WizardRecord w;
        w.uuid = std::move(uuid);
        w.customer_id = customer;
        w.state = state;
        w.method = TwoFactor::email;
        w.code_hash = std::string(32, 'h');
        return w;
    };
    WizardRecord waiting =
            wizard("00000000-0000-4000-8000-000000000001", 2, WizardState::awaiting_code);
    WizardRecord no_hash = waiting;
    no_hash.uuid = "00000000-0000-4000-8000-000000000002";
    no_hash.code_hash.clear();
    WizardRecord gone = wizard("00000000-0000-4000-8000-000000000003", 2, WizardState::done);
    gone.transaction_id = 9998;
    WizardRecord deposit = wizard("00000000-0000-4000-8000-000000000004", 2, WizardState::done);
    deposit.transaction_id = deposit_1001_;
    WizardRecord stranger = wizard("00000000-0000-4000-8000-000000000005", 3, WizardState::open);
    {
        RawEnv env(shard_dir(0));
        for (const WizardRecord* w : {&waiting, &no_hash, &gone, &deposit, &stranger}) {
            std::string bytes;
            w->encode(bytes);
            env.put("wizards", w->uuid, bytes);
        }
        env.put("wizards", "00000000-0000-4000-8000-000000000006", "\x01garbage");
        std::string state;
        TwoFactorStateRecord{}.encode(state);
        env.put("two_factor", key_u64(2), state);
        env.put("two_factor", key_u64(3), state);
    }
    VerifyReport report = verify();
    EXPECT_EQ(report.problem_count, 6u) << format_verify_report(report);
    const std::string prefix = "shard-0: wizard 00000000-0000-4000-8000-00000000000";
    EXPECT_TRUE(has(report.problems, prefix + "2: waits for a code without its hash"));
    EXPECT_TRUE(
            has(report.problems, prefix + "3: done with transaction 9998, which does not exist"));
    EXPECT_TRUE(has(report.problems, prefix + "4: done with transaction " +
                                             std::to_string(deposit_1001_) +
                                             ", which is not a withdrawal of customer 2"));
    EXPECT_TRUE(has(report.problems, prefix + "5: customer 3 belongs to shard-1"));
    EXPECT_TRUE(has(report.problems, prefix + "6: malformed record"));
    EXPECT_TRUE(has(report.problems, "shard-0: two_factor of customer 3: belongs to shard-1"));
}

TEST_F(VerifyTest, ExternalIdsMustPointAtTheirHistory) {
    std::string key = key_u64(1001) + "wire-2";
    RawEnv(shard_dir(0)).put("external_ids", key, key_u64(history_1001_[1]));
    expect_only(verify(), "shard-0: external_ids (1001, 'wire-2'): history " +
                                  std::to_string(history_1001_[1]) +
                                  " is of login 1001 with external id ''");
}

TEST_F(VerifyTest, AMissingShardAndAStrayShardDirectory) {
    fs::remove_all(shard_dir(1));
    fs::create_directories(data_ + "/shard-2");
    VerifyReport report = verify();
    std::string text = format_verify_report(report);
    EXPECT_TRUE(has(report.problems, "shard-1: cannot open: no LMDB environment")) << text;
    EXPECT_TRUE(has(report.problems, "shard-2: beyond the stored shard count 2")) << text;
    EXPECT_EQ(report.problem_count, 2u) << text;
    // 1002's directory entry now has no account.
    EXPECT_TRUE(has(report.warnings, "directory login 1002")) << text;
    EXPECT_FALSE(fs::exists(shard_dir(1)));  // Verify creates nothing.
}

TEST_F(VerifyTest, SomethingThatIsNotADataDirIsAnErrorAndIsLeftAlone) {
    std::string error;
    auto missing = verify_data_dir(root_ + "/nothing", &error);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status().detail(), "not_a_data_dir");
    EXPECT_NE(error.find("no such directory"), std::string::npos) << error;
    EXPECT_FALSE(fs::exists(root_ + "/nothing"));

    fs::create_directories(root_ + "/empty");
    auto empty = verify_data_dir(root_ + "/empty", &error);
    ASSERT_FALSE(empty.ok());
    EXPECT_NE(error.find("not a cashierd data dir"), std::string::npos) << error;
    EXPECT_TRUE(fs::is_empty(root_ + "/empty"));

    RawEnv(data_ + "/global").del("meta", "shards");
    auto no_count = verify_data_dir(data_, &error);
    ASSERT_FALSE(no_count.ok());
    EXPECT_NE(error.find("no shard count"), std::string::npos) << error;
}

TEST_F(VerifyTest, ABackupIsACompactedCopyThatVerifies) {
    std::string out = root_ + "/backup";
    std::string error;
    auto backup = backup_data_dir(data_, out, &error);
    ASSERT_TRUE(backup.ok()) << error;
    EXPECT_EQ(backup->shards, 2u);
    EXPECT_GT(backup->bytes, 0u);
    for (const char* name : {"global", "shard-0", "shard-1"}) {
        EXPECT_TRUE(fs::is_regular_file(out + "/" + name + "/data.mdb")) << name;
    }
    VerifyReport copied = verify(out);
    EXPECT_TRUE(copied.clean()) << format_verify_report(copied);
    EXPECT_EQ(copied.accounts, 3u);
    EXPECT_EQ(copied.transactions, 3u);
    EXPECT_EQ(copied.history_records, 5u);
    // The copy is a ledger the server opens: same balances, ids continue where they stopped.
    std::unique_ptr<ShardLedger> zero = open_shard(0, out);
    auto account = zero->account(1001);
    ASSERT_TRUE(account.ok());
    EXPECT_EQ(account->balance, 40000);
    EXPECT_EQ(account->bonus, 3000);
    ASSERT_TRUE(zero->begin_batch().ok());
    EXPECT_EQ(change(*zero, 1001, HistoryType::deposit, 1), history_1001_[3] + 2);
    zero->abort_batch();
}

TEST_F(VerifyTest, ABackupCopiesACorruptionFaithfully) {
    AccountRecord account = stored_account(1001, 0);
    account.balance = 1;
    rewrite_account(account, 0);
    std::string out = root_ + "/backup";
    ASSERT_TRUE(backup_data_dir(data_, out).ok());
    expect_only(verify(out), "shard-0: account 1001: balance 1 != sum of its history 40000");
}

TEST_F(VerifyTest, ABackupRefusesATargetThatIsNotEmptyOrNotADirectory) {
    std::string out = root_ + "/busy";
    fs::create_directories(out);
    std::ofstream(out + "/keep") << "x";
    std::string error;
    auto busy = backup_data_dir(data_, out, &error);
    ASSERT_FALSE(busy.ok());
    EXPECT_EQ(busy.status().detail(), "out_dir_not_empty");
    EXPECT_NE(error.find("not empty"), std::string::npos) << error;
    EXPECT_FALSE(fs::exists(out + "/global"));
    EXPECT_TRUE(fs::exists(out + "/keep"));

    auto file = backup_data_dir(data_, out + "/keep", &error);
    ASSERT_FALSE(file.ok());
    EXPECT_EQ(file.status().detail(), "out_dir_not_a_directory");

    // An empty directory is accepted.
    fs::create_directories(root_ + "/empty");
    EXPECT_TRUE(backup_data_dir(data_, root_ + "/empty").ok());
    EXPECT_TRUE(verify(root_ + "/empty").clean());
}

TEST_F(VerifyTest, ABackupOfSomethingThatIsNotADataDirWritesNothing) {
    std::string error;
    auto missing = backup_data_dir(root_ + "/nothing", root_ + "/out", &error);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status().detail(), "not_a_data_dir");
    EXPECT_FALSE(fs::exists(root_ + "/out"));
    EXPECT_FALSE(fs::exists(root_ + "/nothing"));

    fs::remove_all(shard_dir(1));
    auto partial = backup_data_dir(data_, root_ + "/out", &error);
    ASSERT_FALSE(partial.ok());
    EXPECT_NE(error.find("shard-1"), std::string::npos) << error;
    EXPECT_FALSE(fs::exists(root_ + "/out"));
    EXPECT_FALSE(fs::exists(shard_dir(1)));
}

}  // namespace
}  // namespace cashierd::ledger
