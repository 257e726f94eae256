// The transaction lifecycle: lifecycle.h's table checked against the edges of SPEC §4 written
// out here, and ShardLedger::transition() in a real LMDB environment (every status pair, balance
// effects and the negative-balance flag, aborted batches, reopening, the status index behind
// all_transactions(), and the outbox read from another thread while the owner commits).
// Thread: the test's own; OutboxReadFromAnotherThread adds one reader thread.
#include "ledger/lifecycle.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ledger/shard_ledger.h"

namespace cashierd::ledger {

// Readable failure messages (found by argument-dependent lookup, so not in the anonymous
// namespace).
void PrintTo(TxStatus status, std::ostream* out) {
    *out << tx_status_name(status);
}

void PrintTo(HistoryType type, std::ostream* out) {
    *out << history_type_name(type);
}

void PrintTo(TransitionOutcome outcome, std::ostream* out) {
    constexpr const char* names[] = {"applied", "not_found", "not_allowed", "account_unavailable"};
    *out << names[static_cast<std::size_t>(outcome)];
}

void PrintTo(BalanceEffect effect, std::ostream* out) {
    constexpr const char* names[] = {"none",          "credit",       "debit",
                                     "hold_to_debit", "release_hold", "reverse_debit"};
    *out << names[static_cast<std::size_t>(effect)];
}

namespace {

constexpr std::uint32_t shard_count = 3;
constexpr std::uint32_t shard = 2;
// Customers and logins of this shard (customer ids must be ≡ shard mod shard_count).
constexpr CustomerId customer_a = 2;
constexpr CustomerId customer_b = 5;
constexpr Login login_a = 1001;  // customer_a
constexpr Login login_b = 1002;  // customer_a
constexpr Login login_c = 2001;  // customer_b
// Transactions are in EUR, accounts in USD: the balance moves by the converted amount, the
// outbox reports the transaction's own amount, so a mix-up of the two shows.
constexpr std::int64_t tx_amount = 10000;
constexpr std::int64_t converted = 11000;

constexpr TxType both_types[] = {TxType::deposit, TxType::withdrawal};

TxStatus status_at(std::uint8_t value) {
    return static_cast<TxStatus>(value);
}

std::string name_of(TxType type) {
    return type == TxType::deposit ? "deposit" : "withdrawal";
}

std::string edge_name(TxType type, TxStatus from, TxStatus to) {
    return name_of(type) + " " + std::string(tx_status_name(from)) + " -> " +
           std::string(tx_status_name(to));
}

struct Edge {
    TxType type;
    TxStatus from;
    TxStatus to;
};

// SPEC §4 "Transaction lifecycle", edge by edge, independent of lifecycle.cc.
std::vector<Edge> spec_edges() {
    using enum TxStatus;
    constexpr TxType d = TxType::deposit;
    constexpr TxType w = TxType::withdrawal;
    return {
            {d, created, pending_payment},
            // Not an edge the spec names: a provider payment that cannot even be created (the
            // provider refuses it) fails before it was ever pending, so created -> failed is
            // allowed, as lifecycle.cc does.
            {d, created, failed},
            {d, pending_payment, provider_confirmed},
            {d, pending_payment, failed},
            {d, pending_payment, cancelled},
            {d, provider_confirmed, credited},
            {d, provider_confirmed, credit_failed},
            {d, credited, refunded},
            {d, credited, chargeback},
            // "Any anomaly -> manual_review": an anomaly is only looked for before the money
            // moved (after it, a refund or dispute of another amount changes nothing).
            {d, created, manual_review},
            {d, pending_payment, manual_review},
            {d, provider_confirmed, manual_review},
            {d, manual_review, credited},
            {d, manual_review, failed},
            {d, credit_failed, credited},
            {w, created, manual_review},
            {w, manual_review, pending_payment},
            {w, manual_review, cancelled},
            {w, pending_payment, provider_confirmed},
            {w, pending_payment, failed},
    };
}

bool spec_allows(TxType type, TxStatus from, TxStatus to) {
    for (const Edge& edge : spec_edges()) {
        if (edge.type == type && edge.from == from && edge.to == to) return true;
    }
    return false;
}

// What SPEC §4 says entering `to` does to the account, for an allowed edge.
BalanceEffect spec_effect(TxType type, TxStatus from, TxStatus to) {
    if (type == TxType::deposit) {
        if (to == TxStatus::credited) return BalanceEffect::credit;
        if (to == TxStatus::refunded || to == TxStatus::chargeback) return BalanceEffect::debit;
        return BalanceEffect::none;
    }
    if (from == TxStatus::manual_review && to == TxStatus::pending_payment) {
        return BalanceEffect::hold_to_debit;  // "hold becomes a debit"
    }
    if (from == TxStatus::manual_review && to == TxStatus::cancelled) {
        return BalanceEffect::release_hold;  // "hold released"
    }
    if (from == TxStatus::pending_payment && to == TxStatus::failed) {
        return BalanceEffect::reverse_debit;  // "debit reversed"
    }
    return BalanceEffect::none;
}

// The withdrawal edges that move a hold. No API places a hold yet (put_account never sets
// `held`), so a transaction in manual_review has none and these cannot run end to end.
bool needs_hold(TxType type, TxStatus from, TxStatus to) {
    BalanceEffect effect = spec_effect(type, from, to);
    return spec_allows(type, from, to) &&
           (effect == BalanceEffect::hold_to_debit || effect == BalanceEffect::release_hold);
}

// ---------------------------------------------------------------------------------------------
// The table.

TEST(LifecycleTable, EveryTypeAndStatusPairMatchesTheSpec) {
    std::size_t allowed[2] = {0, 0};
    for (TxType type : both_types) {
        for (std::uint8_t from = 0; from <= tx_status_max; ++from) {
            for (std::uint8_t to = 0; to <= tx_status_max; ++to) {
                bool expected = spec_allows(type, status_at(from), status_at(to));
                EXPECT_EQ(transition_allowed(type, status_at(from), status_at(to)), expected)
                        << edge_name(type, status_at(from), status_at(to));
                if (transition_allowed(type, status_at(from), status_at(to))) {
                    ++allowed[static_cast<std::size_t>(type)];
                }
            }
        }
    }
    EXPECT_EQ(allowed[0], 15u);
    EXPECT_EQ(allowed[1], 5u);
}

TEST(LifecycleTable, NoStatusMovesToItself) {
    for (TxType type : both_types) {
        for (std::uint8_t s = 0; s <= tx_status_max; ++s) {
            EXPECT_FALSE(transition_allowed(type, status_at(s), status_at(s)))
                    << edge_name(type, status_at(s), status_at(s));
        }
    }
}

TEST(LifecycleTable, StatusesOutsideTheTableAreRefused) {
    const TxStatus outside[] = {status_at(tx_status_max + 1), status_at(0xff)};
    for (TxType type : both_types) {
        for (TxStatus bad : outside) {
            for (std::uint8_t s = 0; s <= tx_status_max; ++s) {
                EXPECT_FALSE(transition_allowed(type, bad, status_at(s)));
                EXPECT_FALSE(transition_allowed(type, status_at(s), bad));
                EXPECT_EQ(balance_effect(type, bad, status_at(s)), BalanceEffect::none);
                EXPECT_EQ(balance_effect(type, status_at(s), bad), BalanceEffect::none);
            }
            EXPECT_FALSE(transition_allowed(type, bad, bad));
        }
    }
}

TEST(LifecycleTable, BalanceEffectOfEveryPair) {
    for (TxType type : both_types) {
        for (std::uint8_t from = 0; from <= tx_status_max; ++from) {
            for (std::uint8_t to = 0; to <= tx_status_max; ++to) {
                TxStatus f = status_at(from);
                TxStatus t = status_at(to);
                BalanceEffect expected =
                        spec_allows(type, f, t) ? spec_effect(type, f, t) : BalanceEffect::none;
                EXPECT_EQ(balance_effect(type, f, t), expected) << edge_name(type, f, t);
            }
        }
    }
    // The named edges once more, so a change to spec_effect() alone cannot hide a mistake.
    using enum TxStatus;
    EXPECT_EQ(balance_effect(TxType::deposit, provider_confirmed, credited), BalanceEffect::credit);
    EXPECT_EQ(balance_effect(TxType::deposit, manual_review, credited), BalanceEffect::credit);
    EXPECT_EQ(balance_effect(TxType::deposit, credit_failed, credited), BalanceEffect::credit);
    EXPECT_EQ(balance_effect(TxType::deposit, credited, refunded), BalanceEffect::debit);
    EXPECT_EQ(balance_effect(TxType::deposit, credited, chargeback), BalanceEffect::debit);
    EXPECT_EQ(balance_effect(TxType::deposit, provider_confirmed, credit_failed),
              BalanceEffect::none);
    EXPECT_EQ(balance_effect(TxType::withdrawal, manual_review, pending_payment),
              BalanceEffect::hold_to_debit);
    EXPECT_EQ(balance_effect(TxType::withdrawal, manual_review, cancelled),
              BalanceEffect::release_hold);
    EXPECT_EQ(balance_effect(TxType::withdrawal, pending_payment, failed),
              BalanceEffect::reverse_debit);
    EXPECT_EQ(balance_effect(TxType::withdrawal, pending_payment, provider_confirmed),
              BalanceEffect::none);
    EXPECT_EQ(balance_effect(TxType::withdrawal, created, manual_review), BalanceEffect::none);
}

TEST(LifecycleTable, FinalStatusesHaveNoWayOut) {
    for (TxType type : both_types) {
        for (std::uint8_t s = 0; s <= tx_status_max; ++s) {
            bool has_exit = false;
            for (const Edge& edge : spec_edges()) {
                has_exit = has_exit || (edge.type == type && edge.from == status_at(s));
            }
            EXPECT_EQ(is_final(type, status_at(s)), !has_exit)
                    << name_of(type) << " " << tx_status_name(status_at(s));
        }
    }
    using enum TxStatus;
    for (TxStatus s : {failed, cancelled, refunded, chargeback}) {
        EXPECT_TRUE(is_final(TxType::deposit, s)) << tx_status_name(s);
    }
    for (TxStatus s :
         {created, pending_payment, provider_confirmed, credited, credit_failed, manual_review}) {
        EXPECT_FALSE(is_final(TxType::deposit, s)) << tx_status_name(s);
    }
    // "payout confirmed -> provider_confirmed (final)".
    for (TxStatus s : {provider_confirmed, failed, cancelled}) {
        EXPECT_TRUE(is_final(TxType::withdrawal, s)) << tx_status_name(s);
    }
    for (TxStatus s : {created, manual_review, pending_payment}) {
        EXPECT_FALSE(is_final(TxType::withdrawal, s)) << tx_status_name(s);
    }
}

// ---------------------------------------------------------------------------------------------
// ShardLedger::transition() in a real environment.

struct Snapshot {
    TransactionRecord transaction;
    AccountRecord account;
    std::vector<HistoryRecord> history;
    std::uint64_t last_outbox_id = 0;
    std::size_t outbox_count = 0;
    std::vector<OutboxRecord> changes;
};

class LifecycleLedgerTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern =
                (std::filesystem::temp_directory_path() / "lifecycle-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        reopen();
        ASSERT_TRUE(ledger_->begin_batch().ok());
        for (CustomerId id : {customer_a, customer_b}) {
            CustomerRecord customer;
            customer.id = id;
            customer.brand = "b1";
            customer.country = "DE";
            ASSERT_TRUE(ledger_->put_customer(customer).ok());
        }
        for (Login login : {login_a, login_b, login_c}) {
            ASSERT_TRUE(ledger_->put_account(account_request(login, true)).ok());
        }
        ASSERT_TRUE(ledger_->commit_batch().ok());
    }

    void TearDown() override {
        ledger_.reset();
        std::filesystem::remove_all(dir_);
    }

    void reopen() {
        ledger_.reset();
        LedgerOptions options;
        options.durable = false;  // Logic, not fsync.
        options.map_bytes = std::size_t{64} << 20;
        auto opened = ShardLedger::open(dir_, shard, shard_count, options);
        ASSERT_TRUE(opened.ok()) << opened.status().name();
        ledger_ = std::move(opened.value());
    }

    static CustomerId customer_of(Login login) {
        return login == login_c ? customer_b : customer_a;
    }

    // What PUT /admin/accounts/{login} hands to put_account(): no balances, no flags.
    static AccountRecord account_request(Login login, bool enabled) {
        AccountRecord account;
        account.login = login;
        account.customer_id = customer_of(login);
        account.group = "usd";
        account.currency = "USD";
        account.enabled = enabled;
        return account;
    }

    std::int64_t tick() { return ++now_; }

    void set_enabled(Login login, bool enabled) {
        ASSERT_TRUE(ledger_->begin_batch().ok());
        ASSERT_TRUE(ledger_->put_account(account_request(login, enabled)).ok());
        ASSERT_TRUE(ledger_->commit_batch().ok());
    }

    void change_balance(Login login, HistoryType type, std::int64_t amount) {
        ASSERT_TRUE(ledger_->begin_batch().ok());
        ChangeBalanceCommand command;
        command.login = login;
        command.type = type;
        command.amount = amount;
        command.actor = "manager#1";
        command.now = tick();
        auto result = ledger_->change_balance(command);
        ASSERT_TRUE(result.ok());
        ASSERT_EQ(result->outcome, Outcome::created);
        ASSERT_TRUE(ledger_->commit_batch().ok());
    }

    TransactionRecord transaction_request(TxType type, TxStatus status, Login login) {
        TransactionRecord t;
        t.id = ledger_->next_transaction_id();
        t.customer_id = customer_of(login);
        t.login = login;
        t.type = type;
        t.status = status;
        t.provider = "sandbox";
        t.method = "card";
        t.amount = tx_amount;
        t.currency = "EUR";
        t.account_currency = "USD";
        t.converted_amount = converted;
        t.conversion_rate = "1.1";
        t.comment = "opened";
        t.created_time = t.updated_time = tick();
        return t;
    }

    // A committed transaction, put straight into `status`.
    TransactionRecord add(TxType type, TxStatus status, Login login = login_a) {
        EXPECT_TRUE(ledger_->begin_batch().ok());
        TransactionRecord t = transaction_request(type, status, login);
        EXPECT_TRUE(ledger_->put_new_transaction(t).ok());
        EXPECT_TRUE(ledger_->commit_batch().ok());
        auto stored = ledger_->transaction(t.id);
        EXPECT_TRUE(stored.ok());
        return stored.ok() ? stored.value() : t;
    }

    // One transition in a batch of its own, committed.
    TransitionResult move(TransactionId id, TxStatus to, std::string comment = "because") {
        EXPECT_TRUE(ledger_->begin_batch().ok());
        TransitionCommand command{id, to, "manager#7", std::move(comment), "", tick()};
        auto result = ledger_->transition(command);
        EXPECT_TRUE(result.ok());
        EXPECT_TRUE(ledger_->commit_batch().ok());
        return result.ok() ? result.value() : TransitionResult{};
    }

    Snapshot snapshot(TransactionId id, Login login) {
        Snapshot s;
        auto t = ledger_->transaction(id);
        EXPECT_TRUE(t.ok());
        if (t.ok()) s.transaction = t.value();
        auto account = ledger_->account(login);
        if (account.ok()) s.account = account.value();
        auto history = ledger_->all_history(login);
        EXPECT_TRUE(history.ok());
        if (history.ok()) s.history = history.value();
        s.last_outbox_id = ledger_->last_outbox_id();
        auto outbox = ledger_->outbox_after(0, SIZE_MAX);
        EXPECT_TRUE(outbox.ok());
        if (outbox.ok()) s.outbox_count = outbox->size();
        auto changes = ledger_->status_changes(id);
        EXPECT_TRUE(changes.ok());
        if (changes.ok()) s.changes = changes.value();
        return s;
    }

    void expect_unchanged(const Snapshot& before, const Snapshot& after) {
        EXPECT_EQ(after.transaction, before.transaction);
        EXPECT_EQ(after.account, before.account);
        EXPECT_EQ(after.history, before.history);
        EXPECT_EQ(after.last_outbox_id, before.last_outbox_id);
        EXPECT_EQ(after.outbox_count, before.outbox_count);
        EXPECT_EQ(after.changes, before.changes);
    }

    std::vector<TransactionId> listed(const TransactionFilter& filter) {
        auto records = ledger_->all_transactions(filter);
        EXPECT_TRUE(records.ok());
        std::vector<TransactionId> ids;
        if (records.ok()) {
            for (const TransactionRecord& t : records.value())
                ids.push_back(t.id);
        }
        return ids;
    }

    // The status index read directly (layout in shard_ledger.h: status byte, then the id
    // big-endian): every transaction has exactly one entry, under its current status. The
    // listing also checks each record's status, so a stale entry would not show through it.
    void expect_status_index_consistent() {
        ASSERT_FALSE(ledger_->batch_open());
        auto dbi = ledger_->env().open_dbi("status_index");
        ASSERT_TRUE(dbi.ok());
        auto txn = Txn::begin(ledger_->env(), true);
        ASSERT_TRUE(txn.ok());
        std::size_t entries = 0;
        Cursor cursor(txn.value(), dbi.value());
        for (bool more = cursor.move(MDB_FIRST); more; more = cursor.move(MDB_NEXT)) {
            ++entries;
            ASSERT_EQ(cursor.key().size(), 9u);
            TransactionId id = read_key_u64(cursor.key(), 1);
            auto t = ledger_->transaction(id);
            ASSERT_TRUE(t.ok()) << id;
            EXPECT_EQ(status_at(static_cast<std::uint8_t>(cursor.key()[0])), t->status) << id;
        }
        TransactionFilter all;
        all.limit = SIZE_MAX;
        EXPECT_EQ(entries, listed(all).size());
    }

    bool listed_under(TxStatus status, TransactionId id) {
        TransactionFilter filter;
        filter.status = status;
        filter.limit = SIZE_MAX;
        std::vector<TransactionId> ids = listed(filter);
        return std::find(ids.begin(), ids.end(), id) != ids.end();
    }

    std::string dir_;
    std::unique_ptr<ShardLedger> ledger_;
    std::int64_t now_ = 1700000000;
};

TEST_F(LifecycleLedgerTest, EveryPairThroughTransition) {
    std::size_t applied = 0;
    for (TxType type : both_types) {
        for (std::uint8_t f = 0; f <= tx_status_max; ++f) {
            for (std::uint8_t g = 0; g <= tx_status_max; ++g) {
                TxStatus from = status_at(f);
                TxStatus to = status_at(g);
                if (needs_hold(type, from, to)) continue;
                SCOPED_TRACE(edge_name(type, from, to));
                Login login = (f + g) % 2 == 0 ? login_a : login_c;
                TransactionRecord t = add(type, from, login);
                ASSERT_EQ(t.status, from);
                ASSERT_EQ(t.status_sequence, 1u);
                Snapshot before = snapshot(t.id, login);
                ASSERT_EQ(before.changes.size(), 1u);

                ASSERT_TRUE(ledger_->begin_batch().ok());
                TransitionCommand command{t.id,          to,    "manager#7", "pair comment",
                                          "pair reason", tick()};
                auto result = ledger_->transition(command);
                ASSERT_TRUE(result.ok());
                ASSERT_TRUE(ledger_->commit_batch().ok());
                Snapshot after = snapshot(t.id, login);

                if (!spec_allows(type, from, to)) {
                    EXPECT_EQ(result->outcome, TransitionOutcome::not_allowed);
                    EXPECT_EQ(result->history_id, 0u);
                    EXPECT_EQ(result->transaction, before.transaction);
                    expect_unchanged(before, after);
                    EXPECT_TRUE(listed_under(from, t.id));
                    continue;
                }
                ++applied;
                ASSERT_EQ(result->outcome, TransitionOutcome::applied);
                TransactionRecord expected = before.transaction;
                expected.status = to;
                expected.status_sequence = 2;
                expected.failure_reason = "pair reason";
                expected.updated_time = command.now;
                EXPECT_EQ(result->transaction, expected);
                EXPECT_EQ(after.transaction, expected);

                // Exactly one outbox event, and it is the transaction's newest status change.
                EXPECT_EQ(after.last_outbox_id, before.last_outbox_id + shard_count);
                EXPECT_EQ(after.outbox_count, before.outbox_count + 1);
                auto fresh = ledger_->outbox_after(before.last_outbox_id, 10);
                ASSERT_TRUE(fresh.ok());
                ASSERT_EQ(fresh->size(), 1u);
                const OutboxRecord& event = fresh->front();
                EXPECT_EQ(event.id, after.last_outbox_id);
                EXPECT_EQ(event.type, OutboxType::transaction_status);
                EXPECT_EQ(event.transaction_id, t.id);
                EXPECT_EQ(event.transaction_type, type);
                EXPECT_EQ(event.customer_id, t.customer_id);
                EXPECT_EQ(event.login, login);
                EXPECT_EQ(event.previous_status, from);
                EXPECT_EQ(event.status, to);
                EXPECT_EQ(event.sequence, 2u);
                EXPECT_EQ(event.amount, tx_amount);
                EXPECT_EQ(event.currency, "EUR");
                EXPECT_EQ(event.actor, "manager#7");
                EXPECT_EQ(event.comment, "pair comment");
                EXPECT_EQ(event.created_time, command.now);
                ASSERT_EQ(after.changes.size(), 2u);
                EXPECT_EQ(after.changes[0], before.changes[0]);
                EXPECT_EQ(after.changes[1], event);

                EXPECT_TRUE(listed_under(to, t.id));
                EXPECT_FALSE(listed_under(from, t.id));

                BalanceEffect effect = spec_effect(type, from, to);
                if (effect == BalanceEffect::none) {
                    EXPECT_EQ(result->history_id, 0u);
                    EXPECT_EQ(after.account, before.account);
                    EXPECT_EQ(after.history, before.history);
                    continue;
                }
                std::int64_t delta = effect == BalanceEffect::debit ? -converted : converted;
                HistoryType history_type = HistoryType::deposit_credit;
                if (to == TxStatus::refunded) history_type = HistoryType::refund;
                if (to == TxStatus::chargeback) history_type = HistoryType::chargeback;
                if (effect == BalanceEffect::reverse_debit) {
                    history_type = HistoryType::withdrawal_reversal;
                }
                EXPECT_EQ(after.account.balance, before.account.balance + delta);
                EXPECT_EQ(after.account.held, before.account.held);
                EXPECT_EQ(after.account.bonus, before.account.bonus);
                ASSERT_EQ(after.history.size(), before.history.size() + 1);
                const HistoryRecord& h = after.history.back();
                EXPECT_NE(h.id, 0u);
                EXPECT_EQ(h.id, result->history_id);
                EXPECT_EQ(after.account.last_history_id, h.id);
                EXPECT_EQ(h.type, history_type);
                EXPECT_EQ(h.balance_delta, delta);
                EXPECT_EQ(h.bonus_delta, 0);
                EXPECT_EQ(h.balance_after, after.account.balance);
                EXPECT_EQ(h.transaction_id, t.id);
                EXPECT_EQ(h.login, login);
                EXPECT_EQ(h.customer_id, t.customer_id);
                EXPECT_EQ(h.actor, "manager#7");
                EXPECT_EQ(h.comment, "pair comment");
                EXPECT_EQ(h.created_time, command.now);
            }
        }
    }
    EXPECT_EQ(applied, 15u + 5u - 2u);  // The two hold-moving withdrawal edges are skipped.
    expect_status_index_consistent();
}

TEST_F(LifecycleLedgerTest, UnknownTransactionIsNotFound) {
    ASSERT_TRUE(ledger_->begin_batch().ok());
    std::uint64_t last_outbox = ledger_->last_outbox_id();
    TransitionCommand command{
            999 * shard_count + shard, TxStatus::credited, "manager#7", "", "", tick()};
    auto result = ledger_->transition(command);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->outcome, TransitionOutcome::not_found);
    ASSERT_TRUE(ledger_->commit_batch().ok());
    EXPECT_EQ(ledger_->last_outbox_id(), last_outbox);
}

// The spec's paths from created, driven one legal step at a time: each step bumps
// status_sequence by one, status_changes() tells the whole way, and a final status refuses
// everything.
TEST_F(LifecycleLedgerTest, LegalPathsFromCreated) {
    using enum TxStatus;

    struct Path {
        TxType type;
        std::vector<TxStatus> steps;  // From created.
        std::int64_t balance_change;
    };

    const std::vector<Path> paths = {
            {TxType::deposit, {pending_payment, provider_confirmed, credited, refunded}, 0},
            {TxType::deposit, {pending_payment, provider_confirmed, credited, chargeback}, 0},
            {TxType::deposit, {pending_payment, provider_confirmed, credited}, converted},
            {TxType::deposit,
             {pending_payment, provider_confirmed, credit_failed, credited, refunded},
             0},
            {TxType::deposit,
             {pending_payment, provider_confirmed, manual_review, credited, chargeback},
             0},
            {TxType::deposit, {pending_payment, manual_review, failed}, 0},
            {TxType::deposit, {manual_review, credited}, converted},
            {TxType::deposit, {failed}, 0},
            {TxType::deposit, {pending_payment, cancelled}, 0},
            {TxType::deposit, {pending_payment, failed}, 0},
            {TxType::withdrawal, {manual_review}, 0},
    };
    for (const Path& path : paths) {
        SCOPED_TRACE(name_of(path.type) + " ending " +
                     std::string(tx_status_name(path.steps.back())));
        std::int64_t balance = ledger_->account(login_b)->balance;
        TransactionRecord t = add(path.type, created, login_b);
        std::vector<TxStatus> visited = {created};
        for (TxStatus to : path.steps) {
            TransitionResult result = move(t.id, to);
            ASSERT_EQ(result.outcome, TransitionOutcome::applied) << tx_status_name(to);
            visited.push_back(to);
            EXPECT_EQ(result.transaction.status, to);
            EXPECT_EQ(result.transaction.status_sequence, visited.size());
        }
        auto changes = ledger_->status_changes(t.id);
        ASSERT_TRUE(changes.ok());
        ASSERT_EQ(changes->size(), visited.size());
        for (std::size_t i = 0; i < visited.size(); ++i) {
            EXPECT_EQ((*changes)[i].status, visited[i]);
            EXPECT_EQ((*changes)[i].previous_status, i == 0 ? created : visited[i - 1]);
            EXPECT_EQ((*changes)[i].sequence, i + 1);
            EXPECT_EQ((*changes)[i].actor, i == 0 ? "customer" : "manager#7");
            if (i > 0) {
                EXPECT_GT((*changes)[i].id, (*changes)[i - 1].id);
            }
        }
        EXPECT_EQ(ledger_->account(login_b)->balance, balance + path.balance_change);
        TxStatus last = path.steps.back();
        if (is_final(path.type, last)) {
            Snapshot before = snapshot(t.id, login_b);
            for (std::uint8_t g = 0; g <= tx_status_max; ++g) {
                EXPECT_EQ(move(t.id, status_at(g)).outcome, TransitionOutcome::not_allowed);
            }
            expect_unchanged(before, snapshot(t.id, login_b));
        }
    }
}

TEST_F(LifecycleLedgerTest, CreditAddsTheConvertedAmountWithOneHistoryRecord) {
    change_balance(login_a, HistoryType::deposit, 500);
    TransactionRecord t = add(TxType::deposit, TxStatus::provider_confirmed);
    Snapshot before = snapshot(t.id, login_a);
    TransitionResult result = move(t.id, TxStatus::credited, "paid");
    ASSERT_EQ(result.outcome, TransitionOutcome::applied);
    AccountRecord account = ledger_->account(login_a).value();
    EXPECT_EQ(account.balance, 500 + converted);
    EXPECT_EQ(account.negative_since, 0);
    auto history = ledger_->history(login_a, 10, 0);
    ASSERT_TRUE(history.ok());
    ASSERT_EQ(history->size(), before.history.size() + 1);
    const HistoryRecord& h = history->front();
    EXPECT_EQ(history_type_name(h.type), "DEPOSIT_CREDIT");
    EXPECT_EQ(h.transaction_id, t.id);
    EXPECT_NE(h.transaction_id, 0u);
    EXPECT_EQ(h.balance_delta, converted);
    EXPECT_EQ(h.balance_after, 500 + converted);
    EXPECT_EQ(h.id, result.history_id);
    // Crediting twice is not an edge.
    EXPECT_EQ(move(t.id, TxStatus::credited).outcome, TransitionOutcome::not_allowed);
    EXPECT_EQ(ledger_->account(login_a)->balance, 500 + converted);
}

// Refunds and chargebacks take the money back even when it was spent: the balance goes negative
// and the account is flagged from that moment; it stays flagged (with the first moment) until a
// credit brings the balance back to zero or more.
TEST_F(LifecycleLedgerTest, DebitsMayGoNegativeAndFlagTheAccount) {
    TransactionRecord first = add(TxType::deposit, TxStatus::provider_confirmed, login_b);
    ASSERT_EQ(move(first.id, TxStatus::credited).outcome, TransitionOutcome::applied);
    change_balance(login_b, HistoryType::withdraw, converted - 1000);  // Spent most of it.
    ASSERT_EQ(ledger_->account(login_b)->balance, 1000);

    TransitionResult refund = move(first.id, TxStatus::refunded, "customer asked");
    ASSERT_EQ(refund.outcome, TransitionOutcome::applied);
    std::int64_t refunded_at = now_;
    AccountRecord account = ledger_->account(login_b).value();
    EXPECT_EQ(account.balance, 1000 - converted);
    EXPECT_EQ(account.negative_since, refunded_at);
    auto newest = ledger_->history(login_b, 1, 0);
    ASSERT_TRUE(newest.ok());
    ASSERT_EQ(newest->size(), 1u);
    EXPECT_EQ(history_type_name(newest->front().type), "REFUND");
    EXPECT_EQ(newest->front().balance_delta, -converted);
    EXPECT_EQ(newest->front().transaction_id, first.id);
    EXPECT_EQ(newest->front().id, refund.history_id);

    // A second debit while negative keeps the moment it first went negative.
    TransactionRecord second = add(TxType::deposit, TxStatus::credited, login_b);
    ASSERT_EQ(move(second.id, TxStatus::chargeback).outcome, TransitionOutcome::applied);
    account = ledger_->account(login_b).value();
    EXPECT_EQ(account.balance, 1000 - 2 * converted);
    EXPECT_EQ(account.negative_since, refunded_at);
    EXPECT_EQ(history_type_name(ledger_->history(login_b, 1, 0)->front().type), "CHARGEBACK");

    // A credit that leaves it negative keeps the flag; one that reaches zero clears it.
    TransactionRecord third = add(TxType::deposit, TxStatus::provider_confirmed, login_b);
    ASSERT_EQ(move(third.id, TxStatus::credited).outcome, TransitionOutcome::applied);
    EXPECT_EQ(ledger_->account(login_b)->balance, 1000 - converted);
    EXPECT_EQ(ledger_->account(login_b)->negative_since, refunded_at);
    change_balance(login_b, HistoryType::deposit, converted - 2000);
    ASSERT_EQ(ledger_->account(login_b)->balance, -1000);
    TransactionRecord fourth = add(TxType::deposit, TxStatus::manual_review, login_b);
    ASSERT_EQ(move(fourth.id, TxStatus::credited).outcome, TransitionOutcome::applied);
    account = ledger_->account(login_b).value();
    EXPECT_EQ(account.balance, converted - 1000);
    EXPECT_EQ(account.negative_since, 0);

    // A debit that stays at or above zero raises nothing.
    change_balance(login_b, HistoryType::deposit, 1000);
    ASSERT_EQ(ledger_->account(login_b)->balance, converted);
    ASSERT_EQ(move(fourth.id, TxStatus::refunded).outcome, TransitionOutcome::applied);
    EXPECT_EQ(ledger_->account(login_b)->balance, 0);
    EXPECT_EQ(ledger_->account(login_b)->negative_since, 0);
}

// PUT /admin/accounts/{login} hands put_account() a record built from the request (no
// balances, no flag): re-enabling an account must not clear the flag while it is still negative.
TEST_F(LifecycleLedgerTest, PutAccountKeepsTheNegativeFlag) {
    TransactionRecord t = add(TxType::deposit, TxStatus::credited, login_c);
    ASSERT_EQ(move(t.id, TxStatus::chargeback).outcome, TransitionOutcome::applied);
    std::int64_t flagged_at = now_;
    ASSERT_EQ(ledger_->account(login_c)->balance, -converted);
    ASSERT_EQ(ledger_->account(login_c)->negative_since, flagged_at);
    set_enabled(login_c, false);
    set_enabled(login_c, true);
    EXPECT_EQ(ledger_->account(login_c)->balance, -converted);
    EXPECT_EQ(ledger_->account(login_c)->negative_since, flagged_at);
}

TEST_F(LifecycleLedgerTest, CreditOnADisabledAccount) {
    change_balance(login_a, HistoryType::deposit, 700);
    set_enabled(login_a, false);

    // A provider's confirmation cannot be refused: it records credit_failed instead.
    TransactionRecord confirmed = add(TxType::deposit, TxStatus::provider_confirmed);
    Snapshot before = snapshot(confirmed.id, login_a);
    ASSERT_TRUE(ledger_->begin_batch().ok());
    TransitionCommand command{confirmed.id, TxStatus::credited, "provider:sandbox", "paid", "",
                              tick()};
    auto result = ledger_->transition(command);
    ASSERT_TRUE(result.ok());
    ASSERT_TRUE(ledger_->commit_batch().ok());
    EXPECT_EQ(result->outcome, TransitionOutcome::applied);
    EXPECT_EQ(result->history_id, 0u);
    EXPECT_EQ(result->transaction.status, TxStatus::credit_failed);
    EXPECT_EQ(result->transaction.failure_reason, "account_disabled");
    EXPECT_EQ(result->transaction.status_sequence, 2u);
    Snapshot after = snapshot(confirmed.id, login_a);
    EXPECT_EQ(after.transaction, result->transaction);
    EXPECT_EQ(after.account, before.account);
    EXPECT_EQ(after.account.balance, 700);
    EXPECT_EQ(after.history, before.history);
    ASSERT_EQ(after.changes.size(), 2u);
    EXPECT_EQ(after.changes[1].previous_status, TxStatus::provider_confirmed);
    EXPECT_EQ(after.changes[1].status, TxStatus::credit_failed);
    EXPECT_EQ(after.changes[1].actor, "provider:sandbox");
    EXPECT_TRUE(listed_under(TxStatus::credit_failed, confirmed.id));
    EXPECT_FALSE(listed_under(TxStatus::provider_confirmed, confirmed.id));
    EXPECT_FALSE(listed_under(TxStatus::credited, confirmed.id));

    // The back office asking to credit a disabled account is refused and changes nothing.
    TransactionRecord reviewed = add(TxType::deposit, TxStatus::manual_review);
    for (TransactionId id : {reviewed.id, confirmed.id}) {
        Snapshot unchanged = snapshot(id, login_a);
        TransitionResult refused = move(id, TxStatus::credited, "approve");
        EXPECT_EQ(refused.outcome, TransitionOutcome::account_unavailable);
        EXPECT_EQ(refused.history_id, 0u);
        EXPECT_EQ(refused.transaction, unchanged.transaction);
        expect_unchanged(unchanged, snapshot(id, login_a));
    }

    // Re-enabled, the credit_failed deposit is credited once.
    set_enabled(login_a, true);
    TransitionResult recredit = move(confirmed.id, TxStatus::credited, "account reopened");
    ASSERT_EQ(recredit.outcome, TransitionOutcome::applied);
    EXPECT_EQ(recredit.transaction.status, TxStatus::credited);
    EXPECT_EQ(recredit.transaction.status_sequence, 3u);
    EXPECT_EQ(ledger_->account(login_a)->balance, 700 + converted);
    auto history = ledger_->all_history(login_a);
    ASSERT_TRUE(history.ok());
    ASSERT_EQ(history->size(), before.history.size() + 1);
    EXPECT_EQ(history->back().transaction_id, confirmed.id);
    EXPECT_EQ(history->back().type, HistoryType::deposit_credit);
    EXPECT_EQ(move(confirmed.id, TxStatus::credited).outcome, TransitionOutcome::not_allowed);
    EXPECT_EQ(ledger_->account(login_a)->balance, 700 + converted);
    EXPECT_EQ(ledger_->all_history(login_a)->size(), before.history.size() + 1);
}

// Accounts are never deleted, but a transaction restored without its account must not credit
// thin air: it is treated like a disabled account.
TEST_F(LifecycleLedgerTest, CreditWithoutAnAccount) {
    constexpr Login missing = 3003;
    TransactionRecord confirmed = add(TxType::deposit, TxStatus::provider_confirmed, missing);
    TransitionResult result = move(confirmed.id, TxStatus::credited);
    EXPECT_EQ(result.outcome, TransitionOutcome::applied);
    EXPECT_EQ(result.transaction.status, TxStatus::credit_failed);
    EXPECT_EQ(result.transaction.failure_reason, "account_disabled");
    EXPECT_EQ(ledger_->account(missing).status().code(), StatusCode::not_found);
    TransactionRecord reviewed = add(TxType::deposit, TxStatus::manual_review, missing);
    EXPECT_EQ(move(reviewed.id, TxStatus::credited).outcome,
              TransitionOutcome::account_unavailable);
}

TEST_F(LifecycleLedgerTest, WithdrawalPayoutFailureReversesTheDebit) {
    change_balance(login_a, HistoryType::deposit, 300);
    TransactionRecord t = add(TxType::withdrawal, TxStatus::pending_payment);
    TransitionResult result = move(t.id, TxStatus::failed, "payout bounced");
    ASSERT_EQ(result.outcome, TransitionOutcome::applied);
    AccountRecord account = ledger_->account(login_a).value();
    EXPECT_EQ(account.balance, 300 + converted);
    EXPECT_EQ(account.held, 0);
    auto newest = ledger_->history(login_a, 1, 0);
    ASSERT_TRUE(newest.ok());
    ASSERT_EQ(newest->size(), 1u);
    EXPECT_EQ(history_type_name(newest->front().type), "WITHDRAWAL_REVERSAL");
    EXPECT_EQ(newest->front().transaction_id, t.id);
    EXPECT_EQ(newest->front().balance_delta, converted);
    // Confirmed payouts move nothing more.
    TransactionRecord paid = add(TxType::withdrawal, TxStatus::pending_payment);
    ASSERT_EQ(move(paid.id, TxStatus::provider_confirmed).outcome, TransitionOutcome::applied);
    EXPECT_EQ(ledger_->account(login_a).value(), account);
}

TEST_F(LifecycleLedgerTest, AbortedBatchLeavesNothingAndIdsAreReused) {
    // A 2FA notification committed first, so the outbox holds more than status changes.
    ASSERT_TRUE(ledger_->begin_batch().ok());
    OutboxRecord code;
    code.type = OutboxType::two_factor_code;
    code.customer_id = customer_a;
    code.payload_json = R"({"code":"123456"})";
    ASSERT_TRUE(ledger_->append_outbox(code).ok());
    ASSERT_TRUE(ledger_->commit_batch().ok());
    EXPECT_EQ(code.id, ledger_->last_outbox_id());
    EXPECT_EQ(code.id % shard_count, shard);

    TransactionRecord t = add(TxType::deposit, TxStatus::provider_confirmed);
    Snapshot before = snapshot(t.id, login_a);
    std::size_t transactions_before = listed(TransactionFilter{0, {}, {}, SIZE_MAX, 0}).size();

    ASSERT_TRUE(ledger_->begin_batch().ok());
    TransitionCommand credit{t.id, TxStatus::credited, "manager#7", "aborted", "", tick()};
    auto aborted = ledger_->transition(credit);
    ASSERT_TRUE(aborted.ok());
    ASSERT_EQ(aborted->outcome, TransitionOutcome::applied);
    // Inside the batch the batch's own writes are visible...
    EXPECT_EQ(ledger_->transaction(t.id)->status, TxStatus::credited);
    EXPECT_EQ(ledger_->account(login_a)->balance, converted);
    EXPECT_TRUE(listed_under(TxStatus::credited, t.id));
    TransactionRecord extra = transaction_request(TxType::deposit, TxStatus::created, login_a);
    ASSERT_TRUE(ledger_->put_new_transaction(extra).ok());
    OutboxRecord aborted_code = code;
    ASSERT_TRUE(ledger_->append_outbox(aborted_code).ok());
    // ...but nothing outside it: outbox_after() reads committed data only.
    auto outside = ledger_->outbox_after(before.last_outbox_id, 10);
    ASSERT_TRUE(outside.ok());
    EXPECT_TRUE(outside->empty());
    ledger_->abort_batch();

    expect_unchanged(before, snapshot(t.id, login_a));
    EXPECT_EQ(ledger_->transaction(extra.id).status().code(), StatusCode::not_found);
    EXPECT_EQ(listed(TransactionFilter{0, {}, {}, SIZE_MAX, 0}).size(), transactions_before);
    EXPECT_FALSE(listed_under(TxStatus::credited, t.id));
    EXPECT_TRUE(listed_under(TxStatus::provider_confirmed, t.id));
    expect_status_index_consistent();

    // The same work again, committed: the ids the aborted batch took are handed out again, so
    // the committed outbox has no gap.
    ASSERT_TRUE(ledger_->begin_batch().ok());
    credit.comment = "committed";
    auto committed = ledger_->transition(credit);
    ASSERT_TRUE(committed.ok());
    ASSERT_EQ(committed->outcome, TransitionOutcome::applied);
    EXPECT_EQ(committed->history_id, aborted->history_id);
    ASSERT_TRUE(ledger_->commit_batch().ok());
    EXPECT_EQ(ledger_->last_outbox_id(), before.last_outbox_id + shard_count);
    auto fresh = ledger_->outbox_after(before.last_outbox_id, 10);
    ASSERT_TRUE(fresh.ok());
    ASSERT_EQ(fresh->size(), 1u);
    EXPECT_EQ(fresh->front().id, before.last_outbox_id + shard_count);
    EXPECT_EQ(fresh->front().comment, "committed");
    auto all = ledger_->outbox_after(0, SIZE_MAX);
    ASSERT_TRUE(all.ok());
    for (std::size_t i = 0; i < all->size(); ++i) {
        EXPECT_EQ((*all)[i].id, (i + 1) * shard_count + shard) << i;
    }
    EXPECT_EQ(ledger_->transaction(t.id)->status_sequence, 2u);
    EXPECT_EQ(ledger_->account(login_a)->balance, converted);
}

TEST_F(LifecycleLedgerTest, ReopenKeepsSequencesOutboxAndStatusChanges) {
    TransactionRecord a = add(TxType::deposit, TxStatus::created);
    TransactionRecord b = add(TxType::deposit, TxStatus::manual_review, login_c);
    ASSERT_EQ(move(a.id, TxStatus::pending_payment).outcome, TransitionOutcome::applied);
    ASSERT_EQ(move(a.id, TxStatus::provider_confirmed).outcome, TransitionOutcome::applied);
    ASSERT_EQ(move(a.id, TxStatus::credited).outcome, TransitionOutcome::applied);
    ASSERT_EQ(move(b.id, TxStatus::failed).outcome, TransitionOutcome::applied);
    // An aborted batch right before closing must not leave anything behind either.
    ASSERT_TRUE(ledger_->begin_batch().ok());
    TransitionCommand refund{a.id, TxStatus::refunded, "manager#7", "", "", tick()};
    ASSERT_TRUE(ledger_->transition(refund).ok());
    ledger_->abort_batch();

    Snapshot a_before = snapshot(a.id, login_a);
    Snapshot b_before = snapshot(b.id, login_c);
    auto outbox_before = ledger_->outbox_after(0, SIZE_MAX);
    ASSERT_TRUE(outbox_before.ok());
    ASSERT_EQ(outbox_before->size(), 6u);
    EXPECT_EQ(a_before.transaction.status_sequence, 4u);
    EXPECT_EQ(b_before.transaction.status_sequence, 2u);

    reopen();
    expect_unchanged(a_before, snapshot(a.id, login_a));
    expect_unchanged(b_before, snapshot(b.id, login_c));
    EXPECT_EQ(ledger_->outbox_after(0, SIZE_MAX).value(), outbox_before.value());
    EXPECT_TRUE(listed_under(TxStatus::credited, a.id));
    EXPECT_TRUE(listed_under(TxStatus::failed, b.id));
    EXPECT_FALSE(listed_under(TxStatus::manual_review, b.id));
    expect_status_index_consistent();

    // The sequences go on from what was committed.
    TransitionResult refunded = move(a.id, TxStatus::refunded);
    ASSERT_EQ(refunded.outcome, TransitionOutcome::applied);
    EXPECT_EQ(refunded.transaction.status_sequence, 5u);
    EXPECT_EQ(ledger_->last_outbox_id(), a_before.last_outbox_id + shard_count);
    auto changes = ledger_->status_changes(a.id);
    ASSERT_TRUE(changes.ok());
    ASSERT_EQ(changes->size(), 5u);
    EXPECT_EQ(changes->back().sequence, 5u);
    EXPECT_EQ(changes->back().previous_status, TxStatus::credited);
    EXPECT_EQ(changes->back().id, ledger_->last_outbox_id());
    EXPECT_GT(refunded.history_id, a_before.account.last_history_id);
}

TEST_F(LifecycleLedgerTest, AllTransactionsFilters) {
    struct Made {
        TransactionId id;
        Login login;
        TxType type;
        TxStatus status;
    };

    std::vector<Made> made;
    const Login logins[] = {login_a, login_b, login_c};
    for (int i = 0; i < 30; ++i) {
        TxType type = i % 4 == 3 ? TxType::withdrawal : TxType::deposit;
        TxStatus status = i % 5 == 4 ? TxStatus::created : TxStatus::manual_review;
        Login login = logins[i % 3];
        made.push_back({add(type, status, login).id, login, type, status});
    }
    // Work the review queue: some deposits leave it.
    for (Made& m : made) {
        if (m.type != TxType::deposit || m.status != TxStatus::manual_review) continue;
        if (m.id % 7 == 0 || m.id % 7 == 3) {
            TxStatus to = m.id % 2 == 0 ? TxStatus::failed : TxStatus::credited;
            ASSERT_EQ(move(m.id, to).outcome, TransitionOutcome::applied);
            m.status = to;
        }
    }
    auto expected = [&](auto keep) {
        std::vector<TransactionId> ids;
        for (auto it = made.rbegin(); it != made.rend(); ++it) {
            if (keep(*it)) ids.push_back(it->id);
        }
        return ids;
    };
    auto all_pages = [&](TransactionFilter filter, std::size_t page) {
        filter.limit = page;
        std::vector<TransactionId> ids;
        std::set<TransactionId> seen;
        for (int guard = 0; guard < 100; ++guard) {
            std::vector<TransactionId> got = listed(filter);
            EXPECT_LE(got.size(), page);
            for (TransactionId id : got) {
                EXPECT_TRUE(seen.insert(id).second) << id;
                if (!ids.empty()) {
                    EXPECT_LT(id, ids.back());
                }
                ids.push_back(id);
            }
            if (got.size() < page) break;
            filter.before = got.back();
        }
        return ids;
    };

    for (TxStatus status : {TxStatus::created, TxStatus::manual_review, TxStatus::failed,
                            TxStatus::credited, TxStatus::refunded}) {
        SCOPED_TRACE(tx_status_name(status));
        TransactionFilter filter;
        filter.status = status;
        filter.limit = 200;
        std::vector<TransactionId> want =
                expected([&](const Made& m) { return m.status == status; });
        EXPECT_EQ(listed(filter), want);
        for (std::size_t page : {1u, 4u, 7u})
            EXPECT_EQ(all_pages(filter, page), want);
        filter.login = login_b;
        std::vector<TransactionId> want_b =
                expected([&](const Made& m) { return m.status == status && m.login == login_b; });
        EXPECT_EQ(all_pages(filter, 3), want_b);
    }
    std::size_t queue =
            expected([](const Made& m) { return m.status == TxStatus::manual_review; }).size();
    EXPECT_GT(queue, 0u);
    EXPECT_LT(queue, 24u);  // Some really left the queue.
    expect_status_index_consistent();

    TransactionFilter withdrawals;
    withdrawals.type = TxType::withdrawal;
    std::vector<TransactionId> want_w =
            expected([](const Made& m) { return m.type == TxType::withdrawal; });
    EXPECT_EQ(all_pages(withdrawals, 2), want_w);
    withdrawals.status = TxStatus::manual_review;
    EXPECT_EQ(all_pages(withdrawals, 2), expected([](const Made& m) {
                  return m.type == TxType::withdrawal && m.status == TxStatus::manual_review;
              }));

    TransactionFilter by_login;
    by_login.login = login_c;
    EXPECT_EQ(all_pages(by_login, 4), expected([](const Made& m) { return m.login == login_c; }));

    TransactionFilter everything;
    EXPECT_EQ(all_pages(everything, 6), expected([](const Made&) { return true; }));
    EXPECT_EQ(all_pages(everything, 1000).size(), made.size());

    // The limit cuts the newest first.
    TransactionFilter three;
    three.status = TxStatus::manual_review;
    three.limit = 3;
    std::vector<TransactionId> queue_ids =
            expected([](const Made& m) { return m.status == TxStatus::manual_review; });
    EXPECT_EQ(listed(three), std::vector<TransactionId>(queue_ids.begin(), queue_ids.begin() + 3));
    three.limit = 0;
    EXPECT_TRUE(listed(three).empty());
    // A cursor below every id lists nothing.
    three.limit = 10;
    three.before = made.front().id;
    EXPECT_TRUE(listed(three).empty());
}

// outbox_after() has its own read transaction, so the notifier may call it from its thread
// while the shard commits: every committed record is seen once, in id order, and nothing of a
// batch that aborted (whose ids the next batch reuses) is ever seen.
TEST_F(LifecycleLedgerTest, OutboxReadFromAnotherThread) {
    constexpr int batches = 300;
    std::uint64_t start = ledger_->last_outbox_id();
    std::atomic<bool> done{false};
    std::vector<OutboxRecord> seen;
    bool reader_ok = true;
    std::thread reader([&] {
        std::uint64_t after = start;
        bool last_round = false;
        while (true) {
            bool finished = done.load(std::memory_order_acquire);
            auto page = ledger_->outbox_after(after, 7);
            if (!page.ok() || page->size() > 7) {
                reader_ok = false;
                return;
            }
            for (OutboxRecord& record : page.value()) {
                if (record.id <= after || record.id % shard_count != shard) reader_ok = false;
                after = record.id;
                seen.push_back(std::move(record));
            }
            if (page->empty()) {
                if (last_round) return;
                if (finished) last_round = true;  // One more read after the last commit.
                std::this_thread::yield();
            }
        }
    });

    std::size_t committed_records = 0;
    for (int i = 0; i < batches; ++i) {
        ASSERT_TRUE(ledger_->begin_batch().ok());
        std::uint64_t last = ledger_->last_outbox_id();
        bool aborts = i % 17 == 0;
        TransactionRecord t = transaction_request(TxType::deposit, TxStatus::pending_payment,
                                                  i % 2 == 0 ? login_a : login_c);
        t.comment = aborts ? "aborted" : "kept";
        ASSERT_TRUE(ledger_->put_new_transaction(t).ok());
        if (i % 3 != 0) {
            TransitionCommand command{
                    t.id, TxStatus::provider_confirmed, "provider:sandbox", t.comment, "", tick()};
            ASSERT_EQ(ledger_->transition(command)->outcome, TransitionOutcome::applied);
        }
        if (i % 5 == 0) {
            OutboxRecord code;
            code.type = OutboxType::two_factor_code;
            code.customer_id = customer_a;
            code.comment = t.comment;
            ASSERT_TRUE(ledger_->append_outbox(code).ok());
        }
        if (aborts) {
            ledger_->abort_batch();
            continue;
        }
        ASSERT_TRUE(ledger_->commit_batch().ok());
        committed_records += (ledger_->last_outbox_id() - last) / shard_count;
    }
    done.store(true, std::memory_order_release);
    reader.join();
    EXPECT_TRUE(reader_ok);
    auto committed = ledger_->outbox_after(start, SIZE_MAX);
    ASSERT_TRUE(committed.ok());
    EXPECT_EQ(committed->size(), committed_records);
    EXPECT_GT(committed_records, static_cast<std::size_t>(batches));
    EXPECT_EQ(seen.size(), committed->size());
    EXPECT_TRUE(seen == committed.value());
    for (const OutboxRecord& record : seen)
        EXPECT_EQ(record.comment, "kept") << record.id;
}

TEST_F(LifecycleLedgerTest, OutboxAfterLimitsAndCursors) {
    TransactionRecord t = add(TxType::deposit, TxStatus::created);
    ASSERT_EQ(move(t.id, TxStatus::pending_payment).outcome, TransitionOutcome::applied);
    ASSERT_EQ(move(t.id, TxStatus::cancelled).outcome, TransitionOutcome::applied);
    auto all = ledger_->outbox_after(0, SIZE_MAX);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 3u);
    EXPECT_EQ(all->back().id, ledger_->last_outbox_id());
    EXPECT_TRUE(ledger_->outbox_after(0, 0)->empty());
    ASSERT_EQ(ledger_->outbox_after(0, 2)->size(), 2u);
    EXPECT_EQ(ledger_->outbox_after(0, 2)->back().id, (*all)[1].id);
    // A cursor between two ids starts at the next one.
    ASSERT_EQ(ledger_->outbox_after((*all)[0].id + 1, 10)->size(), 2u);
    EXPECT_EQ(ledger_->outbox_after((*all)[0].id + 1, 10)->front().id, (*all)[1].id);
    EXPECT_TRUE(ledger_->outbox_after(ledger_->last_outbox_id(), 10)->empty());
    EXPECT_TRUE(ledger_->outbox_after(ledger_->last_outbox_id() + 1000, 10)->empty());
}

// "Ids above the largest id" is nothing: `after + 1` must not wrap to the start of the outbox.
TEST_F(LifecycleLedgerTest, OutboxAfterTheLargestIdIsEmpty) {
    add(TxType::deposit, TxStatus::created);
    ASSERT_EQ(ledger_->outbox_after(0, 10)->size(), 1u);
    auto none = ledger_->outbox_after(UINT64_MAX, 10);
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace cashierd::ledger
