// Withdrawal holds in the shard ledger: the available-balance check and the hold in one step,
// never the bonus, 30 requests of 10 against 100 (at most 10 held), and what the lifecycle does
// to a hold afterwards: approve turns it into a debit, reject releases it, a failed payout
// reverses the debit, a confirmed payout is final.
#include <filesystem>

#include <gtest/gtest.h>

#include "ledger/shard_ledger.h"

namespace cashierd::ledger {
namespace {

constexpr Login login = 7000;
constexpr CustomerId customer = 2;  // Shard 0 of 2.

class WithdrawalTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern =
                (std::filesystem::temp_directory_path() / "withdrawal-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
        LedgerOptions options;
        options.durable = false;
        options.map_bytes = std::size_t{64} << 20;
        auto opened = ShardLedger::open(dir_, 0, 2, options);
        ASSERT_TRUE(opened.ok());
        ledger_ = std::move(opened.value());
        ASSERT_TRUE(ledger_->begin_batch().ok());
        CustomerRecord c;
        c.id = customer;
        c.brand = "b";
        ASSERT_TRUE(ledger_->put_customer(c).ok());
        AccountRecord a;
        a.login = login;
        a.customer_id = customer;
        a.group = "usd";
        a.currency = "USD";
        ASSERT_TRUE(ledger_->put_account(a).ok());
        change(HistoryType::deposit, 10000);                       // 100.00 withdrawable.
        change(HistoryType::deposit_nonwithdrawable_bonus, 5000);  // 50.00 bonus, never available.
        ASSERT_TRUE(ledger_->commit_batch().ok());
    }

    void TearDown() override {
        ledger_.reset();
        std::filesystem::remove_all(dir_);
    }

    void change(HistoryType type, std::int64_t amount) {
        ChangeBalanceCommand command;
        command.login = login;
        command.type = type;
        command.amount = amount;
        auto result = ledger_->change_balance(command);
        ASSERT_TRUE(result.ok());
        ASSERT_EQ(result->outcome, Outcome::created);
    }

    // One withdrawal request inside the open batch.
    Outcome request(std::int64_t amount, TransactionRecord* out = nullptr) {
        TransactionRecord t;
        t.id = ledger_->next_transaction_id();
        t.customer_id = customer;
        t.login = login;
        t.type = TxType::withdrawal;
        t.provider = "sandbox";
        t.method = "card";
        t.amount = t.converted_amount = amount;
        t.currency = t.account_currency = "USD";
        t.created_time = t.updated_time = 1000;
        Result<Outcome> outcome = ledger_->create_withdrawal(t);
        EXPECT_TRUE(outcome.ok());
        if (out != nullptr) *out = t;
        return outcome.ok() ? outcome.value() : Outcome::account_not_found;
    }

    TransactionRecord held(std::int64_t amount) {
        EXPECT_TRUE(ledger_->begin_batch().ok());
        TransactionRecord t;
        EXPECT_EQ(request(amount, &t), Outcome::created);
        EXPECT_TRUE(ledger_->commit_batch().ok());
        return t;
    }

    TransitionResult move(TransactionId id, TxStatus to) {
        EXPECT_TRUE(ledger_->begin_batch().ok());
        auto result = ledger_->transition({id, to, "manager#0", "checked", {}, 2000});
        EXPECT_TRUE(result.ok());
        EXPECT_TRUE(ledger_->commit_batch().ok());
        return result.ok() ? result.value() : TransitionResult{};
    }

    AccountRecord account() { return ledger_->account(login).value(); }

    std::size_t history_count() { return ledger_->history(login, 1000, 0)->size(); }

    std::string dir_;
    std::unique_ptr<ShardLedger> ledger_;
};

TEST_F(WithdrawalTest, TheHoldIsPlacedWithTheRequest) {
    std::size_t history = history_count();
    TransactionRecord t = held(2500);
    AccountRecord a = account();
    EXPECT_EQ(a.balance, 10000);
    EXPECT_EQ(a.held, 2500);
    EXPECT_EQ(a.available(), 7500);
    EXPECT_EQ(a.bonus, 5000);
    // A hold moves no money: no history record.
    EXPECT_EQ(history_count(), history);
    TransactionRecord stored = ledger_->transaction(t.id).value();
    EXPECT_EQ(stored.status, TxStatus::manual_review);
    EXPECT_EQ(stored.status_sequence, 1u);
    auto changes = ledger_->status_changes(t.id).value();
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].previous_status, TxStatus::created);
    EXPECT_EQ(changes[0].status, TxStatus::manual_review);
    TransactionFilter review;
    review.status = TxStatus::manual_review;
    EXPECT_EQ(ledger_->all_transactions(review)->size(), 1u);
}

TEST_F(WithdrawalTest, MoreThanAvailableIsRefusedAndTheBonusIsNeverAvailable) {
    ASSERT_TRUE(ledger_->begin_batch().ok());
    // 100.01: the 50.00 bonus does not make up the difference.
    EXPECT_EQ(request(10001), Outcome::insufficient_funds);
    ASSERT_TRUE(ledger_->commit_batch().ok());
    EXPECT_EQ(account().held, 0);
    TransactionFilter all;
    EXPECT_TRUE(ledger_->all_transactions(all)->empty());
    held(10000);  // Exactly what is available.
    ASSERT_TRUE(ledger_->begin_batch().ok());
    EXPECT_EQ(request(1), Outcome::insufficient_funds);
    ASSERT_TRUE(ledger_->commit_batch().ok());
    EXPECT_EQ(account().available(), 0);
}

TEST_F(WithdrawalTest, ThirtyRequestsOfTenAgainstAHundredHoldAtMostTen) {
    ASSERT_TRUE(ledger_->begin_batch().ok());
    int created = 0;
    for (int i = 0; i < 30; ++i) {
        Outcome outcome = request(1000);
        if (outcome == Outcome::created) {
            ++created;
        } else {
            EXPECT_EQ(outcome, Outcome::insufficient_funds);
        }
        EXPECT_GE(ledger_->account(login)->available(), 0);
    }
    ASSERT_TRUE(ledger_->commit_batch().ok());
    EXPECT_EQ(created, 10);
    EXPECT_EQ(account().held, 10000);
    EXPECT_EQ(account().available(), 0);
}

TEST_F(WithdrawalTest, ADisabledAccountHoldsNothing) {
    ASSERT_TRUE(ledger_->begin_batch().ok());
    AccountRecord a = account();
    a.enabled = false;
    ASSERT_TRUE(ledger_->put_account(a).ok());
    EXPECT_EQ(request(100), Outcome::account_disabled);
    ASSERT_TRUE(ledger_->commit_batch().ok());
    EXPECT_EQ(account().held, 0);
}

TEST_F(WithdrawalTest, ApproveTurnsTheHoldIntoADebitAndAFailedPayoutReversesIt) {
    TransactionRecord t = held(3000);
    std::size_t history = history_count();
    TransitionResult approved = move(t.id, TxStatus::pending_payment);
    ASSERT_EQ(approved.outcome, TransitionOutcome::applied);
    EXPECT_EQ(account().balance, 7000);
    EXPECT_EQ(account().held, 0);
    EXPECT_EQ(history_count(), history + 1);
    auto last = ledger_->history(login, 1, 0).value();
    EXPECT_EQ(last[0].type, HistoryType::withdrawal_debit);
    EXPECT_EQ(last[0].balance_delta, -3000);
    EXPECT_EQ(last[0].transaction_id, t.id);

    TransitionResult failed = move(t.id, TxStatus::failed);
    ASSERT_EQ(failed.outcome, TransitionOutcome::applied);
    EXPECT_EQ(account().balance, 10000);
    EXPECT_EQ(account().held, 0);
    last = ledger_->history(login, 1, 0).value();
    EXPECT_EQ(last[0].type, HistoryType::withdrawal_reversal);
    EXPECT_EQ(last[0].balance_delta, 3000);
    // Final: nothing moves it again.
    EXPECT_EQ(move(t.id, TxStatus::pending_payment).outcome, TransitionOutcome::not_allowed);
    EXPECT_EQ(account().balance, 10000);
}

TEST_F(WithdrawalTest, RejectReleasesTheHoldAndMovesNoMoney) {
    TransactionRecord t = held(4000);
    std::size_t history = history_count();
    ASSERT_EQ(move(t.id, TxStatus::cancelled).outcome, TransitionOutcome::applied);
    EXPECT_EQ(account().balance, 10000);
    EXPECT_EQ(account().held, 0);
    EXPECT_EQ(account().available(), 10000);
    EXPECT_EQ(history_count(), history);
    EXPECT_EQ(move(t.id, TxStatus::pending_payment).outcome, TransitionOutcome::not_allowed);
    EXPECT_EQ(account().held, 0);
}

TEST_F(WithdrawalTest, AConfirmedPayoutIsFinal) {
    TransactionRecord t = held(1500);
    move(t.id, TxStatus::pending_payment);
    ASSERT_TRUE(ledger_->begin_batch().ok());
    ProviderEventCommand paid;
    paid.provider = "sandbox";
    paid.event_id = "payout-1";
    paid.transaction_id = t.id;
    paid.kind = ProviderEventKind::succeeded;
    paid.amount_text = "15.00";
    paid.currency = "USD";
    auto result = ledger_->apply_provider_event(paid);
    ASSERT_TRUE(result.ok());
    ASSERT_TRUE(ledger_->commit_batch().ok());
    EXPECT_TRUE(result->applied);
    EXPECT_EQ(result->transaction.status, TxStatus::provider_confirmed);
    EXPECT_EQ(account().balance, 8500);
    EXPECT_EQ(account().held, 0);
    for (TxStatus to : {TxStatus::failed, TxStatus::cancelled, TxStatus::pending_payment}) {
        EXPECT_EQ(move(t.id, to).outcome, TransitionOutcome::not_allowed);
    }
    EXPECT_EQ(account().balance, 8500);
}

}  // namespace
}  // namespace cashierd::ledger
