// A model test of the ledger (TigerBeetle's auditor idea): random command sequences run against
// ShardLedger and against a trivial in-memory model, compared after every step, including
// batches that abort and a ledger reopened from disk. The seed is printed; CASHIERD_TEST_SEED
// replays one.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <map>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "ledger/shard_ledger.h"

namespace cashierd::ledger {
namespace {

std::string temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ledger-model-XXXXXX").string();
    return ::mkdtemp(pattern.data());
}

struct ModelAccount {
    CustomerId customer = 0;
    bool enabled = true;
    std::int64_t balance = 0;
    std::int64_t bonus = 0;
    std::int64_t held = 0;  // Sum of the withdrawals in manual_review.
    std::vector<std::int64_t> balance_deltas;
    std::vector<std::int64_t> bonus_deltas;
};

struct ModelExternal {
    HistoryType type;
    std::int64_t amount;
    HistoryId id;
};

struct ModelTransaction {
    TransactionId id;
    Login login;
    std::int64_t amount;
};

class Model {
public:
    std::map<Login, ModelAccount> accounts;
    std::map<std::pair<Login, std::string>, ModelExternal> externals;
    // (customer, idempotency key) -> the transaction it created.
    std::map<std::pair<CustomerId, std::string>, ModelTransaction> keyed;
    std::map<CustomerId, std::vector<TransactionId>> transactions;  // Oldest first.

    struct Withdrawal {
        Login login;
        std::int64_t amount;
        TxStatus status;
    };

    std::map<TransactionId, Withdrawal> withdrawals;
};

// What a withdrawal's status change does in the model (SPEC §4): nothing when the lifecycle
// has no such edge; else the hold and balance effects, and a history entry when the balance
// moves. Written from the spec's words, not from ledger/lifecycle.cc.
bool model_withdrawal_step(ModelAccount& account, Model::Withdrawal& w, TxStatus to) {
    using enum TxStatus;
    if (w.status == manual_review && to == pending_payment) {
        account.held -= w.amount;
        account.balance -= w.amount;
        account.balance_deltas.push_back(-w.amount);
        account.bonus_deltas.push_back(0);
    } else if (w.status == manual_review && to == cancelled) {
        account.held -= w.amount;
    } else if (w.status == pending_payment && to == failed) {
        account.balance += w.amount;
        account.balance_deltas.push_back(w.amount);
        account.bonus_deltas.push_back(0);
    } else if (!(w.status == pending_payment && to == provider_confirmed)) {
        return false;
    }
    w.status = to;
    return true;
}

constexpr std::uint32_t shard_count = 3;
constexpr std::uint32_t shard = 1;

class LedgerModelTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_dir();
        reopen();
    }

    void TearDown() override {
        ledger_.reset();
        std::filesystem::remove_all(dir_);
    }

    void reopen() {
        ledger_.reset();
        LedgerOptions options;
        options.durable = false;  // The model checks logic, not fsync.
        options.map_bytes = std::size_t{64} << 20;
        auto opened = ShardLedger::open(dir_, shard, shard_count, options);
        ASSERT_TRUE(opened.ok()) << opened.status().detail();
        ledger_ = std::move(opened.value());
    }

    // Balances after every step; the whole history (which grows) every `history_every` steps.
    void compare(const Model& model, std::uint64_t step, bool with_history) {
        for (const auto& [customer, ids] : model.transactions) {
            if (!with_history) break;
            TransactionFilter all;
            all.limit = SIZE_MAX;
            auto listed = ledger_->transactions(customer, all);
            ASSERT_TRUE(listed.ok());
            ASSERT_EQ(listed->size(), ids.size()) << "step " << step;
            for (std::size_t i = 0; i < ids.size(); ++i) {
                // Newest first.
                ASSERT_EQ(listed.value()[i].id, ids[ids.size() - 1 - i]) << "step " << step;
                ASSERT_EQ(listed.value()[i].id % shard_count, shard);
            }
        }
        auto accounts = ledger_->accounts();
        ASSERT_TRUE(accounts.ok());
        ASSERT_EQ(accounts->size(), model.accounts.size()) << "step " << step;
        for (const AccountRecord& account : accounts.value()) {
            auto it = model.accounts.find(account.login);
            ASSERT_NE(it, model.accounts.end()) << "step " << step;
            const ModelAccount& expected = it->second;
            ASSERT_EQ(account.balance, expected.balance)
                    << "login " << account.login << " step " << step;
            ASSERT_EQ(account.bonus, expected.bonus) << "step " << step;
            ASSERT_EQ(account.held, expected.held) << "login " << account.login << " step " << step;
            ASSERT_GE(account.available(), std::min<std::int64_t>(0, account.balance))
                    << "step " << step;
            ASSERT_EQ(account.enabled, expected.enabled) << "step " << step;
            ASSERT_EQ(account.customer_id, expected.customer) << "step " << step;
            if (!with_history) continue;
            auto history = ledger_->all_history(account.login);
            ASSERT_TRUE(history.ok());
            ASSERT_EQ(history->size(), expected.balance_deltas.size()) << "step " << step;
            std::int64_t balance = 0;
            std::int64_t bonus = 0;
            for (std::size_t i = 0; i < history->size(); ++i) {
                const HistoryRecord& record = history.value()[i];
                ASSERT_EQ(record.balance_delta, expected.balance_deltas[i]);
                ASSERT_EQ(record.bonus_delta, expected.bonus_deltas[i]);
                balance += record.balance_delta;
                bonus += record.bonus_delta;
                // Every record carries the balances after it: the history replays exactly.
                ASSERT_EQ(record.balance_after, balance);
                ASSERT_EQ(record.bonus_after, bonus);
                ASSERT_EQ(record.id % shard_count, shard);
                if (i > 0) {
                    ASSERT_GT(record.id, history.value()[i - 1].id);
                }
            }
        }
    }

    std::string dir_;
    std::unique_ptr<ShardLedger> ledger_;
};

TEST_F(LedgerModelTest, RandomCommandsMatchTheModel) {
    std::uint64_t seed = std::random_device{}();
    if (const char* fixed = std::getenv("CASHIERD_TEST_SEED"))
        seed = std::strtoull(fixed, nullptr, 10);
    std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
    std::mt19937_64 random(seed);
    auto pick = [&](std::uint64_t n) { return random() % n; };

    Model committed;
    Model pending = committed;
    std::uint64_t withdrawals_created = 0;  // Counted in batches that may abort: a floor only.
    std::uint64_t withdrawal_steps = 0;
    const HistoryType types[] = {HistoryType::deposit, HistoryType::withdraw,
                                 HistoryType::deposit_nonwithdrawable_bonus,
                                 HistoryType::withdraw_nonwithdrawable_bonus};
    for (std::uint64_t step = 0; step < 2000; ++step) {
        ASSERT_TRUE(ledger_->begin_batch().ok());
        std::uint64_t commands = 1 + pick(8);
        for (std::uint64_t c = 0; c < commands; ++c) {
            if (pick(4) == 0 && !pending.withdrawals.empty() && pick(2) == 0) {
                // A status change of some withdrawal, legal or not.
                auto it = pending.withdrawals.begin();
                std::advance(it, static_cast<long>(pick(pending.withdrawals.size())));
                const TxStatus targets[] = {TxStatus::pending_payment, TxStatus::cancelled,
                                            TxStatus::failed,          TxStatus::provider_confirmed,
                                            TxStatus::credited,        TxStatus::refunded};
                TransitionCommand command{it->first,   targets[pick(std::size(targets))],
                                          "manager#1", "model",
                                          "",          static_cast<std::int64_t>(step)};
                auto moved = ledger_->transition(command);
                ASSERT_TRUE(moved.ok()) << moved.status().detail();
                Model::Withdrawal& w = it->second;
                bool legal = model_withdrawal_step(pending.accounts[w.login], w, command.to);
                ASSERT_EQ(moved->outcome == TransitionOutcome::applied, legal)
                        << "step " << step << " to " << tx_status_name(command.to);
                ASSERT_EQ(moved->transaction.status, w.status) << "step " << step;
                if (legal) ++withdrawal_steps;
                continue;
            }
            if (pick(4) == 0) {
                // A withdrawal request against the available balance.
                Login login = 1000 + pick(6);
                auto account = pending.accounts.find(login);
                TransactionRecord t;
                t.customer_id = account == pending.accounts.end() ? shard_count + shard
                                                                  : account->second.customer;
                t.login = login;
                t.type = TxType::withdrawal;
                t.provider = "sandbox";
                t.method = "card_payout";
                t.amount = t.converted_amount = 1 + static_cast<std::int64_t>(pick(3000));
                t.currency = t.account_currency = "USD";
                t.id = ledger_->next_transaction_id();
                auto created = ledger_->create_withdrawal(t);
                ASSERT_TRUE(created.ok()) << created.status().detail();
                Outcome expected = Outcome::created;
                if (account == pending.accounts.end()) {
                    expected = Outcome::account_not_found;
                } else if (!account->second.enabled) {
                    expected = Outcome::account_disabled;
                } else if (t.amount > account->second.balance - account->second.held) {
                    expected = Outcome::insufficient_funds;
                }
                ASSERT_EQ(static_cast<int>(created.value()), static_cast<int>(expected))
                        << "step " << step;
                if (expected != Outcome::created) continue;
                ASSERT_EQ(t.status, TxStatus::manual_review);
                account->second.held += t.amount;
                pending.transactions[t.customer_id].push_back(t.id);
                pending.withdrawals[t.id] =
                        Model::Withdrawal{login, t.amount, TxStatus::manual_review};
                ++withdrawals_created;
                continue;
            }
            if (pick(4) == 0) {
                // A deposit transaction, keyed half of the time with a small key space so
                // retries (same and different requests) are frequent.
                CustomerId customer = (1 + pick(4)) * shard_count + shard;
                TransactionRecord t;
                t.customer_id = customer;
                t.login = 1000 + pick(6);
                t.provider = "sandbox";
                t.method = "card";
                t.amount = 1 + static_cast<std::int64_t>(pick(3));
                t.currency = "USD";
                if (pick(2) == 0) t.idempotency_key = "key-" + std::to_string(pick(5));
                auto found = ledger_->find_by_idempotency_key(customer, t.idempotency_key);
                ASSERT_TRUE(found.ok());
                auto model_key = std::make_pair(customer, t.idempotency_key);
                bool model_has = !t.idempotency_key.empty() && pending.keyed.count(model_key) != 0;
                ASSERT_EQ(!t.idempotency_key.empty() && found.value().has_value(), model_has)
                        << "step " << step;
                if (model_has) {
                    const ModelTransaction& seen = pending.keyed[model_key];
                    ASSERT_EQ(found.value()->id, seen.id);
                    bool same = seen.login == t.login && seen.amount == t.amount;
                    ASSERT_EQ(compare_request(*found.value(), t) == IdempotencyMatch::same, same);
                    continue;
                }
                t.id = ledger_->next_transaction_id();
                t.status = TxStatus::pending_payment;
                ASSERT_TRUE(ledger_->put_new_transaction(t).ok());
                pending.transactions[customer].push_back(t.id);
                if (!t.idempotency_key.empty()) {
                    pending.keyed[model_key] = ModelTransaction{t.id, t.login, t.amount};
                }
                continue;
            }
            Login login = 1000 + pick(6);
            if (pick(10) == 0 || pending.accounts.count(login) == 0) {
                AccountRecord account;
                account.login = login;
                ModelAccount& model = pending.accounts[login];
                // Customers of this shard only; reassigning is refused once there is history.
                CustomerId customer = (1 + pick(4)) * shard_count + shard;
                account.customer_id = model.balance_deltas.empty() || model.customer == 0
                                              ? customer
                                              : model.customer;
                account.group = "USD";
                account.currency = "USD";
                account.enabled = pick(8) != 0;
                ASSERT_TRUE(ledger_->put_account(account).ok());
                model.customer = account.customer_id;
                model.enabled = account.enabled;
                continue;
            }
            ChangeBalanceCommand command;
            command.login = login;
            command.type = types[pick(4)];
            command.amount = 1 + static_cast<std::int64_t>(pick(5000));
            command.actor = "model";
            command.now = static_cast<std::int64_t>(step);
            if (pick(3) == 0) command.external_id = "ext-" + std::to_string(pick(20));
            auto result = ledger_->change_balance(command);
            ASSERT_TRUE(result.ok()) << result.status().detail();

            ModelAccount& model = pending.accounts[login];
            auto key = std::make_pair(login, command.external_id);
            if (!command.external_id.empty() && pending.externals.count(key) != 0) {
                const ModelExternal& seen = pending.externals[key];
                Outcome expected = seen.type == command.type && seen.amount == command.amount
                                           ? Outcome::exists
                                           : Outcome::exists_with_different_request;
                ASSERT_EQ(static_cast<int>(result->outcome), static_cast<int>(expected))
                        << "step " << step;
                ASSERT_EQ(result->history_id, seen.id);
                continue;
            }
            if (!model.enabled) {
                ASSERT_EQ(result->outcome, Outcome::account_disabled) << "step " << step;
                continue;
            }
            bool bonus = command.type == HistoryType::deposit_nonwithdrawable_bonus ||
                         command.type == HistoryType::withdraw_nonwithdrawable_bonus;
            bool debit = command.type == HistoryType::withdraw ||
                         command.type == HistoryType::withdraw_nonwithdrawable_bonus;
            std::int64_t& target = bonus ? model.bonus : model.balance;
            // Holds are not available to a changebalance withdrawal either.
            std::int64_t available = bonus ? model.bonus : model.balance - model.held;
            if (debit && command.amount > available) {
                ASSERT_EQ(result->outcome, Outcome::insufficient_funds) << "step " << step;
                continue;
            }
            ASSERT_EQ(result->outcome, Outcome::created) << "step " << step;
            std::int64_t delta = debit ? -command.amount : command.amount;
            target += delta;
            model.balance_deltas.push_back(bonus ? 0 : delta);
            model.bonus_deltas.push_back(bonus ? delta : 0);
            if (!command.external_id.empty()) {
                pending.externals[key] =
                        ModelExternal{command.type, command.amount, result->history_id};
            }
        }
        if (pick(6) == 0) {
            ledger_->abort_batch();
            pending = committed;
        } else {
            ASSERT_TRUE(ledger_->commit_batch().ok());
            committed = pending;
        }
        if (pick(200) == 0) reopen();
        compare(committed, step, step % 50 == 0 || step + 1 == 2000);
        if (HasFatalFailure()) {
            std::printf("failed with seed %llu at step %llu\n",
                        static_cast<unsigned long long>(seed),
                        static_cast<unsigned long long>(step));
            return;
        }
    }
    // The walk must have exercised the holds, not only refused them.
    EXPECT_GT(withdrawals_created, 100u);
    EXPECT_GT(withdrawal_steps, 100u);
}

TEST_F(LedgerModelTest, IdsTellTheirShardAndSurviveReopen) {
    AccountRecord account;
    account.login = 77;
    account.customer_id = shard_count + shard;
    account.group = "USD";
    account.currency = "USD";
    ASSERT_TRUE(ledger_->begin_batch().ok());
    ASSERT_TRUE(ledger_->put_account(account).ok());
    ChangeBalanceCommand command;
    command.login = 77;
    command.amount = 100;
    auto first = ledger_->change_balance(command);
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(ledger_->commit_batch().ok());
    EXPECT_EQ(first->history_id, 1 * shard_count + shard);
    reopen();
    ASSERT_TRUE(ledger_->begin_batch().ok());
    auto second = ledger_->change_balance(command);
    ASSERT_TRUE(second.ok());
    ASSERT_TRUE(ledger_->commit_batch().ok());
    EXPECT_EQ(second->history_id, 2 * shard_count + shard);
    EXPECT_EQ(ledger_->account(77)->balance, 200);
}

TEST_F(LedgerModelTest, AbortedBatchLeavesNothingAndReusesNoIds) {
    AccountRecord account;
    account.login = 5;
    account.customer_id = shard;
    account.group = "USD";
    account.currency = "USD";
    ASSERT_TRUE(ledger_->begin_batch().ok());
    ASSERT_TRUE(ledger_->put_account(account).ok());
    ASSERT_TRUE(ledger_->commit_batch().ok());
    ASSERT_TRUE(ledger_->begin_batch().ok());
    ChangeBalanceCommand command;
    command.login = 5;
    command.amount = 50;
    command.external_id = "bank-1";
    auto aborted = ledger_->change_balance(command);
    ASSERT_TRUE(aborted.ok());
    ledger_->abort_batch();
    EXPECT_EQ(ledger_->account(5)->balance, 0);
    ASSERT_TRUE(ledger_->begin_batch().ok());
    auto applied = ledger_->change_balance(command);
    ASSERT_TRUE(applied.ok());
    EXPECT_EQ(applied->outcome, Outcome::created);  // The aborted attempt left no trace.
    EXPECT_EQ(applied->history_id, aborted->history_id);
    ASSERT_TRUE(ledger_->commit_batch().ok());
    ASSERT_TRUE(ledger_->begin_batch().ok());
    auto retried = ledger_->change_balance(command);
    ASSERT_TRUE(retried.ok());
    EXPECT_EQ(retried->outcome, Outcome::exists);
    EXPECT_EQ(retried->history_id, applied->history_id);
    ledger_->abort_batch();
    EXPECT_EQ(ledger_->account(5)->balance, 50);
}

TEST_F(LedgerModelTest, WithdrawBeyondAvailableIsRefusedAndBonusIsApart) {
    AccountRecord account;
    account.login = 9;
    account.customer_id = shard;
    account.group = "USD";
    account.currency = "USD";
    ASSERT_TRUE(ledger_->begin_batch().ok());
    ASSERT_TRUE(ledger_->put_account(account).ok());
    ChangeBalanceCommand bonus;
    bonus.login = 9;
    bonus.type = HistoryType::deposit_nonwithdrawable_bonus;
    bonus.amount = 1000;
    ASSERT_EQ(ledger_->change_balance(bonus)->outcome, Outcome::created);
    ChangeBalanceCommand withdraw;
    withdraw.login = 9;
    withdraw.type = HistoryType::withdraw;
    withdraw.amount = 1;
    // The bonus is never withdrawable.
    EXPECT_EQ(ledger_->change_balance(withdraw)->outcome, Outcome::insufficient_funds);
    ChangeBalanceCommand unknown;
    unknown.login = 10;
    unknown.amount = 1;
    EXPECT_EQ(ledger_->change_balance(unknown)->outcome, Outcome::account_not_found);
    ASSERT_TRUE(ledger_->commit_batch().ok());
    EXPECT_EQ(ledger_->account(9)->bonus, 1000);
    EXPECT_EQ(ledger_->account(9)->balance, 0);
}

}  // namespace
}  // namespace cashierd::ledger
