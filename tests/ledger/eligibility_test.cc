// Method eligibility: every filter of SPEC §4 (brand, currency, country, provider enabled,
// module loaded, type) and every kind of customer override (enable, disable, narrow).
#include "ledger/eligibility.h"

#include <gtest/gtest.h>

namespace cashierd::ledger {
namespace {

struct World {
    Catalog catalog;
    CustomerRecord customer;
    AccountRecord account;

    World() {
        catalog.groups["usd"] = GroupRecord{"usd", "demo", "USD", true};
        ProviderRecord sandbox;
        sandbox.code = "sandbox";
        sandbox.module = "sandbox";
        MethodRecord card{"card", 1, MethodType::deposit, {}, {"USD"}, {}, "10", "1000"};
        MethodRecord payout{"card", 2, MethodType::withdrawal, {}, {"USD"}, {}, "", ""};
        MethodRecord eur_only{"sepa", 3, MethodType::deposit, {}, {"EUR"}, {}, "", ""};
        MethodRecord other_brand{"apm", 4, MethodType::deposit, {"other"}, {}, {}, "", ""};
        MethodRecord de_only{"giropay", 5, MethodType::deposit, {}, {}, {"DE"}, "", ""};
        sandbox.methods = {card, payout, eur_only, other_brand, de_only};
        catalog.providers["sandbox"] = sandbox;
        ProviderRecord unloaded;
        unloaded.code = "stripe";
        unloaded.module = "stripe";
        unloaded.methods = {card};
        catalog.providers["stripe"] = unloaded;
        customer.id = 1;
        customer.country = "GB";
        account.login = 10;
        account.group = "usd";
        account.currency = "USD";
    }

    std::vector<std::string> methods(std::optional<MethodType> type = std::nullopt) const {
        EligibilityQuery query{catalog, customer, account, type,
                               [](std::string_view module) { return module == "sandbox"; }};
        std::vector<std::string> names;
        for (const EligibleMethod& m : eligible_methods(query)) {
            names.push_back(m.provider->code + "/" + m.method->method + "#" +
                            std::to_string(m.method->method_id) + " " +
                            std::to_string(m.min_amount) + ".." + std::to_string(m.max_amount));
        }
        return names;
    }
};

using Names = std::vector<std::string>;

TEST(EligibilityTest, RulesFilterByCurrencyBrandCountryTypeAndModule) {
    World world;
    // USD account, GB customer, brand demo: no EUR-only, other-brand, DE-only or unloaded ones.
    EXPECT_EQ(world.methods(), (Names{"sandbox/card#1 1000..100000", "sandbox/card#2 0..0"}));
    EXPECT_EQ(world.methods(MethodType::deposit), (Names{"sandbox/card#1 1000..100000"}));
    EXPECT_EQ(world.methods(MethodType::withdrawal), (Names{"sandbox/card#2 0..0"}));
    world.customer.country = "DE";
    EXPECT_EQ(world.methods(MethodType::deposit),
              (Names{"sandbox/card#1 1000..100000", "sandbox/giropay#5 0..0"}));
    world.catalog.groups["usd"].brand = "other";
    EXPECT_EQ(
            world.methods(MethodType::deposit),
            (Names{"sandbox/card#1 1000..100000", "sandbox/apm#4 0..0", "sandbox/giropay#5 0..0"}));
    world.catalog.providers["sandbox"].enabled = false;
    EXPECT_EQ(world.methods(), Names{});
}

TEST(EligibilityTest, OverridesEnableDisableAndNarrow) {
    World world;
    world.customer.overrides = {
            {"sandbox", "sepa", true, "", ""},        // Enabled although the rules hide it.
            {"sandbox", "card", true, "50", "2000"},  // Narrowed: min rises, max cannot rise.
            {"stripe", "card", true, "", ""},         // Module not loaded: still not eligible.
    };
    EXPECT_EQ(world.methods(MethodType::deposit),
              (Names{"sandbox/card#1 5000..100000", "sandbox/sepa#3 0..0"}));
    world.customer.overrides = {{"sandbox", "card", false, "", ""}};
    EXPECT_EQ(world.methods(), Names{});  // Disables both card methods (deposit and payout).
    world.customer.overrides = {{"sandbox", "card", true, "", "500"}};
    EXPECT_EQ(world.methods(MethodType::deposit), (Names{"sandbox/card#1 1000..50000"}));
}

TEST(EligibilityTest, UnknownGroupHasNoMethods) {
    World world;
    world.account.group = "gone";
    EXPECT_EQ(world.methods(), Names{});
}

}  // namespace
}  // namespace cashierd::ledger
