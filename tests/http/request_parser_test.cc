// Tests for http/request_parser and http/request: the fields of parsed requests, pipelining,
// fragment accumulation (every split point and random splits give the same result as one read),
// bodies streamed through the read buffer, every refusal with its code and detail, phases, and
// pool accounting. The random split test prints its seed; set CASHIERD_TEST_SEED to replay one.
// Thread: the test's own.
#include "http/request_parser.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "http/request.h"

namespace cashierd::http {
namespace {

using reactor::BufferPool;

constexpr std::size_t padding = limits::json_padding_bytes;
constexpr std::size_t head_max = limits::request_head_bytes_max;
constexpr std::size_t body_max = limits::request_body_bytes_max;

// A canonical text of everything a handler can read from a Request, so that two parses can be
// compared whole.
std::string digest(const Request& request) {
    std::string out;
    auto field = [&out](std::string_view name, std::string_view value) {
        out.append(name).append("=[").append(value).append("] ");
    };
    out.append("method=").append(std::to_string(static_cast<int>(request.method))).append(" ");
    field("name", request.method_name);
    field("target", request.target);
    field("path", request.path);
    field("query", request.query);
    out.append("minor=").append(std::to_string(request.version_minor));
    out.append(request.keep_alive ? " keep-alive " : " close ");
    for (std::size_t i = 0; i < request.headers_count; ++i) {
        field(request.headers[i].name, request.headers[i].value);
    }
    field("host", request.host);
    field("content_type", request.content_type);
    field("authorization", request.authorization);
    field("request_id", request.request_id);
    field("body", request.body);
    return out;
}

// Properties every accepted request must have, whatever the input.
void check_request_invariants(const Request& request, const ParserLimits& limits) {
    EXPECT_LE(request.body.size(), limits.body_bytes_max);
    EXPECT_GE(request.body_capacity, request.body.size() + padding);
    ASSERT_NE(request.body.data(), nullptr);
    for (std::size_t i = 0; i < padding; ++i) {
        ASSERT_EQ(request.body.data()[request.body.size() + i], '\0') << "padding byte " << i;
    }
    EXPECT_LE(request.headers_count, limits::headers_count_max);
    EXPECT_FALSE(request.method_name.empty());
    EXPECT_FALSE(request.target.empty());
}

struct Outcome {
    std::vector<std::string> requests;
    ParseState last = ParseState::need_more;
    StatusCode code = StatusCode::ok;
    std::string detail;
    std::size_t bytes_committed = 0;  // When the parser stopped (error) or input ran out.

    bool operator==(const Outcome& other) const {
        return requests == other.requests && last == other.last && code == other.code &&
               detail == other.detail;
    }
};

std::ostream& operator<<(std::ostream& out, const Outcome& outcome) {
    for (const std::string& request : outcome.requests)
        out << "  request: " << request << "\n";
    return out << "  last=" << static_cast<int>(outcome.last)
               << " code=" << status_code_name(outcome.code) << " detail=" << outcome.detail;
}

// Drives `parser` over `input` in reads of the given lengths (a read longer than the free
// space is cut to it, as a socket read would be), answering each request at once.
Outcome feed(RequestParser& parser, std::string_view input, const std::vector<std::size_t>& reads,
             const ParserLimits& limits) {
    Outcome outcome;
    std::size_t offset = 0;
    auto drain = [&]() {
        for (;;) {
            ParseState state = parser.next();
            outcome.last = state;
            if (state == ParseState::need_more) return true;
            if (state == ParseState::error) {
                outcome.code = parser.error().code();
                outcome.detail = std::string(parser.error().detail());
                return false;
            }
            EXPECT_EQ(parser.read_space().size(), 0u) << "no reads while a request is ready";
            check_request_invariants(parser.request(), limits);
            outcome.requests.push_back(digest(parser.request()));
            parser.finish_request();
        }
    };
    for (std::size_t read : reads) {
        std::size_t remaining = std::min(read, input.size() - offset);
        while (remaining > 0) {
            std::span<char> space = parser.read_space();
            if (space.empty()) {
                ADD_FAILURE() << "read_space() empty after need_more at offset " << offset;
                outcome.bytes_committed = offset;
                return outcome;
            }
            std::size_t bytes = std::min(remaining, space.size());
            std::memcpy(space.data(), input.data() + offset, bytes);
            parser.commit_read(bytes);
            offset += bytes;
            remaining -= bytes;
            if (!drain()) {
                outcome.bytes_committed = offset;
                return outcome;
            }
        }
    }
    outcome.bytes_committed = offset;
    return outcome;
}

Outcome parse(std::string_view input, const std::vector<std::size_t>& reads,
              const ParserLimits& limits = {}) {
    BufferPool pool;
    RequestParser parser(limits, pool);
    Outcome outcome = feed(parser, input, reads, limits);
    parser.release_buffers(true);
    EXPECT_EQ(pool.read_buffers_out(), 0u);
    return outcome;
}

Outcome parse_whole(std::string_view input, const ParserLimits& limits = {}) {
    return parse(input, {input.size()}, limits);
}

Outcome parse_bytewise(std::string_view input, const ParserLimits& limits = {}) {
    return parse(input, std::vector<std::size_t>(input.size(), 1), limits);
}

std::string get_request(std::string_view target = "/", std::string_view extra = "") {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: example.com\r\n" +
           std::string(extra) + "\r\n";
}

std::string post_request(std::string_view body, std::string_view extra = "") {
    return "POST /cashier/deposit HTTP/1.1\r\nHost: example.com\r\nContent-Type: "
           "application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n" + std::string(extra) + "\r\n" + std::string(body);
}

std::string chunked_request(const std::vector<std::string>& chunks,
                            std::string_view extension = "") {
    std::string out =
            "POST /upload HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n";
    char size[32];
    for (const std::string& chunk : chunks) {
        std::snprintf(size, sizeof size, "%zx", chunk.size());
        out.append(size).append(extension).append("\r\n").append(chunk).append("\r\n");
    }
    return out.append("0\r\n\r\n");
}

std::string body_of(std::size_t bytes) {
    std::string body(bytes, 'x');
    for (std::size_t i = 0; i < bytes; ++i)
        body[i] = static_cast<char>('a' + i % 26);
    return body;
}

// Parses one request that must be accepted, and runs `check` on it.
template <typename Check>
void expect_single(std::string_view input, Check check) {
    BufferPool pool;
    RequestParser parser(ParserLimits{}, pool);
    std::span<char> space = parser.read_space();
    ASSERT_LE(input.size(), space.size());
    std::memcpy(space.data(), input.data(), input.size());
    parser.commit_read(input.size());
    ASSERT_EQ(parser.next(), ParseState::request_ready) << parser.error().detail();
    check_request_invariants(parser.request(), ParserLimits{});
    check(parser.request());
    parser.finish_request();
    EXPECT_EQ(parser.next(), ParseState::need_more);
}

void expect_refused(std::string_view input, StatusCode code, std::string_view detail) {
    Outcome whole = parse_whole(input);
    EXPECT_EQ(whole.last, ParseState::error) << whole;
    EXPECT_EQ(status_code_name(whole.code), status_code_name(code)) << whole;
    EXPECT_EQ(whole.detail, detail) << whole;
    EXPECT_TRUE(whole.requests.empty()) << whole;
    // The same refusal however the bytes arrive.
    Outcome bytewise = parse_bytewise(input);
    EXPECT_EQ(bytewise, whole) << "byte by byte:\n" << bytewise << "\nwhole:\n" << whole;
}

// ---- Request: lookups ----------------------------------------------------------------------

TEST(EqualsIgnoreCaseTest, ComparesAsciiLettersWithoutCase) {
    EXPECT_TRUE(equals_ignore_case("Content-Type", "content-type"));
    EXPECT_TRUE(equals_ignore_case("HOST", "host"));
    EXPECT_TRUE(equals_ignore_case("", ""));
    EXPECT_FALSE(equals_ignore_case("host", "hosts"));
    EXPECT_FALSE(equals_ignore_case("host", "hast"));
    // '@' and '`' sit next to the letters; case folding must not merge them.
    EXPECT_FALSE(equals_ignore_case("@", "`"));
    EXPECT_FALSE(equals_ignore_case("[", "{"));
}

TEST(RequestTest, QueryParams) {
    struct Case {
        std::string_view query;
        std::string_view name;
        std::string_view value;
        bool present;
    };

    const Case cases[] = {
            {"a=1&b=2", "a", "1", true},    {"a=1&b=2", "b", "2", true},
            {"a=1&b=2", "c", "", false},    {"a=1&a=2", "a", "1", true},  // First occurrence.
            {"flag&b=2", "flag", "", true}, {"flag=&b=2", "flag", "", true},
            {"b=2&flag", "flag", "", true}, {"ab=1", "a", "", false},
            {"a=1=2", "a", "1=2", true},    {"x=%41", "x", "%41", true},  // Not percent-decoded.
            {"&&a=1&", "a", "1", true},     {"", "a", "", false},
            {"A=1", "a", "", false},  // Names are case-sensitive.
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(std::string(c.query) + " / " + std::string(c.name));
        Request request;
        request.query = c.query;
        EXPECT_EQ(request.query_param(c.name), c.value);
        EXPECT_EQ(request.has_query_param(c.name), c.present);
    }
}

TEST(RequestTest, HeaderLookupIsCaseInsensitiveAndReturnsTheFirst) {
    expect_single(get_request("/", "X-Thing: one\r\nx-thing: two\r\n"), [](const Request& r) {
        EXPECT_EQ(r.header("X-THING"), "one");
        EXPECT_EQ(r.header("host"), "example.com");
        EXPECT_EQ(r.header("missing"), "");
    });
}

// ---- Accepted requests ---------------------------------------------------------------------

TEST(RequestParserTest, SimpleGet) {
    expect_single(get_request("/healthz?verbose=1&x", "User-Agent: wrk\r\nAccept: */*\r\n"),
                  [](const Request& r) {
                      EXPECT_EQ(r.method, Method::get);
                      EXPECT_EQ(r.method_name, "GET");
                      EXPECT_EQ(r.target, "/healthz?verbose=1&x");
                      EXPECT_EQ(r.path, "/healthz");
                      EXPECT_EQ(r.query, "verbose=1&x");
                      EXPECT_EQ(r.query_param("verbose"), "1");
                      EXPECT_TRUE(r.has_query_param("x"));
                      EXPECT_EQ(r.version_minor, 1);
                      EXPECT_TRUE(r.keep_alive);
                      ASSERT_EQ(r.headers_count, 3u);
                      EXPECT_EQ(r.headers[0].name, "Host");
                      EXPECT_EQ(r.headers[0].value, "example.com");
                      EXPECT_EQ(r.headers[1].name, "User-Agent");
                      EXPECT_EQ(r.headers[2].value, "*/*");
                      EXPECT_EQ(r.host, "example.com");
                      EXPECT_EQ(r.content_type, "");
                      EXPECT_EQ(r.body, "");
                      EXPECT_GE(r.body_capacity, padding);
                  });
}

TEST(RequestParserTest, PostWithBody) {
    const std::string body = R"({"amount":"10.00","currency":"USD"})";
    expect_single(post_request(body, "Authorization: Bearer abc.def\r\nX-Request-Id: r-1\r\n"),
                  [&body](const Request& r) {
                      EXPECT_EQ(r.method, Method::post);
                      EXPECT_EQ(r.path, "/cashier/deposit");
                      EXPECT_EQ(r.query, "");
                      EXPECT_EQ(r.content_type, "application/json");
                      EXPECT_EQ(r.authorization, "Bearer abc.def");
                      EXPECT_EQ(r.request_id, "r-1");
                      EXPECT_EQ(r.body, body);
                      EXPECT_GE(r.body_capacity, body.size() + padding);
                  });
}

TEST(RequestParserTest, MethodsMapToTheEnum) {
    struct Case {
        std::string_view name;
        Method method;
    };

    const Case cases[] = {
            {"GET", Method::get},         {"HEAD", Method::head},      {"POST", Method::post},
            {"PUT", Method::put},         {"DELETE", Method::delete_}, {"PATCH", Method::patch},
            {"OPTIONS", Method::options}, {"TRACE", Method::other},    {"PROPFIND", Method::other},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        expect_single(std::string(c.name) + " /x HTTP/1.1\r\nHost: h\r\n\r\n",
                      [&c](const Request& r) {
                          EXPECT_EQ(r.method, c.method);
                          EXPECT_EQ(r.method_name, c.name);
                      });
    }
}

TEST(RequestParserTest, HeaderValuesAreTrimmedOfOws) {
    expect_single(
            get_request("/", "X-Spaces:   a b  \r\nX-Tabs:\t\tc\t\r\nX-Empty:\r\nX-Blank:   \r\n"),
            [](const Request& r) {
                EXPECT_EQ(r.header("X-Spaces"), "a b");
                EXPECT_EQ(r.header("X-Tabs"), "c");
                EXPECT_EQ(r.header("X-Empty"), "");
                EXPECT_EQ(r.header("X-Blank"), "");
                EXPECT_EQ(r.headers_count, 5u);
            });
}

TEST(RequestParserTest, KeepAliveFollowsVersionAndConnection) {
    struct Case {
        std::string_view input;
        std::uint8_t minor;
        bool keep_alive;
    };

    const Case cases[] = {
            {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", 1, true},
            {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 1, false},
            {"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n", 1, false},
            {"GET / HTTP/1.0\r\nHost: h\r\n\r\n", 0, false},
            {"GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n", 0, true},
            {"GET / HTTP/1.0\r\nHost: h\r\nConnection: Keep-Alive\r\n\r\n", 0, true},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.input);
        expect_single(c.input, [&c](const Request& r) {
            EXPECT_EQ(r.version_minor, c.minor);
            EXPECT_EQ(r.keep_alive, c.keep_alive);
        });
    }
}

TEST(RequestParserTest, EmptyBodyPointsAtZeroedPadding) {
    for (std::string_view input :
         {std::string_view("GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
          std::string_view("POST / HTTP/1.1\r\nHost: h\r\n"
                           "Content-Length: 0\r\n\r\n"),
          std::string_view("POST / HTTP/1.1\r\nHost: h\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")}) {
        SCOPED_TRACE(input);
        expect_single(input, [](const Request& r) {
            EXPECT_TRUE(r.body.empty());
            ASSERT_NE(r.body.data(), nullptr);
            EXPECT_GE(r.body_capacity, padding);
        });
    }
}

TEST(RequestParserTest, TrailersAreParsedAndIgnored) {
    std::string input =
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nHost: other\r\n\r\n";
    expect_single(input, [](const Request& r) {
        EXPECT_EQ(r.body, "hello");
        EXPECT_EQ(r.headers_count, 2u);
        EXPECT_EQ(r.host, "h");
        EXPECT_EQ(r.header("X-Checksum"), "");
    });
    EXPECT_EQ(parse_bytewise(input), parse_whole(input));
}

TEST(RequestParserTest, OversizedTrailersAreRefused) {
    std::string input =
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n0\r\n";
    for (int i = 0; i < 200; ++i)
        input += "X-Trailer-" + std::to_string(i) + ": " + body_of(60) + "\r\n";
    input += "\r\n";
    expect_refused(input, StatusCode::headers_too_large, "trailer_bytes_max");
}

TEST(RequestParserTest, BodyBytesThatLookLikeAFoldAreNotObsFold) {
    const std::string body = "line one\r\n folded?\r\n\tand tab\n";
    expect_single(post_request(body), [&body](const Request& r) { EXPECT_EQ(r.body, body); });
    expect_single(chunked_request({body, body}),
                  [&body](const Request& r) { EXPECT_EQ(r.body, body + body); });
}

TEST(RequestParserTest, SixtyFourHeadersAcceptedSixtyFiveRefused) {
    std::string extra;
    for (std::size_t i = 1; i < limits::headers_count_max; ++i) {
        extra += "X-H" + std::to_string(i) + ": v\r\n";
    }
    expect_single(get_request("/", extra), [](const Request& r) {
        EXPECT_EQ(r.headers_count, limits::headers_count_max);
        EXPECT_EQ(r.headers[limits::headers_count_max - 1].name, "X-H63");
    });
    expect_refused(get_request("/", extra + "X-One-Too-Many: v\r\n"), StatusCode::headers_too_large,
                   "headers_count_max");
}

// ---- Pipelining ----------------------------------------------------------------------------

TEST(RequestParserTest, ThreePipelinedRequestsAnsweredInOrder) {
    const std::string input =
            get_request("/one") + post_request("{\"n\":2}") + chunked_request({"thr", "ee"});
    BufferPool pool;
    RequestParser parser(ParserLimits{}, pool);
    std::span<char> space = parser.read_space();
    std::memcpy(space.data(), input.data(), input.size());
    parser.commit_read(input.size());

    ASSERT_EQ(parser.next(), ParseState::request_ready);
    EXPECT_EQ(parser.request().path, "/one");
    EXPECT_EQ(parser.buffered_bytes(), input.size() - get_request("/one").size());
    // A ready request holds its place: calling next() again does not skip it.
    EXPECT_EQ(parser.next(), ParseState::request_ready);
    EXPECT_EQ(parser.request().path, "/one");
    EXPECT_TRUE(parser.read_space().empty());
    parser.finish_request();

    ASSERT_EQ(parser.next(), ParseState::request_ready);
    EXPECT_EQ(parser.request().path, "/cashier/deposit");
    EXPECT_EQ(parser.request().body, "{\"n\":2}");
    parser.finish_request();

    ASSERT_EQ(parser.next(), ParseState::request_ready);
    EXPECT_EQ(parser.request().path, "/upload");
    EXPECT_EQ(parser.request().body, "three");
    parser.finish_request();

    EXPECT_EQ(parser.next(), ParseState::need_more);
    EXPECT_EQ(parser.buffered_bytes(), 0u);
    EXPECT_EQ(parser.phase(), ParsePhase::idle);
    EXPECT_EQ(parser.read_space().size(), BufferPool::read_buffer_bytes);
}

TEST(RequestParserTest, CrlfBetweenPipelinedRequestsIsSkipped) {
    const std::string input =
            "\r\n\r\n" + get_request("/a") + "\r\n\n" + get_request("/b") + "\r\n";
    Outcome outcome = parse_whole(input);
    ASSERT_EQ(outcome.requests.size(), 2u) << outcome;
    EXPECT_EQ(outcome.last, ParseState::need_more);
    EXPECT_EQ(parse_bytewise(input), outcome);
}

TEST(RequestParserTest, CrlfFloodDoesNotFillTheBuffer) {
    const std::string input = std::string(40 * 1024, '\n') + get_request("/after");
    Outcome outcome = parse(input, std::vector<std::size_t>(input.size() / 4096 + 1, 4096));
    ASSERT_EQ(outcome.requests.size(), 1u) << outcome;
    EXPECT_NE(outcome.requests[0].find("/after"), std::string::npos);
}

TEST(RequestParserTest, DataAfterConnectionCloseIsRefused) {
    Outcome outcome =
            parse_whole(get_request("/", "Connection: close\r\n") + get_request("/smuggled"));
    ASSERT_EQ(outcome.requests.size(), 1u) << outcome;
    EXPECT_EQ(outcome.last, ParseState::error);
    EXPECT_EQ(outcome.detail, "data_after_close");
}

// ---- Fragment accumulation -----------------------------------------------------------------

std::vector<std::string> split_corpus() {
    std::string extensions = chunked_request({"ab", body_of(300), "z"}, ";name=\"va lue\"");
    return {
            get_request("/healthz?full=1",
                        "User-Agent: wrk/4.2\r\nAccept: */*\r\nX-Request-Id: abc-123\r\n"),
            post_request(R"({"amount":"10.00"})",
                         "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig\r\n"),
            chunked_request({"a", "bc", body_of(100), "d"}),
            extensions,
            get_request("/a") + post_request("xyz") + "\r\n" + chunked_request({"p", "q"}),
            "GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            "3\r\nabc\r\n0\r\nTrailer-A: 1\r\n\r\n",
            post_request("x", "Expect: 100-continue\r\n"),
            // Refusals must not depend on where reads end either.
            get_request("/", "X-Fold: a\r\n b\r\n"),
            get_request("/", "Host: again\r\n"),
            "GET / HTTP/1.1\r\n\r\n",
            post_request("x", "Content-Length: 1\r\n"),
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            "1;" + std::string(200, 'e') +
                    "\r\nx\r\n0\r\n\r\n",
            get_request("/") + "GET / HTTP/9.9\r\n\r\n",
            get_request("/", "Content-Length: 99999999\r\n"),
            "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(head_max, 'b') + "\r\n\r\n",
    };
}

TEST(RequestParserSplitTest, EverySplitPointGivesTheSameResult) {
    for (const std::string& input : split_corpus()) {
        SCOPED_TRACE(input.substr(0, 60));
        Outcome whole = parse_whole(input);
        ASSERT_EQ(parse_bytewise(input), whole);
        for (std::size_t cut = 1; cut < input.size(); ++cut) {
            Outcome split = parse(input, {cut, input.size() - cut});
            ASSERT_EQ(split, whole) << "cut at " << cut << "\nsplit:\n"
                                    << split << "\nwhole:\n"
                                    << whole;
        }
    }
}

std::uint64_t test_seed() {
    if (const char* text = std::getenv("CASHIERD_TEST_SEED")) {
        return std::strtoull(text, nullptr, 10);
    }
    return std::random_device{}();
}

TEST(RequestParserSplitTest, RandomSplitsGiveTheSameResult) {
    const std::uint64_t seed = test_seed();
    std::cout << "RandomSplitsGiveTheSameResult seed: " << seed
              << " (replay with CASHIERD_TEST_SEED=" << seed << ")\n";
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 random(seed);
    std::vector<std::string> inputs = split_corpus();
    // Everything at once, pipelined, including the refusal at the end.
    std::string all;
    for (std::size_t i = 0; i < 8; ++i)
        all += inputs[i];
    inputs.push_back(all);
    for (const std::string& input : inputs) {
        SCOPED_TRACE(input.substr(0, 60));
        Outcome whole = parse_whole(input);
        for (int round = 0; round < 200; ++round) {
            std::vector<std::size_t> reads;
            std::size_t total = 0;
            std::uniform_int_distribution<std::size_t> length(1, 1 + random() % 400);
            while (total < input.size()) {
                reads.push_back(length(random));
                total += reads.back();
            }
            Outcome split = parse(input, reads);
            ASSERT_EQ(split, whole) << "round " << round;
        }
    }
}

// Found by fuzz/request_parser_fuzz (corpus: regress_bare_lf_then_fold_split). llhttp refuses a
// bare LF in a header value with an error position just past the LF, before it has seen the
// byte after it; whether that byte was a fold must not decide the answer, or the answer would
// depend on where a read ended.
TEST(RequestParserSplitTest, BareLfBeforeAFoldGivesOneAnswerForEverySplit) {
    const std::string input = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\n 3\r\n\r\nabc";
    Outcome whole = parse_whole(input);
    EXPECT_EQ(whole.detail, "invalid_header") << whole;
    for (std::size_t cut = 1; cut < input.size(); ++cut) {
        ASSERT_EQ(parse(input, {cut, input.size() - cut}), whole) << "cut at " << cut;
    }
}

// Found by fuzz/request_parser_fuzz (corpus: regress_trailer_limit_split). A limit on a span
// (a trailer, a chunk extension, the header count) checked on a piece of the span refused
// some splits before llhttp met the syntax error further on in the same span, which whole
// reads reported instead. Limits are now checked when the span completes.
TEST(RequestParserSplitTest, SpanLimitsGiveOneAnswerForEverySplit) {
    const ParserLimits small{256, 512};
    std::string trailer =
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            "3\r\nabc\r\n0\r\nX-Trailer: " +
            std::string(300, 't') + "\x01\r\n\r\n";
    std::string extension =
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            "3;" +
            std::string(200, 'n') + "\x01\r\nabc\r\n0\r\n\r\n";
    std::string extra;
    // append() rather than operator+: g++ 12 -O3 warns -Wrestrict on the temporary (a false
    // positive, GCC bug 105329).
    for (std::size_t i = 1; i < limits::headers_count_max; ++i) {
        extra.append("X").append(std::to_string(i)).append(":\r\n");
    }
    std::string header_count = get_request("/", extra + "X-Bad\x01: v\r\n");

    struct Case {
        std::string input;
        ParserLimits limits;
        std::string_view detail;
    };

    const Case cases[] = {
            {trailer, small, "invalid_header"},
            {extension, ParserLimits{}, "malformed_request"},
            {header_count, ParserLimits{}, "invalid_header"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.input.substr(0, 80));
        Outcome whole = parse_whole(c.input, c.limits);
        EXPECT_EQ(whole.detail, c.detail) << whole;
        for (std::size_t cut = 1; cut < c.input.size(); ++cut) {
            ASSERT_EQ(parse(c.input, {cut, c.input.size() - cut}, c.limits), whole)
                    << "cut at " << cut;
        }
    }
}

// ---- Bodies --------------------------------------------------------------------------------

TEST(RequestParserTest, ChunkedBodyWithManyChunks) {
    std::vector<std::string> chunks;
    std::string expected;
    for (std::size_t i = 0; i < 500; ++i) {
        chunks.push_back(body_of(1 + i % 37));
        expected += chunks.back();
    }
    Outcome outcome = parse_whole(chunked_request(chunks));
    ASSERT_EQ(outcome.requests.size(), 1u) << outcome;
    EXPECT_NE(outcome.requests[0].find("body=[" + expected + "]"), std::string::npos);
}

TEST(RequestParserTest, ShortChunkExtensionsAccepted) {
    for (std::string_view extension : {";a", ";a=b", ";name=\"quoted value\"", ";a;b;c"}) {
        SCOPED_TRACE(extension);
        expect_single(chunked_request({"abc", "de"}, extension),
                      [](const Request& r) { EXPECT_EQ(r.body, "abcde"); });
    }
    // Exactly at the limit: one ';' plus a name filling the rest.
    std::string at_limit = ";" + std::string(limits::chunk_extension_bytes_max - 1, 'n');
    expect_single(chunked_request({"abc"}, at_limit),
                  [](const Request& r) { EXPECT_EQ(r.body, "abc"); });
}

TEST(RequestParserTest, LongChunkExtensionsRefused) {
    const std::string name_over = ";" + std::string(limits::chunk_extension_bytes_max, 'n');
    const std::string value_over = ";n=" + std::string(limits::chunk_extension_bytes_max, 'v');
    std::string many_short;
    while (many_short.size() <= limits::chunk_extension_bytes_max)
        many_short += ";a";
    std::string many_empty;
    while (many_empty.size() <= limits::chunk_extension_bytes_max)
        many_empty += ";a=\"\"";
    for (const std::string& extension : {name_over, value_over, many_short, many_empty}) {
        SCOPED_TRACE(extension);
        expect_refused(chunked_request({"abc"}, extension), StatusCode::bad_request,
                       "chunk_extension_too_long");
    }
    // On the last chunk too.
    expect_refused(
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            "3\r\nabc\r\n0" +
                    value_over + "\r\n\r\n",
            StatusCode::bad_request, "chunk_extension_too_long");
}

TEST(RequestParserTest, ChunkExtensionLimitIsPerChunk) {
    const std::string extension = ";" + std::string(limits::chunk_extension_bytes_max - 1, 'n');
    std::vector<std::string> chunks(20, "xy");
    Outcome outcome = parse_whole(chunked_request(chunks, extension));
    EXPECT_EQ(outcome.requests.size(), 1u) << outcome;
}

TEST(RequestParserTest, BodyExactlyAtLimitStreamsThroughTheBuffer) {
    const std::string body = body_of(body_max);
    static_assert(body_max > BufferPool::read_buffer_bytes, "the body must not fit the buffer");
    std::vector<std::string> chunks;
    for (std::size_t offset = 0; offset < body.size(); offset += 1000) {
        chunks.push_back(body.substr(offset, 1000));
    }
    for (const std::string& input : {post_request(body), chunked_request(chunks)}) {
        SCOPED_TRACE(input.substr(0, 100));
        for (std::size_t read : {std::size_t{1} << 20, std::size_t{4096}, std::size_t{1}}) {
            SCOPED_TRACE(read);
            Outcome outcome = parse(input, std::vector<std::size_t>(input.size() / read + 1, read));
            ASSERT_EQ(outcome.requests.size(), 1u) << outcome.detail;
            EXPECT_EQ(outcome.last, ParseState::need_more);
            EXPECT_NE(outcome.requests[0].find("body=[" + body + "]"), std::string::npos);
        }
    }
}

TEST(RequestParserTest, BodyOverLimitByContentLengthRefusedAtTheHead) {
    const std::string head =
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body_max + 1) +
            "\r\n\r\n";
    // No body byte needs to arrive for the refusal.
    expect_refused(head, StatusCode::payload_too_large, "body_bytes_max");
    expect_refused(head + "xyz", StatusCode::payload_too_large, "body_bytes_max");
    // Also with a lowered limit from config.
    Outcome lowered = parse_whole(post_request(body_of(101)), ParserLimits{head_max, 100});
    EXPECT_EQ(lowered.detail, "body_bytes_max");
    EXPECT_EQ(parse_whole(post_request(body_of(100)), ParserLimits{head_max, 100}).requests.size(),
              1u);
}

TEST(RequestParserTest, BodyOverLimitByChunksRefusedWhileStreaming) {
    std::vector<std::string> exact(64, body_of(1024));
    EXPECT_EQ(parse_whole(chunked_request(exact)).requests.size(), 1u);
    std::vector<std::string> over = exact;
    over.push_back("!");
    expect_refused(chunked_request(over), StatusCode::payload_too_large, "body_bytes_max");
}

TEST(RequestParserTest, MebibyteBodyIsRefusedWithoutBufferingIt) {
    const std::size_t mebibyte = 1024 * 1024;
    std::vector<std::string> chunks(mebibyte / 4096, body_of(4096));
    const std::string chunked = chunked_request(chunks);
    const std::string by_length = post_request(body_of(mebibyte));
    for (const std::string& input : {chunked, by_length}) {
        Outcome outcome = parse(input, std::vector<std::size_t>(input.size() / 16384 + 1, 16384));
        EXPECT_EQ(outcome.last, ParseState::error);
        EXPECT_EQ(outcome.code, StatusCode::payload_too_large);
        // Refused within one read buffer past the limit, not at the end of the stream.
        EXPECT_LE(outcome.bytes_committed, body_max + 2 * BufferPool::read_buffer_bytes) << outcome;
    }
}

TEST(RequestParserTest, ExpectContinueIsReportedOnceBeforeTheBody) {
    const std::string body = "{\"a\":1}";
    const std::string input = post_request(body, "Expect: 100-Continue\r\n");
    const std::size_t head_size = input.size() - body.size();
    BufferPool pool;
    RequestParser parser(ParserLimits{}, pool);
    std::span<char> space = parser.read_space();
    std::memcpy(space.data(), input.data(), head_size);
    parser.commit_read(head_size);
    EXPECT_FALSE(parser.take_expect_continue());
    ASSERT_EQ(parser.next(), ParseState::need_more);
    EXPECT_EQ(parser.phase(), ParsePhase::body);
    EXPECT_TRUE(parser.take_expect_continue());
    EXPECT_FALSE(parser.take_expect_continue());
    space = parser.read_space();
    std::memcpy(space.data(), input.data() + head_size, body.size());
    parser.commit_read(body.size());
    ASSERT_EQ(parser.next(), ParseState::request_ready);
    EXPECT_EQ(parser.request().body, body);
    EXPECT_FALSE(parser.take_expect_continue());
}

TEST(RequestParserTest, ExpectContinueNotReportedOnceTheBodyStartedOrWhenRefused) {
    const std::string input = post_request("{\"a\":1}", "Expect: 100-continue\r\n");
    {
        BufferPool pool;
        RequestParser parser(ParserLimits{}, pool);
        std::span<char> space = parser.read_space();
        std::memcpy(space.data(), input.data(), input.size() - 2);
        parser.commit_read(input.size() - 2);
        ASSERT_EQ(parser.next(), ParseState::need_more);
        EXPECT_FALSE(parser.take_expect_continue());
    }
    {
        BufferPool pool;
        RequestParser parser(ParserLimits{}, pool);
        const std::string too_large =
                "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                "Content-Length: 70000\r\n\r\n";
        std::span<char> space = parser.read_space();
        std::memcpy(space.data(), too_large.data(), too_large.size());
        parser.commit_read(too_large.size());
        ASSERT_EQ(parser.next(), ParseState::error);
        EXPECT_EQ(parser.error().code(), StatusCode::payload_too_large);
        EXPECT_FALSE(parser.take_expect_continue());
    }
    {
        BufferPool pool;
        RequestParser parser(ParserLimits{}, pool);
        const std::string other =
                "POST / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n"
                "Content-Length: 5\r\n\r\n";
        std::span<char> space = parser.read_space();
        std::memcpy(space.data(), other.data(), other.size());
        parser.commit_read(other.size());
        ASSERT_EQ(parser.next(), ParseState::need_more);
        EXPECT_FALSE(parser.take_expect_continue());
    }
}

// ---- Head size -----------------------------------------------------------------------------

// A GET whose head is exactly `bytes` long, padded by one header.
std::string head_of_size(std::size_t bytes) {
    const std::string prefix = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ";
    const std::string suffix = "\r\n\r\n";
    return prefix + std::string(bytes - prefix.size() - suffix.size(), 'p') + suffix;
}

TEST(RequestParserTest, HeadExactlyAtLimitAccepted) {
    const std::string at_limit = head_of_size(head_max);
    ASSERT_EQ(at_limit.size(), head_max);
    Outcome outcome = parse_whole(at_limit + get_request("/next"));
    EXPECT_EQ(outcome.requests.size(), 2u) << outcome;
    EXPECT_EQ(parse_bytewise(at_limit).requests.size(), 1u);
    // A lowered limit from config applies the same way.
    EXPECT_EQ(parse_whole(head_of_size(500), ParserLimits{500, body_max}).requests.size(), 1u);
    EXPECT_EQ(parse_whole(head_of_size(501), ParserLimits{500, body_max}).detail, "head_bytes_max");
}

TEST(RequestParserTest, HeadOneOverLimitRefused) {
    expect_refused(head_of_size(head_max + 1), StatusCode::headers_too_large, "head_bytes_max");
}

TEST(RequestParserTest, TwentyKibOfHeadersRefusedAsSoonAsTheLimitIsPassed) {
    std::string input = "GET / HTTP/1.1\r\nHost: h\r\n";
    while (input.size() < 20 * 1024)
        input += "X-Filler: " + std::string(1000, 'f') + "\r\n";
    input += "\r\n";
    expect_refused(input, StatusCode::headers_too_large, "head_bytes_max");
    // Refused once head_bytes_max + 1 bytes of an unfinished head are buffered.
    BufferPool pool;
    RequestParser parser(ParserLimits{}, pool);
    std::span<char> space = parser.read_space();
    std::memcpy(space.data(), input.data(), head_max);
    parser.commit_read(head_max);
    EXPECT_EQ(parser.next(), ParseState::need_more);
    EXPECT_EQ(parser.phase(), ParsePhase::head);
    space = parser.read_space();
    ASSERT_FALSE(space.empty());
    space[0] = input[head_max];
    parser.commit_read(1);
    EXPECT_EQ(parser.next(), ParseState::error);
    EXPECT_EQ(parser.error().code(), StatusCode::headers_too_large);
    EXPECT_TRUE(parser.read_space().empty());
}

TEST(RequestParserTest, LongTargetRefusedAsHeadTooLarge) {
    expect_refused(get_request("/" + std::string(head_max, 'a')), StatusCode::headers_too_large,
                   "head_bytes_max");
}

// ---- Refusals ------------------------------------------------------------------------------

struct RefusalCase {
    std::string name;
    std::string input;
    StatusCode code;
    std::string_view detail;
};

std::vector<RefusalCase> refusal_cases() {
    const std::string te = "Transfer-Encoding: chunked\r\n";
    return {
            {"obs_fold", get_request("/", "X-Fold: first\r\n second\r\n"), StatusCode::bad_request,
             "obs_fold"},
            {"obs_fold_tab", get_request("/", "X-Fold: first\r\n\tsecond\r\n"),
             StatusCode::bad_request, "obs_fold"},
            {"obs_fold_empty_first_line", get_request("/", "X-Fold:\r\n value\r\n"),
             StatusCode::bad_request, "obs_fold"},
            // llhttp itself takes this as chunked: a smuggling vector if let through.
            {"obs_fold_transfer_encoding",
             "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
             StatusCode::bad_request, "obs_fold"},
            {"obs_fold_transfer_encoding_tail",
             "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n , identity\r\n\r\n"
             "0\r\n\r\n",
             StatusCode::bad_request, "obs_fold"},
            {"obs_fold_transfer_encoding_gzip",
             "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n chunked\r\n\r\n0\r\n\r\n",
             StatusCode::bad_request, "obs_fold"},
            {"obs_fold_host", "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", StatusCode::bad_request,
             "obs_fold"},
            {"host_missing", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", StatusCode::bad_request,
             "host_missing"},
            {"host_missing_http10", "GET / HTTP/1.0\r\n\r\n", StatusCode::bad_request,
             "host_missing"},
            {"host_duplicate", get_request("/", "Host: example.com\r\n"), StatusCode::bad_request,
             "host_duplicate"},
            {"host_duplicate_case", get_request("/", "hOsT: other\r\n"), StatusCode::bad_request,
             "host_duplicate"},
            {"content_length_duplicate_equal",
             "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
             StatusCode::bad_request, "content_length_duplicate"},
            {"content_length_duplicate_different",
             "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\ncontent-length: 4\r\n\r\nabcd",
             StatusCode::bad_request, "content_length_duplicate"},
            {"content_length_then_transfer_encoding",
             "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n" + te + "\r\n0\r\n\r\n",
             StatusCode::bad_request, "content_length_with_transfer_encoding"},
            {"transfer_encoding_then_content_length",
             "POST / HTTP/1.1\r\nHost: h\r\n" + te + "Content-Length: 3\r\n\r\n0\r\n\r\n",
             StatusCode::bad_request, "content_length_with_transfer_encoding"},
            {"transfer_encoding_twice",
             "POST / HTTP/1.1\r\nHost: h\r\n" + te + te + "\r\n0\r\n\r\n", StatusCode::bad_request,
             "transfer_encoding_unsupported"},
            {"transfer_encoding_gzip",
             "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
             StatusCode::bad_request, "transfer_encoding_unsupported"},
            {"transfer_encoding_gzip_chunked",
             "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
             StatusCode::bad_request, "transfer_encoding_unsupported"},
            {"transfer_encoding_chunked_gzip",
             "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
             StatusCode::bad_request, "transfer_encoding_unsupported"},
            {"transfer_encoding_chunked_chunked",
             "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
             StatusCode::bad_request, "transfer_encoding_unsupported"},
            {"connect", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
             StatusCode::bad_request, "upgrade_unsupported"},
            {"upgrade_websocket", get_request("/", "Upgrade: websocket\r\nConnection: Upgrade\r\n"),
             StatusCode::bad_request, "upgrade_unsupported"},
            {"upgrade_h2c",
             get_request("/",
                         "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                         "HTTP2-Settings: AAMAAABkAAQAAP__\r\n"),
             StatusCode::bad_request, "upgrade_unsupported"},
            {"http2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", StatusCode::bad_request,
             "http2_unsupported"},
            {"http2_version", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", StatusCode::bad_request,
             "version_unsupported"},
            {"http09_version", "GET / HTTP/0.9\r\nHost: h\r\n\r\n", StatusCode::bad_request,
             "version_unsupported"},
            {"http09_simple_request", "GET /\r\n\r\n", StatusCode::bad_request,
             "version_unsupported"},
            {"version_9_9", "GET / HTTP/9.9\r\nHost: h\r\n\r\n", StatusCode::bad_request,
             "invalid_version"},
            {"garbage_bytes", std::string("\x00\x01", 2), StatusCode::bad_request,
             "invalid_method"},
            {"garbage_hello", "hello\r\n\r\n", StatusCode::bad_request, "invalid_method"},
            {"lowercase_method", "get / HTTP/1.1\r\nHost: h\r\n\r\n", StatusCode::bad_request,
             "invalid_method"},
            {"bare_lf_everywhere", "GET / HTTP/1.1\nHost: h\n\n", StatusCode::bad_request,
             "invalid_header"},
            {"bare_lf_after_request_line", "GET / HTTP/1.1\nHost: h\r\n\r\n",
             StatusCode::bad_request, "bare_lf"},
            {"bare_cr", "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", StatusCode::bad_request,
             "malformed_request"},
            {"empty_header_name", get_request("/", ": value\r\n"), StatusCode::bad_request,
             "invalid_header"},
            {"space_before_colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", StatusCode::bad_request,
             "invalid_header"},
            {"control_in_value", get_request("/", "X: a\x01z\r\n"), StatusCode::bad_request,
             "invalid_header"},
            {"space_in_target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", StatusCode::bad_request,
             "malformed_request"},
            {"content_length_not_a_number",
             "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n", StatusCode::bad_request,
             "invalid_content_length"},
            {"content_length_negative", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
             StatusCode::bad_request, "invalid_content_length"},
            {"content_length_overflow",
             "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n",
             StatusCode::bad_request, "invalid_content_length"},
            {"chunk_size_not_hex",
             "POST / HTTP/1.1\r\nHost: h\r\n" + te + "\r\nzz\r\nabc\r\n0\r\n\r\n",
             StatusCode::bad_request, "invalid_chunk"},
            {"chunk_missing_crlf",
             "POST / HTTP/1.1\r\nHost: h\r\n" + te + "\r\n3\r\nabcd\r\n0\r\n\r\n",
             StatusCode::bad_request, "malformed_request"},
    };
}

TEST(RequestParserRefusalTest, EachRefusalHasItsCodeAndDetail) {
    for (const RefusalCase& c : refusal_cases()) {
        SCOPED_TRACE(c.name);
        expect_refused(c.input, c.code, c.detail);
    }
}

TEST(RequestParserRefusalTest, RefusalAfterAGoodRequestKeepsTheGoodOne) {
    for (const RefusalCase& c : refusal_cases()) {
        SCOPED_TRACE(c.name);
        Outcome outcome = parse_whole(get_request("/first") + c.input);
        ASSERT_EQ(outcome.requests.size(), 1u) << outcome;
        EXPECT_EQ(outcome.last, ParseState::error);
        EXPECT_EQ(outcome.detail, c.detail);
    }
}

TEST(RequestParserRefusalTest, ErrorStateIsSticky) {
    BufferPool pool;
    RequestParser parser(ParserLimits{}, pool);
    const std::string input = "hello\r\n\r\n";
    std::span<char> space = parser.read_space();
    std::memcpy(space.data(), input.data(), input.size());
    parser.commit_read(input.size());
    ASSERT_EQ(parser.next(), ParseState::error);
    EXPECT_EQ(parser.error().name(), "BAD_REQUEST");
    EXPECT_TRUE(parser.read_space().empty());
    EXPECT_EQ(parser.next(), ParseState::error);
    EXPECT_EQ(parser.error().detail(), "invalid_method");
    parser.release_buffers(true);
    EXPECT_EQ(pool.read_buffers_out(), 0u);
    EXPECT_EQ(parser.next(), ParseState::error);
}

// ---- Phases and buffers --------------------------------------------------------------------

TEST(RequestParserTest, PhasesFollowTheMessage) {
    BufferPool pool;
    RequestParser parser(ParserLimits{}, pool);
    auto write = [&parser](std::string_view bytes) {
        std::span<char> space = parser.read_space();
        ASSERT_GE(space.size(), bytes.size());
        std::memcpy(space.data(), bytes.data(), bytes.size());
        parser.commit_read(bytes.size());
    };
    EXPECT_EQ(parser.phase(), ParsePhase::idle);
    write("\r\n");
    EXPECT_EQ(parser.next(), ParseState::need_more);
    EXPECT_EQ(parser.phase(), ParsePhase::idle);
    write("POST / HTTP/1.1\r\nHo");
    EXPECT_EQ(parser.next(), ParseState::need_more);
    EXPECT_EQ(parser.phase(), ParsePhase::head);
    write("st: h\r\nContent-Length: 4\r\n\r\nab");
    EXPECT_EQ(parser.next(), ParseState::need_more);
    EXPECT_EQ(parser.phase(), ParsePhase::body);
    write("cd\r\nGE");
    ASSERT_EQ(parser.next(), ParseState::request_ready);
    EXPECT_EQ(parser.request().body, "abcd");
    // The pipelined bytes after it are the start of another head.
    EXPECT_EQ(parser.phase(), ParsePhase::head);
    EXPECT_EQ(parser.buffered_bytes(), 4u);
    parser.finish_request();
    EXPECT_EQ(parser.phase(), ParsePhase::head);
    EXPECT_EQ(parser.next(), ParseState::need_more);
    EXPECT_EQ(parser.phase(), ParsePhase::head);
    write("T / HTTP/1.1\r\nHost: h\r\n\r\n\r\n");
    ASSERT_EQ(parser.next(), ParseState::request_ready);
    EXPECT_EQ(parser.request().method, Method::get);
    EXPECT_EQ(parser.phase(), ParsePhase::idle);  // Only CRLF follows.
    parser.finish_request();
    EXPECT_EQ(parser.phase(), ParsePhase::idle);
    EXPECT_EQ(parser.next(), ParseState::need_more);
    EXPECT_EQ(parser.buffered_bytes(), 0u);
}

TEST(RequestParserTest, ReleaseBuffersReturnsThemToThePool) {
    BufferPool pool;
    RequestParser parser(ParserLimits{}, pool);
    EXPECT_EQ(pool.read_buffers_out(), 0u);
    parser.release_buffers();
    EXPECT_EQ(pool.read_buffers_out(), 0u);

    const std::string input = post_request("{\"a\":1}");
    std::span<char> space = parser.read_space();
    EXPECT_EQ(pool.read_buffers_out(), 1u);
    std::memcpy(space.data(), input.data(), 10);
    parser.commit_read(10);
    ASSERT_EQ(parser.next(), ParseState::need_more);
    parser.release_buffers();  // Mid-head: kept.
    EXPECT_EQ(pool.read_buffers_out(), 1u);

    space = parser.read_space();
    std::memcpy(space.data(), input.data() + 10, input.size() - 10);
    parser.commit_read(input.size() - 10);
    ASSERT_EQ(parser.next(), ParseState::request_ready);
    parser.release_buffers();  // A request is ready: kept.
    EXPECT_EQ(pool.read_buffers_out(), 1u);
    EXPECT_EQ(parser.request().body, "{\"a\":1}");
    parser.finish_request();
    ASSERT_EQ(parser.next(), ParseState::need_more);
    parser.release_buffers();  // Idle and empty: released.
    EXPECT_EQ(pool.read_buffers_out(), 0u);

    // The next request takes a buffer from the pool again and parses normally.
    space = parser.read_space();
    EXPECT_EQ(pool.read_buffers_out(), 1u);
    std::memcpy(space.data(), input.data(), input.size());
    parser.commit_read(input.size());
    ASSERT_EQ(parser.next(), ParseState::request_ready);
    EXPECT_EQ(parser.request().body, "{\"a\":1}");
    parser.finish_request();

    // Forced release mid-message drops it; the parser starts afresh.
    space = parser.read_space();
    std::memcpy(space.data(), input.data(), 20);
    parser.commit_read(20);
    ASSERT_EQ(parser.next(), ParseState::need_more);
    parser.release_buffers(true);
    EXPECT_EQ(pool.read_buffers_out(), 0u);
    EXPECT_EQ(parser.phase(), ParsePhase::idle);
    space = parser.read_space();
    std::memcpy(space.data(), input.data(), input.size());
    parser.commit_read(input.size());
    ASSERT_EQ(parser.next(), ParseState::request_ready);
    EXPECT_EQ(parser.request().path, "/cashier/deposit");
}

TEST(RequestParserTest, DestructorReturnsBuffers) {
    BufferPool pool;
    {
        RequestParser parser(ParserLimits{}, pool);
        const std::string input = post_request("{}");
        std::span<char> space = parser.read_space();
        std::memcpy(space.data(), input.data(), input.size());
        parser.commit_read(input.size());
        ASSERT_EQ(parser.next(), ParseState::request_ready);
        EXPECT_EQ(pool.read_buffers_out(), 1u);
    }
    EXPECT_EQ(pool.read_buffers_out(), 0u);
}

TEST(RequestParserTest, PooledBodyStringIsReused) {
    BufferPool pool;
    RequestParser parser(ParserLimits{}, pool);
    const std::string input = post_request(body_of(1000));
    const char* first_body = nullptr;
    for (int round = 0; round < 3; ++round) {
        std::span<char> space = parser.read_space();
        std::memcpy(space.data(), input.data(), input.size());
        parser.commit_read(input.size());
        ASSERT_EQ(parser.next(), ParseState::request_ready);
        if (round == 0) first_body = parser.request().body.data();
        // The released string comes back from the pool with its storage.
        EXPECT_EQ(parser.request().body.data(), first_body);
        parser.finish_request();
        ASSERT_EQ(parser.next(), ParseState::need_more);
        parser.release_buffers();
        EXPECT_EQ(pool.read_buffers_out(), 0u);
    }
}

}  // namespace
}  // namespace cashierd::http
