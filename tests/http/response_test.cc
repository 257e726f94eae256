// Tests for response serialisation: the exact bytes append_response writes (header order,
// optional headers, HEAD), reason phrases, and IMF-fixdate formatting of known instants.
// Thread: test thread only.
#include "http/response.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace cashierd::http {
namespace {

std::string date(std::int64_t unix_seconds) {
    char out[29];
    format_http_date(unix_seconds, out);
    return std::string(out, sizeof out);
}

TEST(ResponseTest, OkJsonWithRequestIdAndDate) {
    std::string out;
    ResponseHead head;
    head.request_id = "req-1";
    head.date = "Tue, 14 Jul 2026 03:33:20 GMT";
    append_response(out, head, R"({"ok":true})");
    EXPECT_EQ(out,
              "HTTP/1.1 200 OK\r\n"
              "Server: cashierd\r\n"
              "Date: Tue, 14 Jul 2026 03:33:20 GMT\r\n"
              "Content-Type: application/json\r\n"
              "Content-Length: 11\r\n"
              "X-Request-Id: req-1\r\n"
              "Cache-Control: no-store\r\n"
              "\r\n"
              R"({"ok":true})");
}

TEST(ResponseTest, CloseAndExtraHeadersComeLastInOrder) {
    std::string out;
    ResponseHead head;
    head.status = 503;
    head.close = true;
    head.date = "Thu, 01 Jan 1970 00:00:00 GMT";
    append_response(out, head, "{}", {{"Retry-After", "1"}, {"Allow", "GET, HEAD"}});
    EXPECT_EQ(out,
              "HTTP/1.1 503 Service Unavailable\r\n"
              "Server: cashierd\r\n"
              "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
              "Content-Type: application/json\r\n"
              "Content-Length: 2\r\n"
              "Cache-Control: no-store\r\n"
              "Retry-After: 1\r\n"
              "Allow: GET, HEAD\r\n"
              "Connection: close\r\n"
              "\r\n"
              "{}");
}

TEST(ResponseTest, HeadKeepsTheBodyLengthButNotTheBody) {
    const std::string body = R"({"status":"ok","shards":4})";
    std::string get;
    std::string head_out;
    ResponseHead head;
    head.request_id = "r";
    append_response(get, head, body);
    append_response(head_out, head, body, {}, true);
    // Identical head, same Content-Length, and nothing after the blank line.
    EXPECT_EQ(get, head_out + body);
    EXPECT_NE(head_out.find("Content-Length: " + std::to_string(body.size()) + "\r\n"),
              std::string::npos);
    EXPECT_EQ(head_out.substr(head_out.size() - 4), "\r\n\r\n");
}

TEST(ResponseTest, OptionalHeadersAreLeftOutWhenEmptyOrOff) {
    std::string out;
    ResponseHead head;
    head.status = 204;
    head.content_type = {};
    head.no_store = false;
    append_response(out, head, "");
    EXPECT_EQ(out,
              "HTTP/1.1 204 No Content\r\n"
              "Server: cashierd\r\n"
              "Content-Length: 0\r\n"
              "\r\n");

    out.clear();
    ResponseHead text;
    text.content_type = "text/plain; version=0.0.4";
    append_response(out, text, "up 1\n");
    EXPECT_EQ(out,
              "HTTP/1.1 200 OK\r\n"
              "Server: cashierd\r\n"
              "Content-Type: text/plain; version=0.0.4\r\n"
              "Content-Length: 5\r\n"
              "Cache-Control: no-store\r\n"
              "\r\n"
              "up 1\n");
}

TEST(ResponseTest, AppendsAfterExistingOutput) {
    // Pipelined responses share one output string: nothing already there may be disturbed.
    std::string out = "HTTP/1.1 100 Continue\r\n\r\n";
    ResponseHead head;
    head.status = 201;
    append_response(out, head, "ab");
    EXPECT_EQ(out.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n", 0), 0u);
    EXPECT_EQ(out.substr(out.size() - 6), "\r\n\r\nab");
}

TEST(ResponseTest, BodyBytesAreCopiedVerbatim) {
    std::string body("a\0b\r\n\xff", 6);
    std::string out;
    append_response(out, ResponseHead{}, body);
    EXPECT_NE(out.find("Content-Length: 6\r\n"), std::string::npos);
    EXPECT_EQ(out.substr(out.size() - 6), body);
}

TEST(ResponseTest, LargeContentLength) {
    std::string body(100'000, 'x');
    std::string out;
    append_response(out, ResponseHead{}, body, {}, true);
    EXPECT_NE(out.find("Content-Length: 100000\r\n"), std::string::npos);
    EXPECT_EQ(out.find('x'), std::string::npos);
}

TEST(ResponseTest, Continue) {
    std::string out = "x";
    append_continue(out);
    EXPECT_EQ(out, "xHTTP/1.1 100 Continue\r\n\r\n");
}

TEST(ResponseTest, ReasonPhrases) {
    const std::vector<std::pair<std::uint16_t, std::string>> expected = {
            {100, "Continue"},
            {200, "OK"},
            {201, "Created"},
            {202, "Accepted"},
            {204, "No Content"},
            {301, "Moved Permanently"},
            {302, "Found"},
            {303, "See Other"},
            {304, "Not Modified"},
            {400, "Bad Request"},
            {401, "Unauthorized"},
            {403, "Forbidden"},
            {404, "Not Found"},
            {405, "Method Not Allowed"},
            {408, "Request Timeout"},
            {409, "Conflict"},
            {413, "Content Too Large"},
            {415, "Unsupported Media Type"},
            {429, "Too Many Requests"},
            {431, "Request Header Fields Too Large"},
            {500, "Internal Server Error"},
            {503, "Service Unavailable"},
    };
    for (const auto& [status, phrase] : expected)
        EXPECT_EQ(reason_phrase(status), phrase) << status;
    for (std::uint16_t status : {0, 99, 203, 418, 422, 502, 504, 999})
        EXPECT_EQ(reason_phrase(status), "Unknown") << status;
}

TEST(ResponseTest, StatusLineUsesTheReasonPhrase) {
    for (std::uint16_t status : {400, 401, 403, 404, 405, 408, 409, 413, 415, 429, 431, 500}) {
        std::string out;
        ResponseHead head;
        head.status = status;
        append_response(out, head, "{}");
        std::string line = "HTTP/1.1 " + std::to_string(status) + " " +
                           std::string(reason_phrase(status)) + "\r\n";
        EXPECT_EQ(out.rfind(line, 0), 0u) << out;
    }
}

TEST(ResponseTest, HttpDatesOfKnownInstants) {
    EXPECT_EQ(date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    // Expected values below come from Python:
    //   email.utils.formatdate(t, usegmt=True)
    // for t = 1784000000, 951782400, 4102444799 and 1779270000.
    EXPECT_EQ(date(1784000000), "Tue, 14 Jul 2026 03:33:20 GMT");
    EXPECT_EQ(date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");   // Leap day.
    EXPECT_EQ(date(4102444799), "Thu, 31 Dec 2099 23:59:59 GMT");  // End of the century.
    EXPECT_EQ(date(1779270000), "Wed, 20 May 2026 09:40:00 GMT");
}

TEST(ResponseTest, HttpDateWritesExactly29Bytes) {
    char out[40];
    std::fill(std::begin(out), std::end(out), '#');
    format_http_date(1784000000, out);
    EXPECT_EQ(std::string(out, 29), "Tue, 14 Jul 2026 03:33:20 GMT");
    EXPECT_EQ(std::string(out + 29, 11), std::string(11, '#'));
}

}  // namespace
}  // namespace cashierd::http
