// After warm-up, serving a request makes no heap allocation on a shard thread: this binary
// replaces the global operator new and counts calls made from shard threads while an
// in-process server answers keep-alive requests.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http/config.h"
#include "http/server.h"
#include "reactor/shard.h"
#include "tests/support/http_client.h"

// Sanitizers replace the allocator themselves; counting through a second replacement confuses
// their bookkeeping (ASan reports new[]/free mismatches), so the count runs in plain builds.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CASHIERD_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CASHIERD_SANITIZED 1
#endif

namespace {

std::atomic<long> g_shard_allocations{0};

[[maybe_unused]] void count_allocation() {
    if (cashierd::reactor::Shard::current_id() >= 0) {
        g_shard_allocations.fetch_add(1, std::memory_order_relaxed);
    }
}

}  // namespace

#ifndef CASHIERD_SANITIZED
void* operator new(std::size_t size) {
    count_allocation();
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}

void* operator new[](std::size_t size) {
    count_allocation();
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}

void operator delete(void* p) noexcept {
    std::free(p);
}

void operator delete[](void* p) noexcept {
    std::free(p);
}

void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
#endif

namespace cashierd::test {
namespace {

class NoAllocTest : public ::testing::Test {
protected:
    void SetUp() override {
#ifdef CASHIERD_SANITIZED
        GTEST_SKIP() << "allocation counting needs the plain allocator";
#endif
        std::string error;
        std::string json = R"({"listen":"127.0.0.1:0","shards":2,"data_dir":")" +
                           ::testing::TempDir() + R"(cashierd-noalloc","log":{"access":false}})";
        ASSERT_TRUE(http::parse_config(json, config_, error)) << error;
        server_ = std::make_unique<http::Server>(config_);
        http::add_health_routes(*server_);
        ASSERT_TRUE(server_->start(error)) << error;
    }

    void TearDown() override {
        if (!server_) return;
        server_->request_stop();
        server_->wait();
    }

    // Sends `count` requests for `path` over `clients` keep-alive connections, round robin.
    void drive(std::vector<RawClient>& clients, const std::string& path, int count) {
        std::string request = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
        HttpResponse response;
        for (int i = 0; i < count; ++i) {
            RawClient& client = clients[static_cast<std::size_t>(i) % clients.size()];
            ASSERT_TRUE(client.send(request));
            ASSERT_TRUE(client.read_response(response));
            ASSERT_EQ(response.status, 200);
        }
    }

    http::Config config_;
    std::unique_ptr<http::Server> server_;
};

TEST_F(NoAllocTest, KeepAliveHealthzAllocatesNothingAfterWarmUp) {
    std::vector<RawClient> clients(8);
    for (RawClient& client : clients)
        ASSERT_TRUE(client.connect(server_->port()));
    drive(clients, "/healthz", 2000);
    long before = g_shard_allocations.load();
    drive(clients, "/healthz", 10000);
    long after = g_shard_allocations.load();
    std::printf("shard-thread allocations during 10000 requests: %ld\n", after - before);
    EXPECT_EQ(after - before, 0);
}

TEST_F(NoAllocTest, CrossShardReadyzAllocatesNothingAfterWarmUp) {
    std::vector<RawClient> clients(4);
    for (RawClient& client : clients)
        ASSERT_TRUE(client.connect(server_->port()));
    drive(clients, "/readyz", 1000);
    long before = g_shard_allocations.load();
    drive(clients, "/readyz", 5000);
    EXPECT_EQ(g_shard_allocations.load() - before, 0);
}

TEST_F(NoAllocTest, CountingWorks) {
    // The counter sees allocations made on a shard thread: a /metrics body grows a string
    // the first time it is rendered.
    long before = g_shard_allocations.load();
    HttpResponse response = http_request(server_->port(), "GET", "/metrics");
    ASSERT_EQ(response.status, 200);
    EXPECT_GT(g_shard_allocations.load() - before, 0);
}

}  // namespace
}  // namespace cashierd::test
