// The back office and seed 000's changebalance through real HTTP against the real binary:
// every changebalance type and refusal, retries by externalId, the bonus kept apart, durability
// across a restart and a kill -9 under load, and the shard count fixed by the data dir.
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace cashierd::test {
namespace {

const std::string manager = "Bearer test-manager-token-0123456789";
const std::string token_query = "?token=test-manager-token-0123456789";

HttpResponse admin(std::uint16_t port, std::string_view method, std::string_view path,
                   std::string_view body = {}) {
    return http_request(port, method, path, body,
                        {{"Authorization", manager}, {"Content-Type", "application/json"}});
}

HttpResponse change(std::uint16_t port, std::uint64_t login, std::string_view body) {
    return http_request(
            port, "POST",
            "/webserv/traders/" + std::to_string(login) + "/changebalance" + token_query, body,
            {{"Content-Type", "application/json"}});
}

std::string change_body(std::uint64_t login, std::string_view amount, std::string_view type,
                        std::string_view external_id = {}) {
    std::string body = R"({"login":)" + std::to_string(login) + R"(,"preciseAmount":)" +
                       std::string(amount) + R"(,"type":")" + std::string(type) + "\"";
    if (!external_id.empty()) body += R"(,"externalId":")" + std::string(external_id) + "\"";
    return body + "}";
}

// A brand, a USD group and customers 5 and 6 (on different shards of 2) with an account each.
void setup_world(std::uint16_t port) {
    ASSERT_EQ(admin(port, "PUT", "/admin/brands/demo", R"({"name":"Demo"})").status, 200);
    ASSERT_EQ(
            admin(port, "PUT", "/admin/groups/usd", R"({"brand":"demo","currency":"USD"})").status,
            200);
    ASSERT_EQ(
            admin(port, "PUT", "/admin/groups/jpy", R"({"brand":"demo","currency":"JPY"})").status,
            200);
    for (int customer : {5, 6}) {
        ASSERT_EQ(admin(port, "PUT", "/admin/customers/" + std::to_string(customer),
                        R"({"brand":"demo","country":"GB","name":"C"})")
                          .status,
                  200);
    }
    ASSERT_EQ(
            admin(port, "PUT", "/admin/accounts/1001", R"({"customer_id":5,"group":"usd"})").status,
            200);
    ASSERT_EQ(
            admin(port, "PUT", "/admin/accounts/1002", R"({"customer_id":6,"group":"jpy"})").status,
            200);
}

std::string field(const std::string& json, const std::string& name) {
    std::string key = "\"" + name + "\":";
    std::size_t at = json.find(key);
    if (at == std::string::npos) return "";
    at += key.size();
    std::size_t end = json.find_first_of(",}", at);
    return json.substr(at, end - at);
}

class BackofficeTest : public ::testing::Test {
protected:
    void start(ServerOptions options = {}) {
        server_ = std::make_unique<ServerProcess>(std::move(options));
        ASSERT_TRUE(server_->start()) << server_->stderr_text();
    }

    void TearDown() override {
        if (server_ && server_->running()) {
            EXPECT_EQ(server_->stop(SIGTERM), 0);
        }
    }

    std::unique_ptr<ServerProcess> server_;
};

TEST_F(BackofficeTest, ChangeBalanceAllFourTypesAndTheAccountView) {
    start();
    std::uint16_t port = server_->port();
    setup_world(port);
    HttpResponse deposit = change(port, 1001, change_body(1001, "250.50", "DEPOSIT"));
    ASSERT_EQ(deposit.status, 200) << deposit.body;
    EXPECT_NE(field(deposit.body, "balanceHistoryId"), "");
    EXPECT_EQ(change(port, 1001, change_body(1001, "50", "WITHDRAW")).status, 200);
    EXPECT_EQ(change(port, 1001, change_body(1001, "10", "DEPOSIT_NONWITHDRAWABLE_BONUS")).status,
              200);
    EXPECT_EQ(change(port, 1001, change_body(1001, "2.5", "WITHDRAW_NONWITHDRAWABLE_BONUS")).status,
              200);
    HttpResponse account = admin(port, "GET", "/admin/accounts/1001");
    ASSERT_EQ(account.status, 200);
    EXPECT_EQ(field(account.body, "balance"), "200.50");
    EXPECT_EQ(field(account.body, "bonus"), "7.50");
    EXPECT_EQ(field(account.body, "available"), "200.50");
    EXPECT_EQ(field(account.body, "customer_id"), "5");
    HttpResponse history = admin(port, "GET", "/admin/accounts/1001/history?limit=3");
    ASSERT_EQ(history.status, 200);
    // Newest first: the bonus withdrawal, the bonus deposit, the withdrawal; then a cursor.
    std::size_t first = history.body.find("WITHDRAW_NONWITHDRAWABLE_BONUS");
    std::size_t second = history.body.find("\"DEPOSIT_NONWITHDRAWABLE_BONUS\"");
    std::size_t third = history.body.find("\"WITHDRAW\"");
    ASSERT_NE(first, std::string::npos) << history.body;
    EXPECT_LT(first, second);
    EXPECT_LT(second, third);
    EXPECT_EQ(history.body.find("\"DEPOSIT\""), std::string::npos);
    std::string cursor = field(history.body, "next_cursor");
    ASSERT_NE(cursor, "null");
    cursor = cursor.substr(1, cursor.size() - 2);

    HttpResponse rest = admin(port, "GET", "/admin/accounts/1001/history?limit=3&cursor=" + cursor);
    EXPECT_NE(rest.body.find("\"DEPOSIT\""), std::string::npos) << rest.body;
    EXPECT_EQ(field(rest.body, "next_cursor"), "null");
}

TEST_F(BackofficeTest, RefusalsAreExactAndMoveNothing) {
    start();
    std::uint16_t port = server_->port();
    setup_world(port);
    ASSERT_EQ(change(port, 1001, change_body(1001, "100", "DEPOSIT")).status, 200);
    ASSERT_EQ(change(port, 1001, change_body(1001, "5", "DEPOSIT_NONWITHDRAWABLE_BONUS")).status,
              200);

    struct Case {
        std::uint64_t path_login;
        std::string body;
        int status;
        std::string error;
        std::string field;
    };

    std::vector<Case> cases = {
            {1001, change_body(1001, "100.01", "WITHDRAW"), 400, "INSUFFICIENT_FUNDS",
             "preciseAmount"},
            // The bonus is never withdrawable money.
            {1001, change_body(1001, "5.01", "WITHDRAW_NONWITHDRAWABLE_BONUS"), 400,
             "INSUFFICIENT_FUNDS", "preciseAmount"},
            {1001, change_body(1001, "0", "DEPOSIT"), 400, "INVALID_DATA", "preciseAmount"},
            {1001, change_body(1001, "-5", "DEPOSIT"), 400, "INVALID_DATA", "preciseAmount"},
            {1001, change_body(1001, "1.001", "DEPOSIT"), 400, "INVALID_DATA", "preciseAmount"},
            {1001, change_body(1001, "1e400", "DEPOSIT"), 400, "INVALID_DATA", "preciseAmount"},
            {1001, change_body(1001, "\"10\"", "DEPOSIT"), 400, "INVALID_DATA", "preciseAmount"},
            {1001, change_body(1001, "10", "BONUS"), 400, "INVALID_DATA", "type"},
            {1001, change_body(1002, "10", "DEPOSIT"), 400, "INVALID_DATA", "login"},
            {1001, R"({"login":1001,"type":"DEPOSIT"})", 400, "INVALID_DATA", "preciseAmount"},
            {1001, R"({"login":1001,"preciseAmount":1,"type":"DEPOSIT","type":"WITHDRAW"})", 400,
             "INVALID_DATA", ""},
            {1001, change_body(1001, "1", "DEPOSIT") + "x", 400, "INVALID_DATA", ""},
            {9999, change_body(9999, "1", "DEPOSIT"), 400, "ACCOUNT_NOT_AVAILABLE", "login"},
            // JPY has no minor units.
            {1002, change_body(1002, "1.5", "DEPOSIT"), 400, "INVALID_DATA", "preciseAmount"},
    };
    for (const Case& c : cases) {
        HttpResponse response = change(port, c.path_login, c.body);
        EXPECT_EQ(response.status, c.status) << c.body << " -> " << response.body;
        EXPECT_EQ(field(response.body, "error"), "\"" + c.error + "\"") << c.body;
        if (!c.field.empty()) {
            EXPECT_EQ(field(response.body, "field"), "\"" + c.field + "\"") << c.body;
        }
    }
    HttpResponse account = admin(port, "GET", "/admin/accounts/1001");
    EXPECT_EQ(field(account.body, "balance"), "100.00");
    EXPECT_EQ(field(account.body, "bonus"), "5.00");

    HttpResponse unauthorized =
            http_request(port, "POST", "/webserv/traders/1001/changebalance?token=wrong",
                         change_body(1001, "1", "DEPOSIT"), {{"Content-Type", "application/json"}});
    EXPECT_EQ(unauthorized.status, 401);
    HttpResponse no_token =
            http_request(port, "POST", "/webserv/traders/1001/changebalance",
                         change_body(1001, "1", "DEPOSIT"), {{"Content-Type", "application/json"}});
    EXPECT_EQ(no_token.status, 401);
    HttpResponse wrong_type =
            http_request(port, "POST", "/webserv/traders/1001/changebalance" + token_query,
                         change_body(1001, "1", "DEPOSIT"), {{"Content-Type", "text/plain"}});
    EXPECT_EQ(wrong_type.status, 415);
    EXPECT_EQ(admin(port, "GET", "/admin/accounts/1001").status, 200);
    EXPECT_EQ(http_request(port, "GET", "/admin/accounts/1001").status, 401);
    EXPECT_EQ(admin(port, "GET", "/admin/accounts/424242").status, 404);
    // A login belongs to one customer.
    EXPECT_EQ(
            admin(port, "PUT", "/admin/accounts/1001", R"({"customer_id":6,"group":"usd"})").status,
            400);
    EXPECT_EQ(
            admin(port, "PUT", "/admin/accounts/1003", R"({"customer_id":7,"group":"usd"})").status,
            404);
    EXPECT_EQ(admin(port, "PUT", "/admin/accounts/1003", R"({"customer_id":5,"group":"nope"})")
                      .status,
              400);
    // The refused PUTs claimed nothing: the login can still go to an existing customer.
    EXPECT_EQ(
            admin(port, "PUT", "/admin/accounts/1003", R"({"customer_id":5,"group":"usd"})").status,
            200);
}

TEST_F(BackofficeTest, RetryWithTheSameExternalIdMovesMoneyOnce) {
    start();
    std::uint16_t port = server_->port();
    setup_world(port);
    HttpResponse first = change(port, 1001, change_body(1001, "40", "DEPOSIT", "wire-77"));
    HttpResponse again = change(port, 1001, change_body(1001, "40", "DEPOSIT", "wire-77"));
    ASSERT_EQ(first.status, 200);
    ASSERT_EQ(again.status, 200);
    EXPECT_EQ(field(first.body, "balanceHistoryId"), field(again.body, "balanceHistoryId"));
    HttpResponse different = change(port, 1001, change_body(1001, "41", "DEPOSIT", "wire-77"));
    EXPECT_EQ(different.status, 409);
    EXPECT_EQ(field(different.body, "error"), "\"RET_ERR_DUPLICATE\"");
    // Twenty identical retries racing each other.
    std::vector<std::thread> racers;
    std::atomic<int> ok{0};
    for (int i = 0; i < 20; ++i) {
        racers.emplace_back([&] {
            if (change(port, 1001, change_body(1001, "7", "DEPOSIT", "race-1")).status == 200) {
                ++ok;
            }
        });
    }
    for (std::thread& racer : racers)
        racer.join();
    EXPECT_EQ(ok.load(), 20);
    EXPECT_EQ(field(admin(port, "GET", "/admin/accounts/1001").body, "balance"), "47.00");
}

TEST_F(BackofficeTest, AcknowledgedChangesSurviveKill9AndRestart) {
    std::string data = make_temp_dir();
    ServerOptions options;
    options.data_dir = data;
    start(options);
    std::uint16_t port = server_->port();
    setup_world(port);
    // Four clients deposit 1.00 each until the server is killed; every 200 is acknowledged.
    std::atomic<bool> stop{false};
    std::atomic<long> acknowledged{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
        clients.emplace_back([&, c] {
            std::uint64_t login = c % 2 == 0 ? 1001 : 1002;
            RawClient client;
            if (!client.connect(port)) return;
            std::string body = change_body(login, "1", "DEPOSIT");
            std::string request = "POST /webserv/traders/" + std::to_string(login) +
                                  "/changebalance" + token_query +
                                  " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                  "Content-Length: " +
                                  std::to_string(body.size()) + "\r\n\r\n" + body;
            while (!stop.load()) {
                HttpResponse response;
                if (!client.send(request) || !client.read_response(response, 2000)) return;
                if (response.status == 200) ++acknowledged;
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    ASSERT_EQ(::kill(server_->pid(), SIGKILL), 0);
    stop = true;
    for (std::thread& client : clients)
        client.join();
    server_->stop(SIGKILL);
    ASSERT_GT(acknowledged.load(), 10);

    start(options);
    port = server_->port();
    long balance_1001 =
            std::stol(field(admin(port, "GET", "/admin/accounts/1001").body, "balance"));
    long balance_1002 =
            std::stol(field(admin(port, "GET", "/admin/accounts/1002").body, "balance"));
    // Every acknowledged deposit is there; at most one unacknowledged one per client may be too.
    EXPECT_GE(balance_1001 + balance_1002, acknowledged.load());
    EXPECT_LE(balance_1001 + balance_1002, acknowledged.load() + 4);
    EXPECT_EQ(server_->stop(SIGTERM), 0);
    server_.reset();
    remove_tree(data);
}

TEST_F(BackofficeTest, DataDirKeepsItsShardCount) {
    std::string data = make_temp_dir();
    ServerOptions two;
    two.data_dir = data;
    two.shards = 2;
    start(two);
    setup_world(server_->port());
    ASSERT_EQ(server_->stop(SIGTERM), 0);
    ServerOptions three = two;
    three.shards = 3;
    ServerProcess refused(three);
    EXPECT_FALSE(refused.start());
    EXPECT_NE(refused.stderr_text().find("created with 2 shards"), std::string::npos)
            << refused.stderr_text();
    ServerOptions automatic = two;
    automatic.shards = 0;
    start(automatic);
    HttpResponse ready = http_request(server_->port(), "GET", "/readyz");
    EXPECT_NE(ready.body.find("\"shards\":2"), std::string::npos);
    EXPECT_EQ(admin(server_->port(), "GET", "/admin/accounts/1002").status, 200);
    EXPECT_EQ(server_->stop(SIGTERM), 0);
    server_.reset();
    remove_tree(data);
}

TEST_F(BackofficeTest, InitialDataSeedsOnceAndProvidersRoundTrip) {
    std::string data = make_temp_dir();
    ServerOptions options;
    options.data_dir = data;
    options.extra_json =
            R"(,"brands":[{"id":"b","name":"B"}],"groups":[{"id":"g","brand":"b","currency":"EUR"}],)"
            R"("customers":[{"id":3,"brand":"b","country":"DE"}],)"
            R"("accounts":[{"login":3003,"customer_id":3,"group":"g","balance":"12.34","bonus":1}])";
    for (int start_number = 0; start_number < 2; ++start_number) {
        start(options);
        HttpResponse account = admin(server_->port(), "GET", "/admin/accounts/3003");
        ASSERT_EQ(account.status, 200) << account.body;
        // Seeded on the first start only.
        EXPECT_EQ(field(account.body, "balance"), "12.34");
        EXPECT_EQ(field(account.body, "bonus"), "1.00");
        EXPECT_EQ(field(account.body, "currency"), "\"EUR\"");
        EXPECT_EQ(server_->stop(SIGTERM), 0);
    }
    start(options);
    std::uint16_t port = server_->port();
    HttpResponse put = admin(port, "PUT", "/admin/providers/sandbox",
                             R"({"module":"sandbox","webhook_secret":"whsec_0123456789abcdef",)"
                             R"("methods":[{"method":"card","method_id":1,"type":"deposit",)"
                             R"("currencies":["EUR"],"min_amount":10,"max_amount":"500.50"}]})");
    ASSERT_EQ(put.status, 200) << put.body;
    EXPECT_NE(put.body.find(R"("webhook_secret_set":true)"), std::string::npos);
    EXPECT_EQ(put.body.find("whsec_"), std::string::npos);  // Secrets are write-only.
    HttpResponse get = admin(port, "GET", "/admin/providers/sandbox");
    EXPECT_EQ(get.body, put.body);
    HttpResponse bad = admin(port, "PUT", "/admin/providers/x",
                             R"({"module":"sandbox","methods":[{"method":"card","method_id":1,)"
                             R"("currencies":["XYZ"]}]})");
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.body.find("methods[0].currencies"), std::string::npos) << bad.body;
    EXPECT_EQ(
            admin(port, "PUT", "/admin/providers/x", R"({"module":"sandbox","module":"y"})").status,
            400);
    EXPECT_EQ(server_->stop(SIGTERM), 0);
    server_.reset();
    remove_tree(data);
}

TEST(InitialData, BadInitialDataRefusesToStartNamingTheEntry) {
    ServerOptions options;
    options.extra_json =
            R"(,"brands":[{"id":"b","name":"B"}],"groups":[{"id":"g","brand":"nope","currency":"EUR"}])";
    ServerProcess server(options);
    EXPECT_FALSE(server.start());
    EXPECT_NE(server.stderr_text().find("groups[0].brand"), std::string::npos)
            << server.stderr_text();
}

}  // namespace
}  // namespace cashierd::test
