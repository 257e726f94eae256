// The customer Cashier API (seeds 002 and 003) through real HTTP: methods, deposits with every
// error code, idempotency (replays, conflicts, 20 identical requests racing), transaction
// history pages, and authorization across shards.
#include <atomic>
#include <ctime>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "providers/jwt.h"
#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace cashierd::test {
namespace {

const char* world_json =
        R"(,"brands":[{"id":"demo","name":"Demo"}],)"
        R"("groups":[{"id":"usd","brand":"demo","currency":"USD"},)"
        R"({"id":"eur","brand":"demo","currency":"EUR"},)"
        R"({"id":"off","brand":"demo","currency":"USD","enabled":false}],)"
        R"("providers":[{"code":"sandbox","module":"sandbox","webhook_secret":"whsec_0123456789abcdef",)"
        R"("methods":[{"method":"card","method_id":1,"type":"deposit","currencies":["USD","EUR"],)"
        R"("min_amount":10,"max_amount":1000},)"
        R"({"method":"card","method_id":2,"type":"withdrawal","currencies":["USD"]}]},)"
        R"({"code":"bank_transfer","module":"bank_transfer","settings":{"iban":"GB00TEST","bic":"TESTGB22"},)"
        R"("methods":[{"method":"bank_transfer","method_id":3,"type":"deposit","countries":["DE"]}]},)"
        R"({"code":"stripe","module":"stripe","methods":[{"method":"card","method_id":9}]},)"
        R"({"code":"closed","module":"sandbox","enabled":false,"methods":[{"method":"card","method_id":8}]}],)"
        R"("customers":[{"id":1,"brand":"demo","country":"GB"},{"id":2,"brand":"demo","country":"DE"},)"
        R"({"id":3,"brand":"demo","country":"GB","deposit_allowed":false},)"
        R"({"id":4,"brand":"demo","country":"GB","overrides":[)"
        R"({"provider":"bank_transfer","method":"bank_transfer","enabled":true,"min_amount":50},)"
        R"({"provider":"sandbox","method":"card","enabled":true,"max_amount":"100"}]}],)"
        R"("accounts":[{"login":1001,"customer_id":1,"group":"usd"},)"
        R"({"login":1002,"customer_id":2,"group":"usd"},)"
        R"({"login":1003,"customer_id":3,"group":"usd"},)"
        R"({"login":1004,"customer_id":1,"group":"eur"},)"
        R"({"login":1005,"customer_id":1,"group":"off"},)"
        R"({"login":1006,"customer_id":1,"group":"usd","enabled":false},)"
        R"({"login":1008,"customer_id":4,"group":"usd"}])";

std::string token_for(std::uint64_t customer, std::int64_t exp_offset = 3600) {
    std::int64_t now = std::time(nullptr);
    return providers::mint_hs256("test", "test-jwt-secret-0123456789abcdef0123456789", customer,
                                 now, now + exp_offset);
}

std::string field(const std::string& json, const std::string& name) {
    std::string key = "\"" + name + "\":";
    std::size_t at = json.find(key);
    if (at == std::string::npos) return "";
    at += key.size();
    if (json[at] == '"') return json.substr(at + 1, json.find('"', at + 1) - at - 1);
    std::size_t end = json.find_first_of(",}", at);
    return json.substr(at, end - at);
}

class CashierTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ServerOptions options;
        options.shards = 2;
        options.extra_json = world_json;
        server_ = new ServerProcess(options);
        ASSERT_TRUE(server_->start()) << server_->stderr_text();
    }

    static void TearDownTestSuite() {
        EXPECT_EQ(server_->stop(SIGTERM), 0);
        delete server_;
        server_ = nullptr;
    }

    static HttpResponse get(std::string_view path, std::uint64_t customer = 1) {
        return http_request(server_->port(), "GET", path, {},
                            {{"Authorization", "Bearer " + token_for(customer)}});
    }

    static HttpResponse deposit(std::string_view body, std::uint64_t customer = 1) {
        return http_request(server_->port(), "POST", "/cashier/deposit", body,
                            {{"Authorization", "Bearer " + token_for(customer)},
                             {"Content-Type", "application/json"}});
    }

    static ServerProcess* server_;
};

ServerProcess* CashierTest::server_ = nullptr;

TEST_F(CashierTest, MethodsAreFilteredForTheAccount) {
    HttpResponse methods = get("/cashier/methods?login=1001");
    ASSERT_EQ(methods.status, 200) << methods.body;
    EXPECT_EQ(field(methods.body, "currency"), "USD");
    EXPECT_EQ(field(methods.body, "deposit_allowed"), "true");
    EXPECT_NE(methods.body.find(R"("provider":"sandbox","method":"card","method_id":1)"),
              std::string::npos);
    EXPECT_NE(methods.body.find(R"("method_id":2,"type":"withdrawal")"), std::string::npos);
    EXPECT_NE(methods.body.find(R"("min_amount":10.00,"max_amount":1000.00)"), std::string::npos);
    // Country-limited, unloaded-module and disabled providers are not offered.
    EXPECT_EQ(methods.body.find("bank_transfer"), std::string::npos);
    EXPECT_EQ(methods.body.find("stripe"), std::string::npos);
    EXPECT_EQ(methods.body.find("closed"), std::string::npos);
    HttpResponse deposits = get("/cashier/methods?login=1001&type=deposit");
    EXPECT_EQ(deposits.body.find(R"("type":"withdrawal")"), std::string::npos);
    EXPECT_NE(deposits.body.find(R"("type":"deposit")"), std::string::npos);
    HttpResponse german = get("/cashier/methods?login=1002", 2);
    EXPECT_NE(german.body.find("bank_transfer"), std::string::npos) << german.body;
    EXPECT_NE(get("/cashier/methods?login=1003", 3).body.find(R"("deposit_allowed":false)"),
              std::string::npos);
}

TEST_F(CashierTest, CrmOverridesEnableDisableAndNarrow) {
    // Customer 4 (GB) may use bank_transfer, which the rules keep for DE, from 50.00; card
    // deposits are narrowed to at most 100.00.
    HttpResponse methods = get("/cashier/methods?login=1008&type=deposit", 4);
    ASSERT_EQ(methods.status, 200) << methods.body;
    EXPECT_NE(methods.body.find(
                      R"("provider":"bank_transfer","method":"bank_transfer","method_id":3)"),
              std::string::npos)
            << methods.body;
    EXPECT_NE(methods.body.find(R"("min_amount":50.00,"max_amount":null)"), std::string::npos);
    EXPECT_NE(methods.body.find(R"("min_amount":10.00,"max_amount":100.00)"), std::string::npos);
    HttpResponse above =
            deposit(R"({"login":1008,"provider":"sandbox","amount":100.01,"currency":"USD"})", 4);
    EXPECT_EQ(above.status, 400);
    EXPECT_NE(above.body.find("amount above maximum"), std::string::npos) << above.body;
    EXPECT_EQ(
            deposit(R"({"login":1008,"provider":"bank_transfer","amount":60,"currency":"USD"})", 4)
                    .status,
            200);

    // The back office replaces them: card disabled, nothing else.
    std::string manager = "Bearer test-manager-token-0123456789";
    HttpResponse put = http_request(
            server_->port(), "PUT", "/admin/customers/4",
            R"({"brand":"demo","country":"GB","overrides":[{"provider":"sandbox","method":"card","enabled":false}]})",
            {{"Authorization", manager}, {"Content-Type", "application/json"}});
    ASSERT_EQ(put.status, 200) << put.body;
    EXPECT_NE(
            put.body.find(R"("overrides":[{"provider":"sandbox","method":"card","enabled":false)"),
            std::string::npos)
            << put.body;
    HttpResponse after = get("/cashier/methods?login=1008", 4);
    EXPECT_NE(after.body.find(R"("methods":[])"), std::string::npos) << after.body;
    EXPECT_EQ(deposit(R"({"login":1008,"provider":"sandbox","amount":20,"currency":"USD"})", 4)
                      .status,
              403);
    HttpResponse bad = http_request(
            server_->port(), "PUT", "/admin/customers/4",
            R"({"brand":"demo","country":"GB","overrides":[{"provider":"sandbox","method":"card"}]})",
            {{"Authorization", manager}, {"Content-Type", "application/json"}});
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.body.find("overrides[0].enabled"), std::string::npos) << bad.body;
}

TEST_F(CashierTest, AuthenticationAndObjectLevelAuthorization) {
    EXPECT_EQ(http_request(server_->port(), "GET", "/cashier/methods?login=1001").status, 401);
    EXPECT_EQ(http_request(server_->port(), "GET", "/cashier/methods?login=1001", {},
                           {{"Authorization", "Bearer not.a.jwt"}})
                      .status,
              401);
    EXPECT_EQ(http_request(server_->port(), "GET", "/cashier/methods?login=1001", {},
                           {{"Authorization", "Bearer " + token_for(1, -3600)}})
                      .status,
              401);
    // Customer 2 lives on the other shard; whichever shard answers, 1001 is not theirs.
    for (int i = 0; i < 6; ++i) {
        HttpResponse other = get("/cashier/methods?login=1001", 2);
        EXPECT_EQ(other.status, 403);
        EXPECT_EQ(field(other.body, "error"), "PERMISSION_DENIED");
        EXPECT_EQ(deposit(R"({"login":1001,"provider":"sandbox","amount":20,"currency":"USD"})", 2)
                          .status,
                  403);
        EXPECT_EQ(get("/cashier/transactions?login=1001", 2).status, 403);
    }
    EXPECT_EQ(field(get("/cashier/methods?login=424242").body, "error"), "ACCOUNT_NOT_AVAILABLE");
    HttpResponse ghost = get("/cashier/transactions", 99);
    EXPECT_EQ(ghost.status, 404);
    EXPECT_EQ(field(ghost.body, "error"), "CUSTOMER_NOT_FOUND");
}

TEST_F(CashierTest, DepositsRedirectOrWaitForTheProvider) {
    HttpResponse card = deposit(
            R"({"login":1001,"provider":"sandbox","method":"card","amount":250.0,"currency":"USD",)"
            R"("success_url":"https://t.example/ok","comment":"first","metadata_json":"{\"a\":1}"})");
    ASSERT_EQ(card.status, 200) << card.body;
    std::string id = field(card.body, "id");
    EXPECT_EQ(field(card.body, "next_action"), "REDIRECT");
    EXPECT_EQ(field(card.body, "status"), "1");
    EXPECT_EQ(field(card.body, "amount"), "250.00");
    EXPECT_EQ(field(card.body, "provider_payment_id"), "sbx_" + id);
    EXPECT_EQ(field(card.body, "redirect_url"),
              "http://127.0.0.1:" + std::to_string(server_->port()) + "/sandbox/pay/" + id);
    EXPECT_EQ(std::stoull(id) % 2, 1u);  // Customer 1's shard: the id tells it.
    // The redirect leads to the sandbox's hosted page, served by cashierd.
    HttpResponse page = http_request(server_->port(), "GET", "/sandbox/pay/" + id);
    EXPECT_EQ(page.status, 200);
    EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(page.body.find("250.00 USD"), std::string::npos) << page.body;
    EXPECT_NE(page.body.find("pending_payment"), std::string::npos);

    HttpResponse bank = deposit(
            R"({"login":1002,"provider":"bank_transfer","amount":"75.5","currency":"USD"})", 2);
    EXPECT_EQ(bank.status, 400);  // A JSON string is not an amount.
    bank = deposit(R"({"login":1002,"provider":"bank_transfer","amount":75.5,"currency":"USD"})",
                   2);
    ASSERT_EQ(bank.status, 200) << bank.body;
    EXPECT_EQ(field(bank.body, "next_action"), "WAIT_PROVIDER_PAYMENT");
    EXPECT_EQ(field(bank.body, "redirect_url"), "");
    EXPECT_NE(bank.body.find(R"(\"iban\":\"GB00TEST\")"), std::string::npos) << bank.body;
    EXPECT_NE(bank.body.find(R"(\"reference\":\"CSH-)"), std::string::npos);
    // A bank transfer has no sandbox page.
    EXPECT_EQ(http_request(server_->port(), "GET", "/sandbox/pay/" + field(bank.body, "id")).status,
              404);
    EXPECT_EQ(http_request(server_->port(), "GET", "/sandbox/pay/999999").status, 404);
}

TEST_F(CashierTest, EveryDepositErrorCode) {
    struct Case {
        std::uint64_t customer;
        std::string body;
        int status;
        std::string error;
        std::string field;
    };

    std::vector<Case> cases = {
            {1, R"({"login":1001,"provider":"sandbox","amount":0,"currency":"USD"})", 400,
             "INVALID_DATA", "amount"},
            {1, R"({"login":1001,"provider":"sandbox","amount":-5,"currency":"USD"})", 400,
             "INVALID_DATA", "amount"},
            {1, R"({"login":1001,"provider":"sandbox","amount":20.001,"currency":"USD"})", 400,
             "INVALID_DATA", "amount"},
            {1, R"({"login":1001,"provider":"sandbox","amount":2e400,"currency":"USD"})", 400,
             "INVALID_DATA", "amount"},
            {1, R"({"login":1001,"provider":"sandbox","amount":20,"amount":30,"currency":"USD"})",
             400, "INVALID_DATA", ""},
            {1, R"({"login":1001,"provider":"sandbox","amount":20,"currency":"USD"} {})", 400,
             "INVALID_DATA", ""},
            {1, R"({"login":"1001","provider":"sandbox","amount":20,"currency":"USD"})", 400,
             "INVALID_DATA", "login"},
            {1, R"({"provider":"sandbox","amount":20,"currency":"USD"})", 400, "INVALID_DATA",
             "login"},
            {1, R"({"login":1001,"provider":"sandbox","amount":20,"currency":"XXX"})", 400,
             "INVALID_DATA", "currency"},
            {1, R"({"login":9999,"provider":"sandbox","amount":20,"currency":"USD"})", 400,
             "ACCOUNT_NOT_AVAILABLE", "login"},
            {1, R"({"login":1006,"provider":"sandbox","amount":20,"currency":"USD"})", 400,
             "ACCOUNT_NOT_AVAILABLE", "login"},
            {1, R"({"login":1005,"provider":"sandbox","amount":20,"currency":"USD"})", 400,
             "GROUP_NOT_AVAILABLE", ""},
            {1, R"({"login":1001,"provider":"sandbox","amount":20,"currency":"EUR"})", 400,
             "CURRENCY_CONVERSION_REQUIRED", "currency"},
            {3, R"({"login":1003,"provider":"sandbox","amount":20,"currency":"USD"})", 403,
             "DEPOSIT_NOT_ALLOWED", ""},
            {1, R"({"login":1001,"provider":"nope","amount":20,"currency":"USD"})", 403,
             "PAYMENT_METHOD_NOT_AVAILABLE", "provider"},
            {1, R"({"login":1001,"provider":"closed","amount":20,"currency":"USD"})", 403,
             "PAYMENT_METHOD_NOT_AVAILABLE", "provider"},
            {1, R"({"login":1001,"provider":"bank_transfer","amount":20,"currency":"USD"})", 403,
             "PAYMENT_METHOD_NOT_AVAILABLE", "method"},
            {1,
             R"({"login":1001,"provider":"sandbox","method":"sepa","amount":20,"currency":"USD"})",
             403, "PAYMENT_METHOD_NOT_AVAILABLE", "method"},
            {1, R"({"login":1001,"provider":"sandbox","amount":5,"currency":"USD"})", 400,
             "INVALID_DATA", "amount"},
            {1, R"({"login":1001,"provider":"sandbox","amount":1000.01,"currency":"USD"})", 400,
             "INVALID_DATA", "amount"},
            {1, R"({"login":1001,"provider":"stripe","amount":20,"currency":"USD"})", 503,
             "RET_ERR_NOSERVICE", ""},
            {99, R"({"login":1001,"provider":"sandbox","amount":20,"currency":"USD"})", 403,
             "PERMISSION_DENIED", "login"},
    };
    for (const Case& c : cases) {
        HttpResponse response = deposit(c.body, c.customer);
        EXPECT_EQ(response.status, c.status) << c.body << " -> " << response.body;
        EXPECT_EQ(field(response.body, "error"), c.error) << c.body;
        if (!c.field.empty()) {
            EXPECT_EQ(field(response.body, "field"), c.field) << c.body;
        }
    }
    HttpResponse wrong_type = http_request(
            server_->port(), "POST", "/cashier/deposit",
            R"({"login":1001,"provider":"sandbox","amount":20,"currency":"USD"})",
            {{"Authorization", "Bearer " + token_for(1)}, {"Content-Type", "text/plain"}});
    EXPECT_EQ(wrong_type.status, 415);
}

TEST_F(CashierTest, IdempotencyReplaysConflictsAndRaces) {
    std::string body =
            R"({"login":1004,"provider":"sandbox","amount":33.3,"currency":"EUR","idempotency_key":"idem-1"})";
    HttpResponse first = deposit(body);
    ASSERT_EQ(first.status, 200) << first.body;
    HttpResponse replay = deposit(body);
    EXPECT_EQ(replay.status, 200);
    EXPECT_EQ(replay.header("Idempotent-Replayed"), "true");
    EXPECT_EQ(replay.body, first.body);
    HttpResponse conflict = deposit(
            R"({"login":1004,"provider":"sandbox","amount":33.4,"currency":"EUR","idempotency_key":"idem-1"})");
    EXPECT_EQ(conflict.status, 409);
    EXPECT_EQ(field(conflict.body, "error"), "RET_ERR_DUPLICATE");
    EXPECT_NE(conflict.body.find("different amount"), std::string::npos) << conflict.body;

    std::string racing =
            R"({"login":1004,"provider":"sandbox","amount":12,"currency":"EUR","idempotency_key":"race-20"})";
    std::vector<std::thread> threads;
    std::mutex mutex;
    std::set<std::string> ids;
    for (int i = 0; i < 20; ++i) {
        threads.emplace_back([&] {
            HttpResponse response = deposit(racing);
            std::lock_guard lock(mutex);
            EXPECT_EQ(response.status, 200) << response.body;
            ids.insert(field(response.body, "id"));
        });
    }
    for (std::thread& t : threads)
        t.join();
    EXPECT_EQ(ids.size(), 1u);
    HttpResponse listed = get("/cashier/transactions?login=1004&limit=200");
    std::size_t count = 0;
    for (std::size_t at = listed.body.find("race-20"); at != std::string::npos;
         at = listed.body.find("race-20", at + 1)) {
        ++count;
    }
    EXPECT_EQ(count, 1u);
}

TEST_F(CashierTest, TransactionPagesVisitEachOnceNewestFirst) {
    std::set<std::string> created;
    for (int i = 0; i < 7; ++i) {
        HttpResponse response =
                deposit(R"({"login":1002,"provider":"sandbox","amount":11,"currency":"USD"})", 2);
        ASSERT_EQ(response.status, 200);
        created.insert(field(response.body, "id"));
    }
    std::set<std::string> seen;
    std::string cursor;
    unsigned long previous = ~0ul;
    for (int page = 0; page < 10; ++page) {
        std::string path =
                "/cashier/transactions?login=1002&type=deposit&status=pending_payment&limit=3";
        if (!cursor.empty()) path += "&cursor=" + cursor;
        HttpResponse response = get(path, 2);
        ASSERT_EQ(response.status, 200) << response.body;
        for (std::size_t at = response.body.find("{\"id\":"); at != std::string::npos;
             at = response.body.find("{\"id\":", at + 1)) {
            std::string id = response.body.substr(at + 6, response.body.find(',', at) - at - 6);
            EXPECT_LT(std::stoul(id), previous);
            previous = std::stoul(id);
            EXPECT_TRUE(seen.insert(id).second) << "visited twice: " << id;
        }
        cursor = field(response.body, "next_cursor");
        if (cursor == "null") break;
    }
    for (const std::string& id : created)
        EXPECT_EQ(seen.count(id), 1u) << id;
    EXPECT_EQ(get("/cashier/transactions?limit=201").status, 400);
    EXPECT_EQ(get("/cashier/transactions?status=unknown").status, 400);
    EXPECT_EQ(get("/cashier/transactions?type=2").status, 400);
}

}  // namespace
}  // namespace cashierd::test
