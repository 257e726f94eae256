// Transactions in the shard ledger: ids that append and tell their shard, the in-memory
// idempotency index (within a batch, after commit, after abort, rebuilt on reopen), request
// comparison, and newest-first listing whose cursor visits each transaction exactly once.
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "ledger/shard_ledger.h"

namespace cashierd::ledger {
namespace {

constexpr std::uint32_t shard_count = 2;
constexpr std::uint32_t shard = 0;

class TransactionsTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern =
                (std::filesystem::temp_directory_path() / "transactions-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
        reopen();
    }

    void TearDown() override {
        ledger_.reset();
        std::filesystem::remove_all(dir_);
    }

    void reopen() {
        ledger_.reset();
        LedgerOptions options;
        options.durable = false;
        options.map_bytes = std::size_t{64} << 20;
        auto opened = ShardLedger::open(dir_, shard, shard_count, options);
        ASSERT_TRUE(opened.ok());
        ledger_ = std::move(opened.value());
    }

    TransactionRecord request(CustomerId customer, std::string key, std::int64_t amount = 100) {
        TransactionRecord t;
        t.customer_id = customer;
        t.login = 5000 + customer;
        t.provider = "sandbox";
        t.method = "card";
        t.amount = amount;
        t.currency = "USD";
        t.idempotency_key = std::move(key);
        return t;
    }

    // What the deposit job does: look up the key, else create.
    TransactionRecord create_or_find(TransactionRecord incoming, IdempotencyMatch* match) {
        auto found =
                ledger_->find_by_idempotency_key(incoming.customer_id, incoming.idempotency_key);
        EXPECT_TRUE(found.ok());
        if (!incoming.idempotency_key.empty() && found.value()) {
            *match = compare_request(*found.value(), incoming);
            return *found.value();
        }
        *match = IdempotencyMatch::same;
        incoming.id = ledger_->next_transaction_id();
        incoming.status = TxStatus::pending_payment;
        EXPECT_TRUE(ledger_->put_new_transaction(incoming).ok());
        return incoming;
    }

    std::string dir_;
    std::unique_ptr<ShardLedger> ledger_;
};

TEST_F(TransactionsTest, SameKeyInOneBatchGivesOneTransaction) {
    ASSERT_TRUE(ledger_->begin_batch().ok());
    IdempotencyMatch match;
    TransactionRecord first = create_or_find(request(2, "k1"), &match);
    TransactionRecord second = create_or_find(request(2, "k1"), &match);
    EXPECT_EQ(match, IdempotencyMatch::same);
    EXPECT_EQ(first.id, second.id);
    EXPECT_EQ(first.id % shard_count, shard);
    // The same key of another customer is another transaction.
    TransactionRecord other = create_or_find(request(4, "k1"), &match);
    EXPECT_NE(other.id, first.id);
    EXPECT_GT(other.id, first.id);
    ASSERT_TRUE(ledger_->commit_batch().ok());
    ASSERT_TRUE(ledger_->begin_batch().ok());
    create_or_find(request(2, "k1", 101), &match);
    EXPECT_EQ(match, IdempotencyMatch::different_amount);
    TransactionRecord currency = request(2, "k1");
    currency.currency = "EUR";
    create_or_find(currency, &match);
    EXPECT_EQ(match, IdempotencyMatch::different_currency);
    EXPECT_EQ(idempotency_match_name(match), "exists_with_different_currency");
    ledger_->abort_batch();
}

TEST_F(TransactionsTest, AbortForgetsKeysAndIdsAndReopenRebuildsTheIndex) {
    ASSERT_TRUE(ledger_->begin_batch().ok());
    IdempotencyMatch match;
    TransactionRecord aborted = create_or_find(request(2, "gone"), &match);
    ledger_->abort_batch();
    ASSERT_TRUE(ledger_->begin_batch().ok());
    EXPECT_FALSE(ledger_->find_by_idempotency_key(2, "gone").value().has_value());
    TransactionRecord kept = create_or_find(request(2, "kept"), &match);
    EXPECT_EQ(kept.id, aborted.id);  // The aborted id was never used.
    ASSERT_TRUE(ledger_->commit_batch().ok());
    reopen();
    ASSERT_TRUE(ledger_->begin_batch().ok());
    auto found = ledger_->find_by_idempotency_key(2, "kept");
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found.value().has_value());
    EXPECT_EQ(found.value()->id, kept.id);
    TransactionRecord next = create_or_find(request(2, "next"), &match);
    EXPECT_EQ(next.id, kept.id + shard_count);
    ledger_->abort_batch();
}

TEST_F(TransactionsTest, ListingIsNewestFirstAndTheCursorVisitsEachOnce) {
    ASSERT_TRUE(ledger_->begin_batch().ok());
    IdempotencyMatch match;
    std::set<TransactionId> created;
    for (int i = 0; i < 23; ++i) {
        TransactionRecord t = request(2, "");
        if (i % 3 == 0) t.type = TxType::withdrawal;
        if (i % 4 == 0) t.login = 7777;
        created.insert(create_or_find(t, &match).id);
        create_or_find(request(4, ""), &match);  // Another customer's, interleaved.
    }
    ASSERT_TRUE(ledger_->commit_batch().ok());
    std::set<TransactionId> seen;
    TransactionFilter filter;
    filter.limit = 5;
    TransactionId previous = UINT64_MAX;
    while (true) {
        auto page = ledger_->transactions(2, filter);
        ASSERT_TRUE(page.ok());
        for (const TransactionRecord& t : page.value()) {
            EXPECT_LT(t.id, previous);
            previous = t.id;
            EXPECT_EQ(t.customer_id, 2u);
            EXPECT_TRUE(seen.insert(t.id).second);
        }
        if (page->size() < filter.limit) break;
        filter.before = page->back().id;
    }
    EXPECT_EQ(seen, created);
    TransactionFilter withdrawals;
    withdrawals.type = TxType::withdrawal;
    withdrawals.limit = 200;
    EXPECT_EQ(ledger_->transactions(2, withdrawals)->size(), 8u);
    TransactionFilter by_login;
    by_login.login = 7777;
    by_login.limit = 200;
    EXPECT_EQ(ledger_->transactions(2, by_login)->size(), 6u);
}

}  // namespace
}  // namespace cashierd::ledger
