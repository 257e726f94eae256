// 10,000 idle keep-alive connections cost less than 64 MiB of server RSS in all.
#include <cstdio>
#include <vector>

#include <gtest/gtest.h>
#include <sys/resource.h>

#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace cashierd::test {
namespace {

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CASHIERD_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CASHIERD_SANITIZED 1
#endif

TEST(Memory, TenThousandIdleKeepAliveConnectionsUnder64MiB) {
#ifdef CASHIERD_SANITIZED
    GTEST_SKIP() << "sanitizer shadow memory makes RSS meaningless";
#endif
    rlimit limit{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    constexpr int connections = 10000;
    if (limit.rlim_cur < connections + 100) GTEST_SKIP() << "RLIMIT_NOFILE too low";

    ServerProcess server(ServerOptions::with_limits(R"({"connections_per_shard_max":12000})", 2));
    ASSERT_TRUE(server.start()) << server.stderr_text();
    long rss_before = server.rss_kib();

    std::vector<RawClient> clients(connections);
    HttpResponse response;
    for (int i = 0; i < connections; ++i) {
        ASSERT_TRUE(clients[i].connect(server.port())) << i;
        ASSERT_TRUE(clients[i].send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
        ASSERT_TRUE(clients[i].read_response(response)) << i;
        ASSERT_EQ(response.status, 200);
    }
    HttpResponse metrics = http_request(server.port(), "GET", "/metrics");
    long rss_after = server.rss_kib();
    std::printf("server RSS: %ld KiB before, %ld KiB with %d idle connections (%.0f bytes each)\n",
                rss_before, rss_after, connections,
                1024.0 * static_cast<double>(rss_after - rss_before) / connections);
    EXPECT_LT(rss_after, 64 * 1024);
    // Every connection is still open and counted.
    unsigned long open = 0;
    for (int shard = 0; shard < 2; ++shard) {
        std::string key = "cashierd_connections_open{shard=\"" + std::to_string(shard) + "\"} ";
        std::size_t at = metrics.body.find(key);
        ASSERT_NE(at, std::string::npos);
        open += std::strtoul(metrics.body.c_str() + at + key.size(), nullptr, 10);
    }
    EXPECT_EQ(open, static_cast<unsigned long>(connections) + 1);
    EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace cashierd::test
