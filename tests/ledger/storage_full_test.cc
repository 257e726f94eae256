// A full LMDB map: the batch that hits it fails whole (RET_ERR_NOSERVICE "storage_full"),
// nothing of it is visible, reads go on, and after the map grows the same writes succeed.
#include <filesystem>

#include <gtest/gtest.h>

#include "ledger/shard_ledger.h"

namespace cashierd::ledger {
namespace {

TEST(StorageFullTest, FullMapFailsTheBatchWholeThenGrows) {
    std::string pattern = (std::filesystem::temp_directory_path() / "full-XXXXXX").string();
    std::string dir = ::mkdtemp(pattern.data());
    LedgerOptions options;
    options.durable = false;
    options.map_bytes = std::size_t{256} << 10;  // 256 KiB: full after a few hundred records.
    auto opened = ShardLedger::open(dir, 0, 1, options);
    ASSERT_TRUE(opened.ok());
    ShardLedger& ledger = *opened.value();

    AccountRecord account;
    account.login = 1;
    account.customer_id = 1;
    account.group = "g";
    account.currency = "USD";
    ASSERT_TRUE(ledger.begin_batch().ok());
    ASSERT_TRUE(ledger.put_account(account).ok());
    ASSERT_TRUE(ledger.commit_batch().ok());

    // Commit batches of 50 deposits until one fails.
    std::int64_t committed = 0;
    Status failure;
    std::size_t map_before = ledger.env().map_bytes();
    for (int batch = 0; batch < 1000 && failure.ok(); ++batch) {
        ASSERT_TRUE(ledger.begin_batch().ok());
        Status status;
        for (int i = 0; i < 50 && status.ok(); ++i) {
            ChangeBalanceCommand command;
            command.login = 1;
            command.amount = 1;
            command.comment = std::string(200, 'c');
            auto result = ledger.change_balance(command);
            if (!result.ok()) status = result.status();
        }
        Status commit = ledger.commit_batch();
        if (!status.ok() || !commit.ok()) {
            failure = commit.ok() ? status : commit;
            // Whatever the put reported, the batch failed and the commit says so.
            EXPECT_FALSE(commit.ok());
            EXPECT_EQ(commit.code(), StatusCode::ret_err_noservice);
            EXPECT_EQ(commit.detail(), "storage_full");
        } else {
            committed += 50;
        }
    }
    ASSERT_FALSE(failure.ok()) << "the map never filled";
    // Nothing of the failed batch is there; reads still work.
    auto after = ledger.account(1);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->balance, committed);
    EXPECT_EQ(ledger.all_history(1)->size(), static_cast<std::size_t>(committed));
    // The map grew: the same batch now commits.
    EXPECT_GT(ledger.env().map_bytes(), map_before);
    ASSERT_TRUE(ledger.begin_batch().ok());
    for (int i = 0; i < 50; ++i) {
        ChangeBalanceCommand command;
        command.login = 1;
        command.amount = 1;
        command.comment = std::string(200, 'c');
        ASSERT_TRUE(ledger.change_balance(command).ok());
    }
    ASSERT_TRUE(ledger.commit_batch().ok());
    EXPECT_EQ(ledger.account(1)->balance, committed + 50);
    opened.value().reset();
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cashierd::ledger
