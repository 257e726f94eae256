// End-to-end tests of the HTTP layer through the real binary on 127.0.0.1 (ephemeral port,
// temporary data dir): keep-alive, pipelining, chunked bodies, every refusal of SPEC §5,
// deadlines, the connection cap, operations routes, request ids, logs and SIGTERM.
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace cashierd::test {
namespace {

using namespace std::chrono_literals;

class ServerTest : public ::testing::Test {
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

    RawClient connect() {
        RawClient client;
        EXPECT_TRUE(client.connect(server_->port()));
        return client;
    }

    // Sends raw bytes on a fresh connection; expects one response and then a close.
    HttpResponse refused(std::string_view bytes) {
        RawClient client;
        EXPECT_TRUE(client.connect(server_->port()));
        EXPECT_TRUE(client.send(bytes));
        HttpResponse response;
        EXPECT_TRUE(client.read_response(response));
        EXPECT_EQ(response.header("Connection"), "close");
        EXPECT_TRUE(client.wait_closed(3000));
        return response;
    }

    std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServerTest, HealthzAnswersJson) {
    start();
    HttpResponse response = http_request(server_->port(), "GET", "/healthz");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, R"({"status":"ok"})");
    EXPECT_EQ(response.header("Content-Type"), "application/json");
    EXPECT_EQ(response.header("X-Request-Id").size(), 32u);
    EXPECT_FALSE(response.header("Date").empty());
}

TEST_F(ServerTest, HeadHasNoBody) {
    start();
    RawClient client = connect();
    client.send(
            "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    HttpResponse head;
    ASSERT_TRUE(client.read_response(head, 5000, true));
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("Content-Length"), "15");
    // The GET that follows must parse as the next response: HEAD sent no body bytes.
    HttpResponse get;
    ASSERT_TRUE(client.read_response(get));
    EXPECT_EQ(get.body, R"({"status":"ok"})");
}

TEST_F(ServerTest, ReadyzPingsEveryShard) {
    start(ServerOptions::with_shards(3));
    HttpResponse response = http_request(server_->port(), "GET", "/readyz");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, R"({"status":"ready","shards":3})");
}

TEST_F(ServerTest, ThreePipelinedRequestsAnsweredInOrder) {
    start();
    RawClient client = connect();
    ASSERT_TRUE(
            client.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: first\r\n\r\n"
                        "GET /nope HTTP/1.1\r\nHost: x\r\nX-Request-Id: second\r\n\r\n"
                        "GET /readyz HTTP/1.1\r\nHost: x\r\nX-Request-Id: third\r\n\r\n"));
    HttpResponse one, two, three;
    ASSERT_TRUE(client.read_response(one));
    ASSERT_TRUE(client.read_response(two));
    ASSERT_TRUE(client.read_response(three));
    EXPECT_EQ(one.header("X-Request-Id"), "first");
    EXPECT_EQ(one.status, 200);
    EXPECT_EQ(two.header("X-Request-Id"), "second");
    EXPECT_EQ(two.status, 404);
    EXPECT_EQ(three.header("X-Request-Id"), "third");
    EXPECT_EQ(three.status, 200);
    EXPECT_NE(three.body.find("ready"), std::string::npos);
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
    start();
    RawClient client = connect();
    for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
        HttpResponse response;
        ASSERT_TRUE(client.read_response(response)) << i;
        ASSERT_EQ(response.status, 200);
        ASSERT_EQ(response.header("Connection"), "");
    }
}

TEST_F(ServerTest, ChunkedBodyIsConsumedAndConnectionStaysUsable) {
    start();
    RawClient client = connect();
    // /healthz has no POST: the answer is 405, and the pipelined GET after the chunked body
    // proves the body was framed exactly.
    ASSERT_TRUE(
            client.send("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "5\r\nhello\r\n7;note=ok\r\n, world\r\n0\r\n\r\n"
                        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    HttpResponse post, get;
    ASSERT_TRUE(client.read_response(post));
    EXPECT_EQ(post.status, 405);
    EXPECT_EQ(post.header("Allow"), "GET, HEAD");
    EXPECT_NE(post.body.find("\"error\":\"METHOD_NOT_ALLOWED\""), std::string::npos);
    ASSERT_TRUE(client.read_response(get));
    EXPECT_EQ(get.status, 200);
}

TEST_F(ServerTest, UnknownRouteIsJson404) {
    start();
    HttpResponse response = http_request(server_->port(), "GET", "/no/such/thing");
    EXPECT_EQ(response.status, 404);
    EXPECT_NE(response.body.find("\"error\":\"NOT_FOUND\""), std::string::npos);
    EXPECT_NE(response.body.find("\"message\":"), std::string::npos);
}

TEST_F(ServerTest, RequestIdEchoedWhenWellFormedReplacedOtherwise) {
    start();
    HttpResponse good = http_request(server_->port(), "GET", "/healthz", {},
                                     {{"X-Request-Id", "abc-123_DEF.4:5"}});
    EXPECT_EQ(good.header("X-Request-Id"), "abc-123_DEF.4:5");
    HttpResponse bad = http_request(server_->port(), "GET", "/healthz", {},
                                    {{"X-Request-Id", "has space\"quote"}});
    EXPECT_EQ(bad.header("X-Request-Id").size(), 32u);
    HttpResponse too_long = http_request(server_->port(), "GET", "/healthz", {},
                                         {{"X-Request-Id", std::string(65, 'a')}});
    EXPECT_EQ(too_long.header("X-Request-Id").size(), 32u);
    HttpResponse other = http_request(server_->port(), "GET", "/healthz");
    EXPECT_NE(other.header("X-Request-Id"), bad.header("X-Request-Id"));
}

TEST_F(ServerTest, RefusesObsFold) {
    start();
    HttpResponse response = refused("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n");
    EXPECT_EQ(response.status, 400);
    response =
            refused("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
                    "0\r\n\r\n");
    EXPECT_EQ(response.status, 400);
}

TEST_F(ServerTest, RefusesMissingOrDuplicateHost) {
    start();
    EXPECT_EQ(refused("GET /healthz HTTP/1.1\r\n\r\n").status, 400);
    EXPECT_EQ(refused("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").status, 400);
}

TEST_F(ServerTest, RefusesContentLengthWithTransferEncoding) {
    start();
    HttpResponse response =
            refused("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    EXPECT_EQ(response.status, 400);
    EXPECT_NE(response.body.find("BAD_REQUEST"), std::string::npos);
}

TEST_F(ServerTest, RefusesDuplicateContentLength) {
    start();
    EXPECT_EQ(refused("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                      "Content-Length: 2\r\n\r\nok")
                      .status,
              400);
}

TEST_F(ServerTest, RefusesOverlongChunkExtension) {
    start();
    std::string request =
            "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;" +
            std::string(4000, 'e') + "\r\nhello\r\n0\r\n\r\n";
    EXPECT_EQ(refused(request).status, 400);
}

TEST_F(ServerTest, RefusesGarbage) {
    start();
    EXPECT_EQ(refused("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n").status, 400);
    EXPECT_EQ(refused("HELLO\r\n\r\n").status, 400);
}

TEST_F(ServerTest, TwentyKibOfHeadersIs431) {
    start();
    std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 20; ++i)
        request += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'f') + "\r\n";
    request += "\r\n";
    HttpResponse response = refused(request);
    EXPECT_EQ(response.status, 431);
    EXPECT_NE(response.body.find("HEADERS_TOO_LARGE"), std::string::npos);
}

TEST_F(ServerTest, OneMibBodyIs413WithoutReadingItAll) {
    start();
    RawClient client = connect();
    ASSERT_TRUE(
            client.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Content-Length: 1048576\r\n\r\n"));
    // The refusal comes from the headers alone; the client may still be sending.
    std::string chunk(65536, 'x');
    for (int i = 0; i < 16; ++i) {
        if (!client.send(chunk)) break;
    }
    HttpResponse response;
    ASSERT_TRUE(client.read_response(response));
    EXPECT_EQ(response.status, 413);
    EXPECT_NE(response.body.find("PAYLOAD_TOO_LARGE"), std::string::npos);
    EXPECT_TRUE(client.wait_closed(5000));
}

TEST_F(ServerTest, ExpectContinueGets100ThenAnswer) {
    start();
    RawClient client = connect();
    ASSERT_TRUE(
            client.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                        "Expect: 100-continue\r\n\r\n"));
    HttpResponse interim;
    ASSERT_TRUE(client.read_response(interim));
    EXPECT_EQ(interim.status, 100);
    ASSERT_TRUE(client.send("{}{}"));
    HttpResponse final_response;
    ASSERT_TRUE(client.read_response(final_response));
    EXPECT_EQ(final_response.status, 405);
}

TEST_F(ServerTest, HeaderDeadlineAnswers408AndCloses) {
    start(ServerOptions::with_limits(R"({"header_timeout_ms":300})"));
    RawClient client = connect();
    ASSERT_TRUE(client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
    auto started = std::chrono::steady_clock::now();
    HttpResponse response;
    ASSERT_TRUE(client.read_response(response, 3000));
    EXPECT_EQ(response.status, 408);
    EXPECT_NE(response.body.find("REQUEST_TIMEOUT"), std::string::npos);
    EXPECT_GE(std::chrono::steady_clock::now() - started, 250ms);
    EXPECT_TRUE(client.wait_closed(3000));
}

TEST_F(ServerTest, BodyDeadlineAnswers408) {
    start(ServerOptions::with_limits(R"({"body_timeout_ms":300})"));
    RawClient client = connect();
    ASSERT_TRUE(client.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12"));
    HttpResponse response;
    ASSERT_TRUE(client.read_response(response, 3000));
    EXPECT_EQ(response.status, 408);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
    start(ServerOptions::with_limits(R"({"idle_timeout_ms":300})"));
    RawClient client = connect();
    ASSERT_TRUE(client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    HttpResponse response;
    ASSERT_TRUE(client.read_response(response));
    EXPECT_TRUE(client.wait_closed(3000));
}

TEST_F(ServerTest, SlowClientDoesNotStallItsShard) {
    // One shard: the slow client and the fast one share a loop.
    start(ServerOptions::with_shards(1));
    RawClient slow = connect();
    std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    std::thread dribble([&] {
        for (std::size_t i = 0; i < 4 && i < request.size(); ++i) {
            slow.send(request.substr(i, 1));
            std::this_thread::sleep_for(1s);
        }
    });
    std::this_thread::sleep_for(1500ms);
    for (int i = 0; i < 5; ++i) {
        auto started = std::chrono::steady_clock::now();
        HttpResponse response = http_request(server_->port(), "GET", "/healthz");
        auto elapsed = std::chrono::steady_clock::now() - started;
        EXPECT_EQ(response.status, 200);
        EXPECT_LT(elapsed, 100ms);
    }
    dribble.join();
}

TEST_F(ServerTest, ConnectionCapRefusesWith503) {
    start(ServerOptions::with_limits(R"({"connections_per_shard_max":2})", 1));
    RawClient a = connect();
    RawClient b = connect();
    HttpResponse response;
    ASSERT_TRUE(a.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(a.read_response(response));
    ASSERT_TRUE(b.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(b.read_response(response));
    RawClient c = connect();
    ASSERT_TRUE(c.read_response(response));
    EXPECT_EQ(response.status, 503);
    EXPECT_NE(response.body.find("RET_ERR_NOSERVICE"), std::string::npos);
    EXPECT_EQ(response.header("Retry-After"), "1");
    // A freed slot serves again.
    a.close();
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(http_request(server_->port(), "GET", "/healthz").status, 200);
}

TEST_F(ServerTest, MetricsExposition) {
    start();
    http_request(server_->port(), "GET", "/healthz");
    http_request(server_->port(), "GET", "/nope");
    HttpResponse response = http_request(server_->port(), "GET", "/metrics");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    const std::string& text = response.body;
    EXPECT_NE(text.find("# TYPE cashierd_http_requests_total counter"), std::string::npos);
    EXPECT_NE(text.find(R"(cashierd_http_requests_total{route="GET /healthz",status="200"} 1)"),
              std::string::npos)
            << text;
    EXPECT_NE(text.find(R"(cashierd_http_requests_total{route="unmatched",status="404"} 1)"),
              std::string::npos);
    EXPECT_NE(
            text.find(
                    R"(cashierd_http_request_duration_seconds_bucket{route="GET /healthz",le="+Inf"} 1)"),
            std::string::npos);
    EXPECT_NE(text.find(R"(cashierd_connections_open{shard="0"})"), std::string::npos);
    EXPECT_NE(text.find(R"(cashierd_connections_open{shard="1"})"), std::string::npos);
    EXPECT_NE(text.find(R"(cashierd_mailbox_depth{shard="1"} 0)"), std::string::npos);
}

TEST_F(ServerTest, AccessLogIsJsonLinesWithRequestIdAndNoSecrets) {
    start([] {
        ServerOptions o;
        o.access_log = true;
        return o;
    }());
    http_request(server_->port(), "GET", "/healthz", {}, {{"X-Request-Id", "trace-me-42"}});
    std::this_thread::sleep_for(100ms);
    std::string log = server_->stderr_text();
    std::size_t at = log.find("\"request_id\":\"trace-me-42\"");
    ASSERT_NE(at, std::string::npos) << log;
    std::size_t line_start = log.rfind('\n', at) + 1;
    std::string line = log.substr(line_start, log.find('\n', at) - line_start);
    EXPECT_EQ(line.rfind("{\"time\":\"", 0), 0u) << line;
    for (const char* field : {"\"level\":", "\"shard\":", "\"route\":\"/healthz\"",
                              "\"status\":200", "\"duration_us\":", "\"message\":"}) {
        EXPECT_NE(line.find(field), std::string::npos) << field << " in " << line;
    }
    EXPECT_EQ(log.find("test-manager-token-0123456789"), std::string::npos);
    EXPECT_EQ(log.find("test-jwt-secret"), std::string::npos);
}

TEST_F(ServerTest, SigtermFinishesInFlightRequestAndExitsZero) {
    start();
    RawClient client = connect();
    // Half a request in flight when SIGTERM arrives.
    ASSERT_TRUE(client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
    std::this_thread::sleep_for(100ms);
    ASSERT_EQ(::kill(server_->pid(), SIGTERM), 0);
    std::this_thread::sleep_for(200ms);
    // New connections are refused once the listener is closed...
    RawClient late;
    bool connected = late.connect(server_->port());
    if (connected) {
        late.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        HttpResponse ignored;
        EXPECT_FALSE(late.read_response(ignored, 500));
    }
    // ...while the request in flight is finished, with Connection: close.
    ASSERT_TRUE(client.send("\r\n"));
    HttpResponse response;
    ASSERT_TRUE(client.read_response(response));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("Connection"), "close");
    EXPECT_EQ(server_->stop(SIGTERM), 0);
}

TEST_F(ServerTest, SigtermWithIdleConnectionsExitsZeroPromptly) {
    start();
    RawClient idle = connect();
    HttpResponse response;
    ASSERT_TRUE(idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(idle.read_response(response));
    auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(server_->stop(SIGTERM, 5000), 0);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    EXPECT_TRUE(idle.wait_closed(1000));
}

TEST_F(ServerTest, FlagsOverrideTheConfig) {
    ServerOptions options = ServerOptions::with_shards(2);
    std::string data = make_temp_dir() + "/elsewhere";
    options.extra_args = {"--shards", "3", "--data", data};
    start(options);
    HttpResponse response = http_request(server_->port(), "GET", "/readyz");
    EXPECT_EQ(response.body, R"({"status":"ready","shards":3})");
    EXPECT_TRUE(std::filesystem::is_directory(data));
    EXPECT_NE(server_->stdout_text().find("data dir    " + data), std::string::npos)
            << server_->stdout_text();
    remove_tree(std::filesystem::path(data).parent_path().string());
}

TEST_F(ServerTest, BannerNamesTheUrlsToOpen) {
    start();
    std::string banner = server_->stdout_text();
    std::string base = "http://127.0.0.1:" + std::to_string(server_->port());
    EXPECT_NE(banner.find("cashierd listening on " + base), std::string::npos) << banner;
    EXPECT_NE(banner.find(base + "/healthz"), std::string::npos);
    EXPECT_NE(banner.find(base + "/metrics"), std::string::npos);
    EXPECT_NE(banner.find("shards      2"), std::string::npos);
}

TEST(CheckCommand, AcceptsDemoAndRefusesBadConfigNamingTheKey) {
    std::string output;
    EXPECT_EQ(run_cashierd(
                      {"check", "--config", std::string(CASHIERD_SOURCE_DIR) + "/conf/demo.json"},
                      &output),
              0)
            << output;
    std::string dir = make_temp_dir();
    std::string path = dir + "/bad.json";
    FILE* file = std::fopen(path.c_str(), "w");
    std::fputs(R"({"listen":"127.0.0.1:8080","limits":{"body_bytes_max":10}})", file);
    std::fclose(file);
    EXPECT_NE(run_cashierd({"check", "--config", path}, &output), 0);
    EXPECT_NE(output.find("limits.body_bytes_max"), std::string::npos) << output;
    // Keys that do not load and initial data that does not fit together are refused too.
    file = std::fopen(path.c_str(), "w");
    std::fputs(R"({"jwt":{"keys":[{"kid":"k","alg":"ES256","public_key_pem":)"
               R"("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}]}})",
               file);
    std::fclose(file);
    EXPECT_NE(run_cashierd({"check", "--config", path}, &output), 0);
    EXPECT_NE(output.find("jwt.keys"), std::string::npos) << output;
    file = std::fopen(path.c_str(), "w");
    std::fputs(R"({"accounts":[{"login":1,"customer_id":1,"group":"g"}]})", file);
    std::fclose(file);
    EXPECT_NE(run_cashierd({"check", "--config", path}, &output), 0);
    EXPECT_NE(output.find("accounts[0].customer_id"), std::string::npos) << output;
    remove_tree(dir);
}

TEST(ServeCommand, BadConfigExitsNonZero) {
    std::string output;
    EXPECT_NE(run_cashierd({"serve", "--config", "/nonexistent/config.json"}, &output), 0);
    EXPECT_NE(output.find("/nonexistent/config.json"), std::string::npos);
    EXPECT_NE(run_cashierd({"serve", "--shards", "x"}, &output), 0);
    EXPECT_NE(output.find("--shards"), std::string::npos);
}

}  // namespace
}  // namespace cashierd::test
