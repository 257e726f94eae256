// Benchmarks for http::RequestParser on the requests the server sees most: a wrk-style
// GET /healthz and a ~300-byte POST /cashier/deposit with a bearer token, each arriving in one
// read, plus 16 pipelined GETs in one read. Each iteration is what a connection does per read:
// copy into read_space(), commit, next(), finish_request(), next(), release_buffers().
// Thread: the benchmark's own.
#include <cstring>
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>
#include <llhttp.h>

#include "http/request_parser.h"
#include "reactor/buffer_pool.h"

namespace {

using cashierd::http::ParserLimits;
using cashierd::http::ParseState;
using cashierd::http::RequestParser;
using cashierd::reactor::BufferPool;

constexpr std::string_view healthz_request =
        "GET /healthz HTTP/1.1\r\n"
        "Host: 127.0.0.1:8080\r\n"
        "User-Agent: wrk/4.2.0\r\n"
        "Accept: */*\r\n"
        "Connection: keep-alive\r\n"
        "\r\n";

const std::string& deposit_request() {
    static const std::string request = [] {
        const std::string body =
                R"({"login":"100200","amount":"250.00","currency":"USD",)"
                R"("method":"card","idempotency_key":"6f1c2a9e-4b7d-4c1a-9a53-2f0e8d1b7c44"})";
        return "POST /cashier/deposit HTTP/1.1\r\n"
               "Host: cashier.example.com\r\n"
               "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMDAyMDAi"
               "LCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU\r\n"
               "Content-Type: application/json\r\n"
               "X-Request-Id: 0b5f3c1e-2d4a\r\n"
               "Content-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
    }();
    return request;
}

const std::string& pipelined_requests() {
    static const std::string requests = [] {
        std::string out;
        for (int i = 0; i < 16; ++i)
            out += healthz_request;
        return out;
    }();
    return requests;
}

void parse_reads(benchmark::State& state, std::string_view input, std::size_t requests_per_read) {
    BufferPool pool;
    RequestParser parser(ParserLimits{}, pool);
    for (auto _ : state) {
        std::span<char> space = parser.read_space();
        std::memcpy(space.data(), input.data(), input.size());
        parser.commit_read(input.size());
        for (std::size_t i = 0; i < requests_per_read; ++i) {
            if (parser.next() != ParseState::request_ready) {
                state.SkipWithError("request not parsed");
                return;
            }
            benchmark::DoNotOptimize(parser.request().body.data());
            parser.finish_request();
        }
        if (parser.next() != ParseState::need_more) {
            state.SkipWithError("bytes left over");
            return;
        }
        parser.release_buffers();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * requests_per_read));
}

void BM_ParseHealthzGet(benchmark::State& state) {
    parse_reads(state, healthz_request, 1);
}

void BM_ParseDepositPost(benchmark::State& state) {
    parse_reads(state, deposit_request(), 1);
}

void BM_ParsePipelinedGets(benchmark::State& state) {
    parse_reads(state, pipelined_requests(), 16);
}

// The reference measured in the same run: llhttp alone (strict, callbacks that do nothing) over
// the same bytes. The difference is what our checks, spans and buffer handling cost.
void llhttp_only(benchmark::State& state, std::string_view input) {
    llhttp_settings_t settings;
    llhttp_settings_init(&settings);
    settings.on_url = [](llhttp_t*, const char*, std::size_t) { return 0; };
    settings.on_header_field = [](llhttp_t*, const char*, std::size_t) { return 0; };
    settings.on_header_value = [](llhttp_t*, const char*, std::size_t) { return 0; };
    settings.on_body = [](llhttp_t*, const char*, std::size_t) { return 0; };
    llhttp_t parser;
    llhttp_init(&parser, HTTP_REQUEST, &settings);
    for (auto _ : state) {
        if (llhttp_execute(&parser, input.data(), input.size()) != HPE_OK) {
            state.SkipWithError("llhttp refused the request");
            return;
        }
        benchmark::DoNotOptimize(parser.content_length);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_LlhttpOnlyHealthzGet(benchmark::State& state) {
    llhttp_only(state, healthz_request);
}

void BM_LlhttpOnlyDepositPost(benchmark::State& state) {
    llhttp_only(state, deposit_request());
}

BENCHMARK(BM_ParseHealthzGet);
BENCHMARK(BM_LlhttpOnlyHealthzGet);
BENCHMARK(BM_ParseDepositPost);
BENCHMARK(BM_LlhttpOnlyDepositPost);
BENCHMARK(BM_ParsePipelinedGets);

}  // namespace
