// ShardLedger::apply_provider_event(): a provider's verified webhook applied exactly once per
// (transaction, provider, event id), durably; success confirms and credits in one commit; an
// amount or currency that differs sends an unpaid deposit to manual_review and moves nothing;
// events that are no legal transition change nothing.
// Thread: the test's own.
#include <filesystem>
#include <ostream>
#include <string>
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

void PrintTo(EventOutcome outcome, std::ostream* out) {
    constexpr const char* names[] = {"applied", "replayed", "not_applicable", "amount_mismatch",
                                     "not_found"};
    *out << names[static_cast<std::size_t>(outcome)];
}

namespace {

constexpr std::uint32_t shard_count = 2;
constexpr std::uint32_t shard = 1;
constexpr CustomerId customer_a = 1;  // Customer ids must be ≡ shard mod shard_count.
constexpr CustomerId customer_b = 3;
constexpr Login login_a = 501;          // customer_a
constexpr Login login_b = 502;          // customer_b
constexpr std::int64_t amount = 25000;  // 250.00 USD.

struct Snapshot {
    TransactionRecord transaction;
    AccountRecord account;
    std::vector<HistoryRecord> history;
    std::uint64_t last_outbox_id = 0;
    std::vector<OutboxRecord> changes;
};

class ProviderEventTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern =
                (std::filesystem::temp_directory_path() / "provider-event-XXXXXX").string();
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
        ASSERT_TRUE(ledger_->commit_batch().ok());
        set_enabled(login_a, true);
        set_enabled(login_b, true);
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

    std::int64_t tick() { return ++now_; }

    void set_enabled(Login login, bool enabled) {
        ASSERT_TRUE(ledger_->begin_batch().ok());
        AccountRecord account;
        account.login = login;
        account.customer_id = login == login_a ? customer_a : customer_b;
        account.group = "usd";
        account.currency = "USD";
        account.enabled = enabled;
        ASSERT_TRUE(ledger_->put_account(account).ok());
        ASSERT_TRUE(ledger_->commit_batch().ok());
    }

    // A committed USD transaction put straight into `status`.
    TransactionRecord add(TxStatus status, std::string provider = "sandbox", Login login = login_a,
                          TxType type = TxType::deposit) {
        EXPECT_TRUE(ledger_->begin_batch().ok());
        TransactionRecord t;
        t.id = ledger_->next_transaction_id();
        t.customer_id = login == login_a ? customer_a : customer_b;
        t.login = login;
        t.type = type;
        t.status = status;
        t.provider = std::move(provider);
        t.method = "card";
        t.amount = amount;
        t.currency = "USD";
        t.account_currency = "USD";
        t.converted_amount = amount;
        t.conversion_rate = "1";
        t.created_time = t.updated_time = tick();
        EXPECT_TRUE(ledger_->put_new_transaction(t).ok());
        EXPECT_TRUE(ledger_->commit_batch().ok());
        auto stored = ledger_->transaction(t.id);
        EXPECT_TRUE(stored.ok());
        return stored.ok() ? stored.value() : t;
    }

    ProviderEventCommand event(TransactionId id, ProviderEventKind kind, std::string event_id,
                               std::string amount_text = "250.00") {
        ProviderEventCommand command;
        command.provider = "sandbox";
        command.event_id = std::move(event_id);
        command.transaction_id = id;
        command.kind = kind;
        command.amount_text = std::move(amount_text);
        command.currency = "USD";
        command.now = tick();
        return command;
    }

    // Inside the open batch.
    ProviderEventResult apply_in_batch(const ProviderEventCommand& command) {
        auto result = ledger_->apply_provider_event(command);
        EXPECT_TRUE(result.ok()) << result.status().name();
        return result.ok() ? result.value() : ProviderEventResult{};
    }

    // In a batch of its own, committed.
    ProviderEventResult apply(const ProviderEventCommand& command) {
        EXPECT_TRUE(ledger_->begin_batch().ok());
        ProviderEventResult result = apply_in_batch(command);
        EXPECT_TRUE(ledger_->commit_batch().ok());
        return result;
    }

    Snapshot snapshot(TransactionId id, Login login = login_a) {
        Snapshot s;
        auto t = ledger_->transaction(id);
        EXPECT_TRUE(t.ok());
        if (t.ok()) s.transaction = t.value();
        auto account = ledger_->account(login);
        EXPECT_TRUE(account.ok());
        if (account.ok()) s.account = account.value();
        auto history = ledger_->all_history(login);
        EXPECT_TRUE(history.ok());
        if (history.ok()) s.history = history.value();
        s.last_outbox_id = ledger_->last_outbox_id();
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
        EXPECT_EQ(after.changes, before.changes);
    }

    // The history records of `login` that belong to transaction `id`.
    std::vector<HistoryRecord> history_of(TransactionId id, Login login = login_a) {
        std::vector<HistoryRecord> found;
        auto all = ledger_->all_history(login);
        EXPECT_TRUE(all.ok());
        if (!all.ok()) return found;
        for (const HistoryRecord& h : all.value()) {
            if (h.transaction_id == id) found.push_back(h);
        }
        return found;
    }

    TransactionRecord credited() {
        TransactionRecord t = add(TxStatus::pending_payment);
        ProviderEventResult paid = apply(event(t.id, ProviderEventKind::succeeded, "evt_paid"));
        EXPECT_EQ(paid.outcome, EventOutcome::applied);
        EXPECT_EQ(paid.transaction.status, TxStatus::credited);
        return paid.transaction;
    }

    std::string dir_;
    std::unique_ptr<ShardLedger> ledger_;
    std::int64_t now_ = 1700000000;
};

TEST_F(ProviderEventTest, SucceededConfirmsAndCreditsInOneBatch) {
    TransactionRecord t = add(TxStatus::pending_payment);
    Snapshot before = snapshot(t.id);
    ASSERT_EQ(before.account.balance, 0);

    ASSERT_TRUE(ledger_->begin_batch().ok());
    ProviderEventCommand command = event(t.id, ProviderEventKind::succeeded, "evt_1");
    command.provider_payment_id = "pay_1";
    command.reason = "paid by card";
    ProviderEventResult result = apply_in_batch(command);
    EXPECT_EQ(result.outcome, EventOutcome::applied);
    EXPECT_TRUE(result.applied);
    EXPECT_EQ(result.transaction.status, TxStatus::credited);
    EXPECT_EQ(result.transaction.status_sequence, 3u);
    EXPECT_EQ(result.transaction.provider_payment_id, "pay_1");
    EXPECT_EQ(result.transaction.failure_reason, "");
    // Nothing is visible outside the batch before it commits.
    ASSERT_TRUE(ledger_->outbox_after(before.last_outbox_id, 10)->empty());
    ASSERT_TRUE(ledger_->commit_batch().ok());

    Snapshot after = snapshot(t.id);
    EXPECT_EQ(after.transaction, result.transaction);
    EXPECT_EQ(after.account.balance, amount);
    EXPECT_EQ(after.last_outbox_id, before.last_outbox_id + 2 * shard_count);
    auto fresh = ledger_->outbox_after(before.last_outbox_id, 10);
    ASSERT_TRUE(fresh.ok());
    ASSERT_EQ(fresh->size(), 2u);
    EXPECT_EQ((*fresh)[0].previous_status, TxStatus::pending_payment);
    EXPECT_EQ((*fresh)[0].status, TxStatus::provider_confirmed);
    EXPECT_EQ((*fresh)[0].sequence, 2u);
    EXPECT_EQ((*fresh)[1].previous_status, TxStatus::provider_confirmed);
    EXPECT_EQ((*fresh)[1].status, TxStatus::credited);
    EXPECT_EQ((*fresh)[1].sequence, 3u);
    for (const OutboxRecord& record : fresh.value()) {
        EXPECT_EQ(record.transaction_id, t.id);
        EXPECT_EQ(record.actor, "provider:sandbox");
        EXPECT_EQ(record.comment, "paid by card");
        EXPECT_EQ(record.created_time, command.now);
        EXPECT_EQ(record.amount, amount);
    }
    ASSERT_EQ(after.changes.size(), 3u);
    EXPECT_EQ(after.changes[1], (*fresh)[0]);
    EXPECT_EQ(after.changes[2], (*fresh)[1]);

    ASSERT_EQ(after.history.size(), before.history.size() + 1);
    const HistoryRecord& h = after.history.back();
    EXPECT_EQ(h.type, HistoryType::deposit_credit);
    EXPECT_EQ(h.transaction_id, t.id);
    EXPECT_EQ(h.balance_delta, amount);
    EXPECT_EQ(h.actor, "provider:sandbox");
}

TEST_F(ProviderEventTest, SucceededOnProviderConfirmedCredits) {
    TransactionRecord t = add(TxStatus::provider_confirmed);
    Snapshot before = snapshot(t.id);
    ProviderEventResult result = apply(event(t.id, ProviderEventKind::succeeded, "evt_1"));
    EXPECT_EQ(result.outcome, EventOutcome::applied);
    EXPECT_TRUE(result.applied);
    EXPECT_EQ(result.transaction.status, TxStatus::credited);
    EXPECT_EQ(result.transaction.status_sequence, 2u);
    EXPECT_EQ(ledger_->last_outbox_id(), before.last_outbox_id + shard_count);
    EXPECT_EQ(ledger_->account(login_a)->balance, amount);
    EXPECT_EQ(history_of(t.id).size(), 1u);
}

TEST_F(ProviderEventTest, ReplayChangesNothingAndIsDurable) {
    TransactionRecord t = add(TxStatus::pending_payment);
    ASSERT_TRUE(ledger_->begin_batch().ok());
    ProviderEventCommand paid = event(t.id, ProviderEventKind::succeeded, "evt_1");
    ASSERT_EQ(apply_in_batch(paid).outcome, EventOutcome::applied);
    Snapshot in_batch = snapshot(t.id);
    ProviderEventResult again = apply_in_batch(paid);
    EXPECT_EQ(again.outcome, EventOutcome::replayed);
    EXPECT_FALSE(again.applied);
    EXPECT_EQ(again.transaction, in_batch.transaction);
    expect_unchanged(in_batch, snapshot(t.id));
    ASSERT_TRUE(ledger_->commit_batch().ok());

    Snapshot committed = snapshot(t.id);
    EXPECT_EQ(committed.account.balance, amount);
    paid.now = tick();
    EXPECT_EQ(apply(paid).outcome, EventOutcome::replayed);
    expect_unchanged(committed, snapshot(t.id));

    // An event that changed nothing is remembered as well.
    ProviderEventCommand late_failure = event(t.id, ProviderEventKind::failed, "evt_2");
    EXPECT_EQ(apply(late_failure).outcome, EventOutcome::not_applicable);
    EXPECT_EQ(apply(late_failure).outcome, EventOutcome::replayed);

    reopen();
    expect_unchanged(committed, snapshot(t.id));
    ProviderEventResult after_reopen = apply(paid);
    EXPECT_EQ(after_reopen.outcome, EventOutcome::replayed);
    EXPECT_FALSE(after_reopen.applied);
    EXPECT_EQ(after_reopen.transaction, committed.transaction);
    EXPECT_EQ(apply(late_failure).outcome, EventOutcome::replayed);
    expect_unchanged(committed, snapshot(t.id));
}

// The event's memory is part of the batch: an aborted batch forgets it with everything else.
TEST_F(ProviderEventTest, AbortedBatchForgetsTheEvent) {
    TransactionRecord t = credited();
    Snapshot before = snapshot(t.id);
    ProviderEventCommand refund = event(t.id, ProviderEventKind::refunded, "evt_refund");
    ASSERT_TRUE(ledger_->begin_batch().ok());
    ASSERT_EQ(apply_in_batch(refund).outcome, EventOutcome::applied);
    ledger_->abort_batch();
    expect_unchanged(before, snapshot(t.id));
    ProviderEventResult retried = apply(refund);
    EXPECT_EQ(retried.outcome, EventOutcome::applied);
    EXPECT_EQ(retried.transaction.status, TxStatus::refunded);
    EXPECT_EQ(ledger_->account(login_a)->balance, 0);
}

TEST_F(ProviderEventTest, FiftyDistinctSuccessEventsInOneBatchCreditOnce) {
    TransactionRecord t = add(TxStatus::pending_payment);
    std::uint64_t last_outbox = ledger_->last_outbox_id();
    ASSERT_TRUE(ledger_->begin_batch().ok());
    for (int i = 0; i < 50; ++i) {
        ProviderEventResult result = apply_in_batch(
                event(t.id, ProviderEventKind::succeeded, "evt_" + std::to_string(i)));
        EXPECT_EQ(result.transaction.status, TxStatus::credited) << i;
        EXPECT_EQ(result.transaction.status_sequence, 3u) << i;
        if (i == 0) {
            EXPECT_EQ(result.outcome, EventOutcome::applied);
            EXPECT_TRUE(result.applied);
        } else {
            EXPECT_EQ(result.outcome, EventOutcome::not_applicable) << i;
            EXPECT_FALSE(result.applied) << i;
        }
    }
    ASSERT_TRUE(ledger_->commit_batch().ok());
    EXPECT_EQ(ledger_->account(login_a)->balance, amount);
    EXPECT_EQ(ledger_->all_history(login_a)->size(), 1u);
    ASSERT_EQ(history_of(t.id).size(), 1u);
    EXPECT_EQ(history_of(t.id)[0].type, HistoryType::deposit_credit);
    EXPECT_EQ(ledger_->last_outbox_id(), last_outbox + 2 * shard_count);
    EXPECT_EQ(ledger_->status_changes(t.id)->size(), 3u);
    // Every one of them is remembered.
    ASSERT_TRUE(ledger_->begin_batch().ok());
    for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(apply_in_batch(
                          event(t.id, ProviderEventKind::succeeded, "evt_" + std::to_string(i)))
                          .outcome,
                  EventOutcome::replayed)
                << i;
    }
    ASSERT_TRUE(ledger_->commit_batch().ok());
    EXPECT_EQ(ledger_->account(login_a)->balance, amount);
}

TEST_F(ProviderEventTest, FiftyDistinctSuccessEventsInFiftyBatchesCreditOnce) {
    TransactionRecord t = add(TxStatus::pending_payment);
    std::uint64_t last_outbox = ledger_->last_outbox_id();
    int applied = 0;
    for (int i = 0; i < 50; ++i) {
        ProviderEventResult result =
                apply(event(t.id, ProviderEventKind::succeeded, "evt_" + std::to_string(i)));
        if (result.applied) ++applied;
        EXPECT_EQ(result.outcome, i == 0 ? EventOutcome::applied : EventOutcome::not_applicable)
                << i;
        EXPECT_EQ(result.transaction.status, TxStatus::credited) << i;
    }
    EXPECT_EQ(applied, 1);
    EXPECT_EQ(ledger_->account(login_a)->balance, amount);
    ASSERT_EQ(history_of(t.id).size(), 1u);
    EXPECT_EQ(ledger_->last_outbox_id(), last_outbox + 2 * shard_count);
    EXPECT_EQ(ledger_->transaction(t.id)->status_sequence, 3u);
}

TEST_F(ProviderEventTest, AmountMismatchBeforeCreditGoesToManualReview) {
    struct Case {
        const char* name;
        std::string amount_text;
        std::int64_t amount_minor;
        std::string currency;
        TxStatus from;
    };

    const std::vector<Case> cases = {
            {"one cent more", "250.01", -1, "USD", TxStatus::pending_payment},
            {"one cent less", "249.99", -1, "USD", TxStatus::pending_payment},
            {"minor units", "", 25001, "USD", TxStatus::pending_payment},
            {"minor units zero", "", 0, "USD", TxStatus::pending_payment},
            {"other currency", "250.00", -1, "EUR", TxStatus::pending_payment},
            {"currency only", "", -1, "EUR", TxStatus::pending_payment},
            {"too many decimals", "250.001", -1, "USD", TxStatus::pending_payment},
            {"not a number", "250,00", -1, "USD", TxStatus::pending_payment},
            {"negative", "-250.00", -1, "USD", TxStatus::pending_payment},
            {"after confirmation", "250.01", -1, "USD", TxStatus::provider_confirmed},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        TransactionRecord t = add(c.from);
        Snapshot before = snapshot(t.id);
        ProviderEventCommand command =
                event(t.id, ProviderEventKind::succeeded, "evt_x", c.amount_text);
        command.amount_minor = c.amount_minor;
        command.currency = c.currency;
        ProviderEventResult result = apply(command);
        EXPECT_EQ(result.outcome, EventOutcome::amount_mismatch);
        EXPECT_TRUE(result.applied);
        EXPECT_EQ(result.transaction.status, TxStatus::manual_review);
        EXPECT_EQ(result.transaction.failure_reason, "amount_mismatch");
        EXPECT_EQ(result.transaction.status_sequence, 2u);
        Snapshot after = snapshot(t.id);
        EXPECT_EQ(after.transaction, result.transaction);
        EXPECT_EQ(after.account, before.account);
        EXPECT_EQ(after.history, before.history);
        EXPECT_EQ(after.last_outbox_id, before.last_outbox_id + shard_count);
        ASSERT_EQ(after.changes.size(), 2u);
        EXPECT_EQ(after.changes[1].previous_status, c.from);
        EXPECT_EQ(after.changes[1].status, TxStatus::manual_review);
        EXPECT_NE(after.changes[1].comment.find("provider reported"), std::string::npos)
                << after.changes[1].comment;
        // It waits in the back office's queue.
        TransactionFilter queue;
        queue.status = TxStatus::manual_review;
        auto listed = ledger_->all_transactions(queue);
        ASSERT_TRUE(listed.ok());
        ASSERT_FALSE(listed->empty());
        EXPECT_EQ(listed->front().id, t.id);
        EXPECT_EQ(apply(command).outcome, EventOutcome::replayed);
    }
}

TEST_F(ProviderEventTest, TheSameAmountWrittenDifferentlyIsNoMismatch) {
    struct Case {
        std::string amount_text;
        std::int64_t amount_minor;
        std::string currency;
    };

    const std::vector<Case> cases = {
            {"250", -1, "USD"},   {"250.0", -1, "USD"},    {"250.00", -1, "USD"},
            {"2.5e2", -1, "USD"}, {"25000e-2", -1, "USD"}, {"250.000", -1, "USD"},
            {"", 25000, "USD"},   {"", -1, "USD"},         {"250.00", -1, ""},
            {"", -1, ""},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE("'" + c.amount_text + "' " + std::to_string(c.amount_minor) + " '" +
                     c.currency + "'");
        std::int64_t balance = ledger_->account(login_a)->balance;
        TransactionRecord t = add(TxStatus::pending_payment);
        ProviderEventCommand command =
                event(t.id, ProviderEventKind::succeeded, "evt_ok", c.amount_text);
        command.amount_minor = c.amount_minor;
        command.currency = c.currency;
        ProviderEventResult result = apply(command);
        EXPECT_EQ(result.outcome, EventOutcome::applied);
        EXPECT_TRUE(result.applied);
        EXPECT_EQ(result.transaction.status, TxStatus::credited);
        EXPECT_EQ(result.transaction.failure_reason, "");
        EXPECT_EQ(ledger_->account(login_a)->balance, balance + amount);
    }
}

// manual_review and credit_failed wait for the back office (SPEC §4: it moves them on). A later
// provider event, even a correct success under a new event id, must not settle them: the
// provider's conflicting reports are what the review is for.
TEST_F(ProviderEventTest, EventsDoNotDecideWhatWaitsForTheBackOffice) {
    TransactionRecord t = add(TxStatus::pending_payment);
    ASSERT_EQ(apply(event(t.id, ProviderEventKind::succeeded, "evt_1", "25.00")).outcome,
              EventOutcome::amount_mismatch);
    Snapshot reviewed = snapshot(t.id);
    ASSERT_EQ(reviewed.transaction.status, TxStatus::manual_review);
    for (ProviderEventKind kind :
         {ProviderEventKind::succeeded, ProviderEventKind::failed, ProviderEventKind::cancelled}) {
        ProviderEventResult late =
                apply(event(t.id, kind, "evt_late_" + std::to_string(static_cast<int>(kind))));
        EXPECT_FALSE(late.applied);
        EXPECT_EQ(late.outcome, EventOutcome::not_applicable);
        EXPECT_EQ(late.transaction, reviewed.transaction);
    }
    expect_unchanged(reviewed, snapshot(t.id));

    set_enabled(login_a, false);
    TransactionRecord failed_credit = add(TxStatus::pending_payment);
    ASSERT_EQ(apply(event(failed_credit.id, ProviderEventKind::succeeded, "evt_1"))
                      .transaction.status,
              TxStatus::credit_failed);
    set_enabled(login_a, true);
    Snapshot waiting = snapshot(failed_credit.id);
    ProviderEventResult again =
            apply(event(failed_credit.id, ProviderEventKind::succeeded, "evt_2"));
    EXPECT_FALSE(again.applied);
    EXPECT_EQ(again.outcome, EventOutcome::not_applicable);
    expect_unchanged(waiting, snapshot(failed_credit.id));
    EXPECT_EQ(ledger_->account(login_a)->balance, 0);
}

TEST_F(ProviderEventTest, RefundAndChargebackAfterCredit) {
    for (ProviderEventKind kind : {ProviderEventKind::refunded, ProviderEventKind::chargeback}) {
        bool refund = kind == ProviderEventKind::refunded;
        SCOPED_TRACE(refund ? "refunded" : "chargeback");
        TransactionRecord t = credited();
        std::int64_t balance = ledger_->account(login_a)->balance;

        // Another amount (a partial refund, a dispute of part of it) takes nothing.
        Snapshot before = snapshot(t.id);
        for (const char* wrong : {"100.00", "250.01", "250.001"}) {
            ProviderEventResult partial =
                    apply(event(t.id, kind, std::string("evt_partial_") + wrong, wrong));
            EXPECT_EQ(partial.outcome, EventOutcome::amount_mismatch) << wrong;
            EXPECT_FALSE(partial.applied) << wrong;
            EXPECT_EQ(partial.transaction, before.transaction) << wrong;
        }
        ProviderEventCommand euros = event(t.id, kind, "evt_euros");
        euros.currency = "EUR";
        EXPECT_EQ(apply(euros).outcome, EventOutcome::amount_mismatch);
        expect_unchanged(before, snapshot(t.id));
        EXPECT_EQ(apply(event(t.id, kind, "evt_partial_100.00", "100.00")).outcome,
                  EventOutcome::replayed);

        // The full amount is taken back.
        ProviderEventCommand full = event(t.id, kind, "evt_full");
        full.reason = "issuer dispute";
        ProviderEventResult result = apply(full);
        EXPECT_EQ(result.outcome, EventOutcome::applied);
        EXPECT_TRUE(result.applied);
        TxStatus status = refund ? TxStatus::refunded : TxStatus::chargeback;
        EXPECT_EQ(result.transaction.status, status);
        EXPECT_EQ(result.transaction.failure_reason, "issuer dispute");
        EXPECT_EQ(ledger_->account(login_a)->balance, balance - amount);
        std::vector<HistoryRecord> history = history_of(t.id);
        ASSERT_EQ(history.size(), 2u);
        EXPECT_EQ(history[1].type, refund ? HistoryType::refund : HistoryType::chargeback);
        EXPECT_EQ(history[1].balance_delta, -amount);
        // The other kind of take-back after it is no transition.
        ProviderEventKind other =
                refund ? ProviderEventKind::chargeback : ProviderEventKind::refunded;
        Snapshot done = snapshot(t.id);
        ProviderEventResult late = apply(event(t.id, other, "evt_late"));
        EXPECT_EQ(late.outcome, EventOutcome::not_applicable);
        EXPECT_FALSE(late.applied);
        expect_unchanged(done, snapshot(t.id));
    }
}

TEST_F(ProviderEventTest, FailedAndCancelled) {
    for (ProviderEventKind kind : {ProviderEventKind::failed, ProviderEventKind::cancelled}) {
        bool failed = kind == ProviderEventKind::failed;
        SCOPED_TRACE(failed ? "failed" : "cancelled");
        TransactionRecord t = add(TxStatus::pending_payment);
        Snapshot before = snapshot(t.id);
        ProviderEventCommand command = event(t.id, kind, "evt_1");
        command.reason = "card_declined";
        ProviderEventResult result = apply(command);
        EXPECT_EQ(result.outcome, EventOutcome::applied);
        EXPECT_TRUE(result.applied);
        EXPECT_EQ(result.transaction.status, failed ? TxStatus::failed : TxStatus::cancelled);
        EXPECT_EQ(result.transaction.failure_reason, "card_declined");
        Snapshot after = snapshot(t.id);
        EXPECT_EQ(after.account, before.account);
        EXPECT_EQ(after.history, before.history);
        EXPECT_EQ(after.last_outbox_id, before.last_outbox_id + shard_count);
        // A success after the failure pays nothing.
        ProviderEventResult paid = apply(event(t.id, ProviderEventKind::succeeded, "evt_2"));
        EXPECT_EQ(paid.outcome, EventOutcome::not_applicable);
        EXPECT_FALSE(paid.applied);
        expect_unchanged(after, snapshot(t.id));
    }
    // After the money moved, a failure or cancellation is no transition.
    TransactionRecord t = credited();
    Snapshot before = snapshot(t.id);
    for (ProviderEventKind kind : {ProviderEventKind::failed, ProviderEventKind::cancelled}) {
        ProviderEventResult late =
                apply(event(t.id, kind, "evt_late_" + std::to_string(static_cast<int>(kind))));
        EXPECT_EQ(late.outcome, EventOutcome::not_applicable);
        EXPECT_FALSE(late.applied);
        EXPECT_EQ(late.transaction, before.transaction);
    }
    expect_unchanged(before, snapshot(t.id));
    // Nor is a refund of a deposit that was never paid.
    TransactionRecord unpaid = add(TxStatus::pending_payment);
    Snapshot pending = snapshot(unpaid.id);
    for (ProviderEventKind kind : {ProviderEventKind::refunded, ProviderEventKind::chargeback}) {
        ProviderEventResult early = apply(
                event(unpaid.id, kind, "evt_early_" + std::to_string(static_cast<int>(kind))));
        EXPECT_EQ(early.outcome, EventOutcome::not_applicable);
        EXPECT_FALSE(early.applied);
    }
    expect_unchanged(pending, snapshot(unpaid.id));
}

TEST_F(ProviderEventTest, NotFound) {
    TransactionRecord theirs = add(TxStatus::pending_payment, "otherpay");
    Snapshot before = snapshot(theirs.id);
    ProviderEventResult wrong_provider =
            apply(event(theirs.id, ProviderEventKind::succeeded, "evt_1"));
    EXPECT_EQ(wrong_provider.outcome, EventOutcome::not_found);
    EXPECT_FALSE(wrong_provider.applied);
    expect_unchanged(before, snapshot(theirs.id));
    // The refused event was not remembered: the transaction's own provider may use that id.
    ProviderEventCommand own = event(theirs.id, ProviderEventKind::succeeded, "evt_1");
    own.provider = "otherpay";
    ProviderEventResult result = apply(own);
    EXPECT_EQ(result.outcome, EventOutcome::applied);
    EXPECT_EQ(result.transaction.status, TxStatus::credited);
    EXPECT_EQ(ledger_->status_changes(theirs.id)->back().actor, "provider:otherpay");

    std::uint64_t last_outbox = ledger_->last_outbox_id();
    for (TransactionId unknown : {TransactionId{0}, TransactionId{999 * shard_count + shard},
                                  TransactionId{1000 * shard_count}}) {
        ProviderEventResult missing =
                apply(event(unknown, ProviderEventKind::succeeded, "evt_missing"));
        EXPECT_EQ(missing.outcome, EventOutcome::not_found) << unknown;
        EXPECT_FALSE(missing.applied) << unknown;
    }
    EXPECT_EQ(ledger_->last_outbox_id(), last_outbox);
}

// The event key (transaction id, provider, event id) must fit LMDB's 511-byte key. An id or
// provider code outside the limits is refused before anything is written: the group commit
// (http/server.cc) commits whatever a failed command left in the batch.
TEST_F(ProviderEventTest, EventIdsAndProvidersOutsideTheLimitsAreRefused) {
    TransactionRecord t = add(TxStatus::pending_payment);
    Snapshot before = snapshot(t.id);
    ASSERT_TRUE(ledger_->begin_batch().ok());
    for (std::size_t bytes : {std::size_t{0}, provider_event_id_bytes_max + 1, std::size_t{600}}) {
        auto result = ledger_->apply_provider_event(
                event(t.id, ProviderEventKind::succeeded, std::string(bytes, 'e')));
        ASSERT_FALSE(result.ok()) << bytes;
        EXPECT_EQ(result.status().code(), StatusCode::invalid_data) << bytes;
    }
    ProviderEventCommand long_provider = event(t.id, ProviderEventKind::succeeded, "evt_1");
    long_provider.provider = std::string(65, 'p');
    auto refused = ledger_->apply_provider_event(long_provider);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::invalid_data);
    EXPECT_EQ(ledger_->transaction(t.id).value(), before.transaction);
    EXPECT_EQ(ledger_->account(login_a).value(), before.account);
    ASSERT_TRUE(ledger_->commit_batch().ok());
    expect_unchanged(before, snapshot(t.id));

    // The longest id is remembered like any other.
    ProviderEventCommand longest = event(t.id, ProviderEventKind::succeeded,
                                         std::string(provider_event_id_bytes_max, 'e'));
    EXPECT_EQ(apply(longest).outcome, EventOutcome::applied);
    EXPECT_EQ(apply(longest).outcome, EventOutcome::replayed);
    EXPECT_EQ(ledger_->account(login_a)->balance, amount);
}

TEST_F(ProviderEventTest, TheSameEventIdForTwoTransactionsIsTwoEvents) {
    TransactionRecord first = add(TxStatus::pending_payment);
    TransactionRecord second = add(TxStatus::pending_payment, "sandbox", login_b);
    ASSERT_TRUE(ledger_->begin_batch().ok());
    ProviderEventResult one = apply_in_batch(event(first.id, ProviderEventKind::succeeded, "e"));
    ProviderEventResult two = apply_in_batch(event(second.id, ProviderEventKind::succeeded, "e"));
    ASSERT_TRUE(ledger_->commit_batch().ok());
    EXPECT_EQ(one.outcome, EventOutcome::applied);
    EXPECT_EQ(two.outcome, EventOutcome::applied);
    EXPECT_EQ(ledger_->account(login_a)->balance, amount);
    EXPECT_EQ(ledger_->account(login_b)->balance, amount);
    EXPECT_EQ(history_of(first.id).size(), 1u);
    EXPECT_EQ(history_of(second.id, login_b).size(), 1u);
    // Each is now remembered for its own transaction.
    EXPECT_EQ(apply(event(first.id, ProviderEventKind::succeeded, "e")).outcome,
              EventOutcome::replayed);
    EXPECT_EQ(apply(event(second.id, ProviderEventKind::succeeded, "e")).outcome,
              EventOutcome::replayed);
    // An event id that is a prefix of another, or differs in case, is another event.
    TransactionRecord third = add(TxStatus::pending_payment);
    EXPECT_EQ(apply(event(third.id, ProviderEventKind::succeeded, "E")).outcome,
              EventOutcome::applied);
    TransactionRecord fourth = add(TxStatus::credited);
    EXPECT_EQ(apply(event(fourth.id, ProviderEventKind::refunded, "evt")).outcome,
              EventOutcome::applied);
    EXPECT_EQ(apply(event(fourth.id, ProviderEventKind::chargeback, "ev")).outcome,
              EventOutcome::not_applicable);
}

TEST_F(ProviderEventTest, ProviderPaymentIdIsFilledOnceAndOnlyByAnAppliedEvent) {
    TransactionRecord t = add(TxStatus::pending_payment);
    ProviderEventCommand refund = event(t.id, ProviderEventKind::refunded, "evt_early");
    refund.provider_payment_id = "pay_early";
    EXPECT_EQ(apply(refund).outcome, EventOutcome::not_applicable);
    EXPECT_EQ(ledger_->transaction(t.id)->provider_payment_id, "");
    ProviderEventCommand paid = event(t.id, ProviderEventKind::succeeded, "evt_paid");
    paid.provider_payment_id = "pay_1";
    EXPECT_EQ(apply(paid).transaction.provider_payment_id, "pay_1");
    EXPECT_EQ(ledger_->transaction(t.id)->provider_payment_id, "pay_1");
    ProviderEventCommand chargeback = event(t.id, ProviderEventKind::chargeback, "evt_cb");
    chargeback.provider_payment_id = "pay_2";
    ProviderEventResult result = apply(chargeback);
    EXPECT_EQ(result.outcome, EventOutcome::applied);
    EXPECT_EQ(result.transaction.provider_payment_id, "pay_1");
    EXPECT_EQ(ledger_->transaction(t.id).value(), result.transaction);
}

TEST_F(ProviderEventTest, SuccessForADisabledAccountIsCreditFailed) {
    set_enabled(login_a, false);
    TransactionRecord t = add(TxStatus::pending_payment);
    Snapshot before = snapshot(t.id);
    ProviderEventResult result = apply(event(t.id, ProviderEventKind::succeeded, "evt_1"));
    EXPECT_EQ(result.outcome, EventOutcome::applied);
    EXPECT_TRUE(result.applied);
    EXPECT_EQ(result.transaction.status, TxStatus::credit_failed);
    EXPECT_EQ(result.transaction.failure_reason, "account_disabled");
    EXPECT_EQ(result.transaction.status_sequence, 3u);
    Snapshot after = snapshot(t.id);
    EXPECT_EQ(after.account, before.account);
    EXPECT_EQ(after.history, before.history);
    ASSERT_EQ(after.changes.size(), 3u);
    EXPECT_EQ(after.changes[1].status, TxStatus::provider_confirmed);
    EXPECT_EQ(after.changes[2].status, TxStatus::credit_failed);
}

// Payouts: success confirms without moving money (the debit happened at approval), a failure
// or cancellation reverses the debit, and a refund means nothing for a payout.
TEST_F(ProviderEventTest, WithdrawalEvents) {
    TransactionRecord paid = add(TxStatus::pending_payment, "sandbox", login_a, TxType::withdrawal);
    Snapshot before = snapshot(paid.id);
    for (ProviderEventKind kind : {ProviderEventKind::refunded, ProviderEventKind::chargeback}) {
        ProviderEventResult none =
                apply(event(paid.id, kind, "evt_refund_" + std::to_string(static_cast<int>(kind))));
        EXPECT_EQ(none.outcome, EventOutcome::not_applicable);
        EXPECT_FALSE(none.applied);
    }
    expect_unchanged(before, snapshot(paid.id));
    ProviderEventResult confirmed = apply(event(paid.id, ProviderEventKind::succeeded, "evt_ok"));
    EXPECT_EQ(confirmed.outcome, EventOutcome::applied);
    EXPECT_EQ(confirmed.transaction.status, TxStatus::provider_confirmed);
    EXPECT_EQ(confirmed.transaction.status_sequence, 2u);
    Snapshot after = snapshot(paid.id);
    EXPECT_EQ(after.account, before.account);
    EXPECT_EQ(after.history, before.history);
    EXPECT_EQ(after.last_outbox_id, before.last_outbox_id + shard_count);
    EXPECT_EQ(apply(event(paid.id, ProviderEventKind::failed, "evt_late")).outcome,
              EventOutcome::not_applicable);
    expect_unchanged(after, snapshot(paid.id));

    for (ProviderEventKind kind : {ProviderEventKind::failed, ProviderEventKind::cancelled}) {
        TransactionRecord bounced =
                add(TxStatus::pending_payment, "sandbox", login_a, TxType::withdrawal);
        std::int64_t balance = ledger_->account(login_a)->balance;
        ProviderEventResult result = apply(event(bounced.id, kind, "evt_bounce"));
        EXPECT_EQ(result.outcome, EventOutcome::applied);
        EXPECT_EQ(result.transaction.status, TxStatus::failed);
        EXPECT_EQ(ledger_->account(login_a)->balance, balance + amount);
        std::vector<HistoryRecord> history = history_of(bounced.id);
        ASSERT_EQ(history.size(), 1u);
        EXPECT_EQ(history[0].type, HistoryType::withdrawal_reversal);
    }
}

}  // namespace
}  // namespace cashierd::ledger
