// Crash safety (SPEC §5): kill -9 in the middle of a deposit load loses no acknowledged
// deposit, and in the middle of a webhook load no acknowledged credit, and credits none twice;
// the data dir then passes `cashierd verify`.
#include <atomic>
#include <ctime>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "providers/jwt.h"
#include "providers/webhook_signature.h"
#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace cashierd::test {
namespace {

const char* world =
        R"(,"brands":[{"id":"d","name":"D"}],"groups":[{"id":"usd","brand":"d","currency":"USD"}],)"
        R"("providers":[{"code":"sandbox","module":"sandbox","webhook_secret":"whsec_crash_0123456789",)"
        R"("methods":[{"method":"card","method_id":1}]}],)"
        R"("customers":[{"id":1,"brand":"d","country":"GB"},{"id":2,"brand":"d","country":"GB"}],)"
        R"("accounts":[{"login":11,"customer_id":1,"group":"usd"},{"login":12,"customer_id":2,"group":"usd"}])";

std::string token_for(std::uint64_t customer) {
    std::int64_t now = std::time(nullptr);
    return providers::mint_hs256("test", "test-jwt-secret-0123456789abcdef0123456789", customer,
                                 now, now + 3600);
}

TEST(CrashTest, Kill9DuringDepositsLosesNoAcknowledgedDeposit) {
    std::string data = make_temp_dir();
    ServerOptions options;
    options.data_dir = data;
    options.extra_json = world;
    auto server = std::make_unique<ServerProcess>(options);
    ASSERT_TRUE(server->start()) << server->stderr_text();
    std::uint16_t port = server->port();

    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::set<std::string> acknowledged;
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
        clients.emplace_back([&, c] {
            std::uint64_t customer = 1 + c % 2;
            std::string auth = "Authorization: Bearer " + token_for(customer) + "\r\n";
            RawClient client;
            if (!client.connect(port)) return;
            for (int i = 0; !stop.load(); ++i) {
                std::string key = "c" + std::to_string(c) + "-" + std::to_string(i);
                std::string body = R"({"login":)" + std::to_string(10 + customer) +
                                   R"(,"provider":"sandbox","amount":1,"currency":"USD",)"
                                   R"("idempotency_key":")" +
                                   key + "\"}";
                std::string request =
                        "POST /cashier/deposit HTTP/1.1\r\nHost: x\r\nContent-Type: "
                        "application/json\r\n" +
                        auth + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
                HttpResponse response;
                if (!client.send(request) || !client.read_response(response, 2000)) return;
                if (response.status == 200) {
                    std::lock_guard lock(mutex);
                    acknowledged.insert(key);
                }
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    ASSERT_EQ(::kill(server->pid(), SIGKILL), 0);
    stop = true;
    for (std::thread& client : clients)
        client.join();
    server->stop(SIGKILL);
    ASSERT_GT(acknowledged.size(), 20u);

    server = std::make_unique<ServerProcess>(options);
    ASSERT_TRUE(server->start()) << server->stderr_text();
    std::set<std::string> stored;
    for (std::uint64_t customer : {1, 2}) {
        std::string cursor;
        for (int page = 0; page < 10000; ++page) {
            std::string path = "/cashier/transactions?limit=200";
            if (!cursor.empty()) path += "&cursor=" + cursor;
            HttpResponse response =
                    http_request(server->port(), "GET", path, {},
                                 {{"Authorization", "Bearer " + token_for(customer)}});
            ASSERT_EQ(response.status, 200) << response.body;
            for (std::size_t at = response.body.find("\"idempotency_key\":\"");
                 at != std::string::npos;
                 at = response.body.find("\"idempotency_key\":\"", at + 1)) {
                std::size_t start = at + 19;
                stored.insert(response.body.substr(start, response.body.find('"', start) - start));
            }
            std::size_t next = response.body.find("\"next_cursor\":\"");
            if (next == std::string::npos) break;
            cursor =
                    response.body.substr(next + 15, response.body.find('"', next + 15) - next - 15);
        }
    }
    for (const std::string& key : acknowledged) {
        EXPECT_EQ(stored.count(key), 1u) << "acknowledged deposit lost: " << key;
    }
    // At most the requests in flight when the process died are there without an answer.
    EXPECT_LE(stored.size(), acknowledged.size() + 4);
    EXPECT_EQ(server->stop(SIGTERM), 0);
    std::string report;
    EXPECT_EQ(run_cashierd({"verify", "--data", data}, &report), 0) << report;
    EXPECT_NE(report.find("0 problems"), std::string::npos) << report;
    remove_tree(data);
}

std::string field_of(const std::string& json, const std::string& name) {
    std::string key = "\"" + name + "\":";
    std::size_t at = json.find(key);
    if (at == std::string::npos) return "";
    at += key.size();
    return json.substr(at, json.find_first_of(",}", at) - at);
}

TEST(CrashTest, Kill9DuringWebhooksLosesNoCreditAndCreditsNoneTwice) {
    std::string data = make_temp_dir();
    ServerOptions options;
    options.data_dir = data;
    options.extra_json = world;
    auto server = std::make_unique<ServerProcess>(options);
    ASSERT_TRUE(server->start()) << server->stderr_text();
    std::uint16_t port = server->port();
    // Pending deposits of 1.00 on login 11 (customer 1) and 12 (customer 2).
    std::vector<std::uint64_t> pending;
    for (int i = 0; i < 300; ++i) {
        std::uint64_t customer = 1 + i % 2;
        std::string body = R"({"login":)" + std::to_string(10 + customer) +
                           R"(,"provider":"sandbox","amount":1,"currency":"USD"})";
        HttpResponse r = http_request(port, "POST", "/cashier/deposit", body,
                                      {{"Authorization", "Bearer " + token_for(customer)},
                                       {"Content-Type", "application/json"}});
        ASSERT_EQ(r.status, 200) << r.body;
        pending.push_back(std::stoull(field_of(r.body, "id")));
    }
    auto event = [](std::uint64_t id) {
        return R"({"id":"evt_crash_)" + std::to_string(id) + R"(","transaction_id":)" +
               std::to_string(id) + R"(,"status":"succeeded","amount":1.00,"currency":"USD"})";
    };
    // Four clients post each event twice (a provider retrying), until the process dies.
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::set<std::uint64_t> acknowledged;
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
        clients.emplace_back([&, c] {
            RawClient client;
            if (!client.connect(port)) return;
            for (std::size_t i = c; i < pending.size() * 2 && !stop.load(); i += 4) {
                std::uint64_t id = pending[i % pending.size()];
                std::string body = event(id);
                std::string request =
                        "POST /cashier/webhook/sandbox HTTP/1.1\r\nHost: "
                        "x\r\nX-Cashier-Signature: " +
                        providers::sign_webhook("whsec_crash_0123456789", std::time(nullptr),
                                                body) +
                        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
                HttpResponse response;
                if (!client.send(request) || !client.read_response(response, 2000)) return;
                if (response.status == 200) {
                    std::lock_guard lock(mutex);
                    acknowledged.insert(id);
                }
            }
        });
    }
    // Killed mid-load: once some credits are acknowledged, long before all 600 posts are done.
    for (int waited = 0; waited < 5000; ++waited) {
        {
            std::lock_guard lock(mutex);
            if (acknowledged.size() >= 60) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(::kill(server->pid(), SIGKILL), 0);
    stop = true;
    for (std::thread& client : clients)
        client.join();
    server->stop(SIGKILL);
    ASSERT_GE(acknowledged.size(), 60u);
    ASSERT_LT(acknowledged.size(), pending.size());

    server = std::make_unique<ServerProcess>(options);
    ASSERT_TRUE(server->start()) << server->stderr_text();
    port = server->port();
    const std::vector<std::pair<std::string, std::string>> manager = {
            {"Authorization", "Bearer test-manager-token-0123456789"}};
    // Every acknowledged credit is there; the balances are exactly the credited deposits.
    std::size_t credited = 0;
    for (std::uint64_t id : pending) {
        HttpResponse r =
                http_request(port, "GET", "/admin/transactions/" + std::to_string(id), {}, manager);
        ASSERT_EQ(r.status, 200) << r.body;
        std::string status = field_of(r.body.substr(r.body.find("\"status\":")), "status");
        if (status == "3") ++credited;
        if (acknowledged.count(id)) {
            EXPECT_EQ(status, "3") << "acknowledged credit lost: " << id;
        }
    }
    std::int64_t total_cents = 0;
    for (int login : {11, 12}) {
        HttpResponse r =
                http_request(port, "GET", "/admin/accounts/" + std::to_string(login), {}, manager);
        std::string balance = field_of(r.body, "balance");
        total_cents += std::stoll(balance.substr(0, balance.find('.'))) * 100 +
                       std::stoll(balance.substr(balance.find('.') + 1));
    }
    EXPECT_EQ(total_cents, static_cast<std::int64_t>(credited) * 100);
    // A provider retrying an acknowledged event after the restart moves nothing.
    std::uint64_t again = *acknowledged.begin();
    std::string body = event(again);
    HttpResponse replay = http_request(
            port, "POST", "/cashier/webhook/sandbox", body,
            {{"X-Cashier-Signature",
              providers::sign_webhook("whsec_crash_0123456789", std::time(nullptr), body)}});
    EXPECT_EQ(replay.status, 200) << replay.body;
    EXPECT_NE(replay.body.find(R"("outcome":"replayed")"), std::string::npos) << replay.body;
    EXPECT_EQ(server->stop(SIGTERM), 0);
    std::string report;
    EXPECT_EQ(run_cashierd({"verify", "--data", data}, &report), 0) << report;
    EXPECT_NE(report.find("0 problems"), std::string::npos) << report;
    remove_tree(data);
}

}  // namespace
}  // namespace cashierd::test
