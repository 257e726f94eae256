// The group-commit metrics: cashierd_commit_batch_size, cashierd_commit_duration_seconds and
// cashierd_commit_failures_total. Through the real binary: every job that reaches a ledger is
// counted in exactly one commit of its owner shard, requests refused before the ledger are not.
// In process: bucket edges, the shard label and the failure counter, rendered exactly.
// Thread: the test's.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "http/metrics.h"
#include "http/router.h"
#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace cashierd::test {
namespace {

const std::string token_query = "?token=test-manager-token-0123456789";

// Customers 1..4 with accounts 1001..1004: on 2 shards, 2 and 4 live on shard 0, 1 and 3 on 1.
const char* world_json =
        R"(,"brands":[{"id":"demo","name":"Demo"}],)"
        R"("groups":[{"id":"usd","brand":"demo","currency":"USD"}],)"
        R"("customers":[{"id":1,"brand":"demo","country":"GB"},{"id":2,"brand":"demo","country":"GB"},)"
        R"({"id":3,"brand":"demo","country":"GB"},{"id":4,"brand":"demo","country":"GB"}],)"
        R"("accounts":[{"login":1001,"customer_id":1,"group":"usd"},)"
        R"({"login":1002,"customer_id":2,"group":"usd"},)"
        R"({"login":1003,"customer_id":3,"group":"usd"},)"
        R"({"login":1004,"customer_id":4,"group":"usd"}])";

std::string change_request(std::uint64_t login, std::string_view amount, std::string_view type,
                           std::string_view token = token_query) {
    std::string body = R"({"login":)" + std::to_string(login) + R"(,"preciseAmount":)" +
                       std::string(amount) + R"(,"type":")" + std::string(type) + "\"}";
    return "POST /webserv/traders/" + std::to_string(login) + "/changebalance" +
           std::string(token) +
           " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The value of the series `series` (name and labels, exactly), or nothing if absent.
std::optional<std::string> series_value(const std::string& text, const std::string& series) {
    std::string line_start = series + " ";
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        if (text.compare(at, line_start.size(), line_start) == 0) {
            return text.substr(at + line_start.size(), end - at - line_start.size());
        }
        at = end + 1;
    }
    return std::nullopt;
}

std::uint64_t series_uint(const std::string& text, const std::string& series) {
    std::optional<std::string> value = series_value(text, series);
    EXPECT_TRUE(value.has_value()) << "missing " << series;
    return value ? std::stoull(*value) : 0;
}

std::string shard_label(int shard) {
    return "{shard=\"" + std::to_string(shard) + "\"}";
}

std::string bucket(std::string_view name, int shard, std::string_view le) {
    return std::string(name) + "_bucket{shard=\"" + std::to_string(shard) + "\",le=\"" +
           std::string(le) + "\"}";
}

// Every bucket series of a shard's histogram in order: cumulative, ending at _count.
void expect_cumulative(const std::string& text, std::string_view name, int shard,
                       const std::vector<std::string>& bounds) {
    std::uint64_t previous = 0;
    for (const std::string& le : bounds) {
        std::uint64_t value = series_uint(text, bucket(name, shard, le));
        EXPECT_GE(value, previous) << name << " le=" << le;
        previous = value;
    }
    std::uint64_t all = series_uint(text, bucket(name, shard, "+Inf"));
    EXPECT_GE(all, previous);
    EXPECT_EQ(series_uint(text, std::string(name) + "_count" + shard_label(shard)), all);
}

const std::vector<std::string> batch_bounds = {"1",  "2",  "4",   "8",   "16",
                                               "32", "64", "128", "256", "512"};
const std::vector<std::string> duration_bounds = {
        "0.000050", "0.000100", "0.000250", "0.000500", "0.001000", "0.002500", "0.005000",
        "0.010000", "0.025000", "0.050000", "0.100000", "0.250000", "0.500000", "1.000000"};

TEST(CommitMetrics, EveryLedgerJobIsCountedInOneCommitOfItsShard) {
    ServerOptions options;
    options.shards = 2;
    options.extra_json = world_json;
    ServerProcess server(options);
    ASSERT_TRUE(server.start()) << server.stderr_text();
    std::uint16_t port = server.port();

    // Initial data is written before the shards run: no commit counted yet.
    HttpResponse before = http_request(port, "GET", "/metrics");
    ASSERT_EQ(before.status, 200);
    for (int shard : {0, 1}) {
        EXPECT_EQ(series_uint(before.body, "cashierd_commit_batch_size_count" + shard_label(shard)),
                  0u);
        EXPECT_EQ(series_uint(before.body, "cashierd_commit_batch_size_sum" + shard_label(shard)),
                  0u);
        EXPECT_EQ(series_value(before.body,
                               "cashierd_commit_duration_seconds_sum" + shard_label(shard)),
                  "0.000000");
        EXPECT_EQ(series_uint(before.body, "cashierd_commit_failures_total" + shard_label(shard)),
                  0u);
    }
    for (const char* type : {"# TYPE cashierd_commit_batch_size histogram",
                             "# TYPE cashierd_commit_duration_seconds histogram",
                             "# TYPE cashierd_commit_failures_total counter"}) {
        EXPECT_NE(before.body.find(type), std::string::npos) << type;
    }

    // Four keep-alive clients per account, all at once, so jobs can share commits.
    constexpr int deposits_per_client = 10;
    constexpr int clients_per_account = 4;
    const std::vector<std::uint64_t> logins = {1001, 1002, 1003, 1004};
    std::atomic<int> ok{0};
    std::vector<std::thread> clients;
    for (std::uint64_t login : logins) {
        for (int c = 0; c < clients_per_account; ++c) {
            clients.emplace_back([&, login] {
                RawClient client;
                if (!client.connect(port)) return;
                std::string request = change_request(login, "1", "DEPOSIT");
                for (int i = 0; i < deposits_per_client; ++i) {
                    HttpResponse response;
                    if (!client.send(request) || !client.read_response(response)) return;
                    if (response.status == 200) ++ok;
                }
            });
        }
    }
    for (std::thread& client : clients)
        client.join();
    const int deposits =
            static_cast<int>(logins.size()) * clients_per_account * deposits_per_client;
    ASSERT_EQ(ok.load(), deposits);

    // Refused by the owner shard's ledger: still a job, counted.
    constexpr int refused_in_ledger = 3;
    for (int i = 0; i < refused_in_ledger; ++i) {
        HttpResponse response =
                http_request(port, "POST", "/webserv/traders/1001/changebalance" + token_query,
                             R"({"login":1001,"preciseAmount":1000000,)"
                             R"("type":"WITHDRAW"})",
                             {{"Content-Type", "application/json"}});
        ASSERT_EQ(response.status, 400) << response.body;
        EXPECT_NE(response.body.find("INSUFFICIENT_FUNDS"), std::string::npos) << response.body;
    }
    // Refused before any ledger (token, body): no job, not counted.
    RawClient refused;
    ASSERT_TRUE(refused.connect(port));
    for (const std::string& request :
         {change_request(1002, "1", "DEPOSIT", "?token=wrong"),
          change_request(1002, "\"1\"", "DEPOSIT"), change_request(1002, "1", "NOPE")}) {
        HttpResponse response;
        ASSERT_TRUE(refused.send(request));
        ASSERT_TRUE(refused.read_response(response));
        EXPECT_GE(response.status, 400);
        EXPECT_LT(response.status, 500);
    }

    HttpResponse after = http_request(port, "GET", "/metrics");
    ASSERT_EQ(after.status, 200);
    const std::string& text = after.body;
    std::uint64_t jobs[2] = {};
    std::uint64_t commits[2] = {};
    for (int shard : {0, 1}) {
        jobs[shard] = series_uint(text, "cashierd_commit_batch_size_sum" + shard_label(shard));
        commits[shard] = series_uint(text, "cashierd_commit_batch_size_count" + shard_label(shard));
        expect_cumulative(text, "cashierd_commit_batch_size", shard, batch_bounds);
        expect_cumulative(text, "cashierd_commit_duration_seconds", shard, duration_bounds);
        EXPECT_EQ(series_uint(text, "cashierd_commit_duration_seconds_count" + shard_label(shard)),
                  commits[shard]);
        EXPECT_NE(series_value(text, "cashierd_commit_duration_seconds_sum" + shard_label(shard)),
                  "0.000000");
        EXPECT_EQ(series_uint(text, "cashierd_commit_failures_total" + shard_label(shard)), 0u);
        // At least one commit, and never more commits than jobs.
        EXPECT_GE(commits[shard], 1u);
        EXPECT_LE(commits[shard], jobs[shard]);
    }
    // Logins 1002 and 1004 (customers 2, 4) live on shard 0; 1001 and 1003 plus the refused
    // withdrawals on shard 1.
    EXPECT_EQ(jobs[0], static_cast<std::uint64_t>(deposits / 2));
    EXPECT_EQ(jobs[1], static_cast<std::uint64_t>(deposits / 2 + refused_in_ledger));
    EXPECT_EQ(jobs[0] + jobs[1], static_cast<std::uint64_t>(deposits + refused_in_ledger));
    // Sixteen clients on two fsync'd shards overlap (about 2.4 jobs per commit here): some
    // commit carried two or more jobs, and the histogram shows it above its first bucket.
    EXPECT_LT(commits[0] + commits[1], jobs[0] + jobs[1]);
    EXPECT_LT(series_uint(text, bucket("cashierd_commit_batch_size", 0, "1")) +
                      series_uint(text, bucket("cashierd_commit_batch_size", 1, "1")),
              commits[0] + commits[1]);
    EXPECT_EQ(server.stop(SIGTERM), 0);
}

TEST(CommitMetrics, BucketEdgesShardLabelsAndFailuresRenderExactly) {
    http::Router router;
    http::ShardMetrics first(router.size());
    http::ShardMetrics second(router.size());
    first.record_commit(1, 50, true);             // Both bounds inclusive.
    first.record_commit(3, 51, false);            // Batch le=4, duration le=100 us; failed.
    first.record_commit(513, 1'000'001, true);    // Past the last bounds: +Inf only.
    second.record_commit(512, 1'000'000, false);  // Exactly the last bounds.
    std::string text;
    http::render_metrics(text, router, {{&first, 0}, {&second, 0}});

    const char* batch = "cashierd_commit_batch_size";
    EXPECT_EQ(series_uint(text, bucket(batch, 0, "1")), 1u);
    EXPECT_EQ(series_uint(text, bucket(batch, 0, "2")), 1u);
    EXPECT_EQ(series_uint(text, bucket(batch, 0, "4")), 2u);
    EXPECT_EQ(series_uint(text, bucket(batch, 0, "512")), 2u);
    EXPECT_EQ(series_uint(text, bucket(batch, 0, "+Inf")), 3u);
    EXPECT_EQ(series_uint(text, "cashierd_commit_batch_size_sum{shard=\"0\"}"), 517u);
    EXPECT_EQ(series_uint(text, "cashierd_commit_batch_size_count{shard=\"0\"}"), 3u);
    EXPECT_EQ(series_uint(text, bucket(batch, 1, "256")), 0u);
    EXPECT_EQ(series_uint(text, bucket(batch, 1, "512")), 1u);
    EXPECT_EQ(series_uint(text, "cashierd_commit_batch_size_sum{shard=\"1\"}"), 512u);

    const char* duration = "cashierd_commit_duration_seconds";
    EXPECT_EQ(series_uint(text, bucket(duration, 0, "0.000050")), 1u);
    EXPECT_EQ(series_uint(text, bucket(duration, 0, "0.000100")), 2u);
    EXPECT_EQ(series_uint(text, bucket(duration, 0, "1.000000")), 2u);
    EXPECT_EQ(series_uint(text, bucket(duration, 0, "+Inf")), 3u);
    EXPECT_EQ(series_value(text, "cashierd_commit_duration_seconds_sum{shard=\"0\"}"), "1.000102");
    EXPECT_EQ(series_uint(text, bucket(duration, 1, "0.500000")), 0u);
    EXPECT_EQ(series_uint(text, bucket(duration, 1, "1.000000")), 1u);
    EXPECT_EQ(series_value(text, "cashierd_commit_duration_seconds_sum{shard=\"1\"}"), "1.000000");
    expect_cumulative(text, batch, 0, batch_bounds);
    expect_cumulative(text, duration, 1, duration_bounds);

    EXPECT_EQ(series_uint(text, "cashierd_commit_failures_total{shard=\"0\"}"), 1u);
    EXPECT_EQ(series_uint(text, "cashierd_commit_failures_total{shard=\"1\"}"), 1u);
    EXPECT_NE(text.find("# TYPE cashierd_commit_failures_total counter\n"), std::string::npos);
}

}  // namespace
}  // namespace cashierd::test
