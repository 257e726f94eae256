// GlobalStore: the shard count fixed at creation, the directory's ownership rule, catalog
// records round-tripping, and the generation that tells shards to reload.
#include "ledger/catalog.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace cashierd::ledger {
namespace {

class CatalogTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "catalog-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
    }

    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::unique_ptr<GlobalStore> open(std::uint32_t requested, std::uint32_t fallback = 2) {
        std::string error;
        auto store = GlobalStore::open(dir_, requested, fallback, false, error);
        EXPECT_TRUE(store.ok()) << error;
        return store.ok() ? std::move(store.value()) : nullptr;
    }

    std::string dir_;
};

TEST_F(CatalogTest, ShardCountIsFixedAtCreation) {
    {
        auto store = open(0, 3);
        ASSERT_TRUE(store);
        EXPECT_TRUE(store->created());
        EXPECT_EQ(store->shard_count(), 3u);
    }
    {
        auto store = open(0, 8);  // Auto adopts the stored count, not the machine's.
        ASSERT_TRUE(store);
        EXPECT_FALSE(store->created());
        EXPECT_EQ(store->shard_count(), 3u);
    }
    {
        auto store = open(3);
        ASSERT_TRUE(store);
    }
    std::string error;
    auto refused = GlobalStore::open(dir_, 4, 4, false, error);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().detail(), "shard_count_mismatch");
    EXPECT_NE(error.find("created with 3 shards"), std::string::npos) << error;
    EXPECT_NE(error.find("asks for 4"), std::string::npos) << error;
}

TEST_F(CatalogTest, RecordsRoundTripAndGenerationMoves) {
    auto store = open(2);
    ASSERT_TRUE(store);
    std::uint64_t generation = store->generation();
    BrandRecord brand{"demo", "Demo Broker", true};
    GroupRecord group{"demo-usd", "demo", "USD", true};
    ProviderRecord provider;
    provider.code = "sandbox";
    provider.module = "sandbox";
    provider.webhook_secret = "whsec_test";
    provider.settings_json = R"({"auto":true})";
    MethodRecord card;
    card.method = "card";
    card.method_id = 1;
    card.currencies = {"USD", "EUR"};
    card.countries = {"GB"};
    card.min_amount = "10.00";
    card.max_amount = "5000";
    MethodRecord payout = card;
    payout.method_id = 2;
    payout.type = MethodType::withdrawal;
    provider.methods = {card, payout};
    ASSERT_TRUE(store->put_brand(brand).ok());
    ASSERT_TRUE(store->put_group(group).ok());
    ASSERT_TRUE(store->put_provider(provider).ok());
    EXPECT_EQ(store->generation(), generation + 3);
    EXPECT_EQ(store->brand("demo").value(), brand);
    EXPECT_EQ(store->group("demo-usd").value(), group);
    EXPECT_EQ(store->provider("sandbox").value(), provider);
    EXPECT_EQ(store->brand("nope").status().code(), StatusCode::not_found);
    auto catalog = store->load_catalog();
    ASSERT_TRUE(catalog.ok());
    EXPECT_EQ(catalog.value()->generation, store->generation());
    ASSERT_EQ(catalog.value()->providers.size(), 1u);
    EXPECT_EQ(catalog.value()->providers.at("sandbox"), provider);
    EXPECT_EQ(catalog.value()->groups.at("demo-usd").currency, "USD");
}

TEST_F(CatalogTest, DirectoryRefusesAnotherOwner) {
    auto store = open(2);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->put_directory(2000009, 5).ok());
    EXPECT_TRUE(store->put_directory(2000009, 5).ok());  // Idempotent.
    Status other = store->put_directory(2000009, 6);
    EXPECT_EQ(other.code(), StatusCode::invalid_data);
    EXPECT_EQ(other.detail(), "login_owned_by_another_customer");
    EXPECT_EQ(store->owner(2000009).value(), 5u);
    EXPECT_EQ(store->owner(1).status().code(), StatusCode::not_found);
}

TEST_F(CatalogTest, SurvivesReopen) {
    {
        auto store = open(2);
        ASSERT_TRUE(store->put_brand(BrandRecord{"b", "B", false}).ok());
        ASSERT_TRUE(store->put_directory(7, 9).ok());
    }
    auto store = open(0);
    EXPECT_EQ(store->brand("b")->enabled, false);
    EXPECT_EQ(store->owner(7).value(), 9u);
}

}  // namespace
}  // namespace cashierd::ledger
