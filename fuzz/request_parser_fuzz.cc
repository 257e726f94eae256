// Fuzz target for http::RequestParser. The first two bytes pick the read lengths (and whether
// the limits are lowered, so 431 and 413 are reachable with small inputs); the rest is fed in
// reads of those lengths, answering each request at once. Asserts properties of every accepted
// request, and that the same bytes read all at once give the same requests and final state.
// Thread: the fuzzer's own.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "http/request.h"
#include "http/request_parser.h"
#include "reactor/buffer_pool.h"

namespace {

using cashierd::StatusCode;
using cashierd::http::equals_ignore_case;
using cashierd::http::ParsePhase;
using cashierd::http::ParserLimits;
using cashierd::http::ParseState;
using cashierd::http::Request;
using cashierd::http::RequestParser;
using cashierd::reactor::BufferPool;
namespace limits = cashierd::limits;

void check(bool condition) {
    if (!condition) std::abort();
}

bool within(std::string_view inner, const char* begin, const char* end) {
    if (inner.empty()) return true;
    return inner.data() >= begin && inner.data() + inner.size() <= end;
}

void check_request(const Request& request, const ParserLimits& parser_limits) {
    check(request.body.size() <= parser_limits.body_bytes_max);
    check(request.body.data() != nullptr);
    check(request.body_capacity >= request.body.size() + limits::json_padding_bytes);
    for (std::size_t i = 0; i < limits::json_padding_bytes; ++i) {
        check(request.body.data()[request.body.size() + i] == '\0');
    }
    check(request.headers_count <= limits::headers_count_max);
    check(!request.method_name.empty());
    check(!request.target.empty());
    check(request.target.substr(0, request.path.size()) == request.path);

    // The whole head lies within head_bytes_max of the request line's first byte.
    const char* head = request.method_name.data();
    const char* head_end = head + parser_limits.head_bytes_max;
    check(within(request.target, head, head_end));
    std::size_t hosts = 0;
    std::size_t content_lengths = 0;
    std::size_t transfer_encodings = 0;
    for (std::size_t i = 0; i < request.headers_count; ++i) {
        const auto& header = request.headers[i];
        check(!header.name.empty());
        check(within(header.name, head, head_end));
        check(within(header.value, head, head_end));
        if (!header.value.empty()) {
            check(header.value.front() != ' ' && header.value.front() != '\t');
            check(header.value.back() != ' ' && header.value.back() != '\t');
        }
        if (equals_ignore_case(header.name, "host")) ++hosts;
        if (equals_ignore_case(header.name, "content-length")) ++content_lengths;
        if (equals_ignore_case(header.name, "transfer-encoding")) ++transfer_encodings;
    }
    check(hosts == 1);
    check(content_lengths <= 1);
    check(transfer_encodings <= 1);
    check(content_lengths + transfer_encodings <= 1);
    if (transfer_encodings == 1)
        check(equals_ignore_case(request.header("transfer-encoding"), "chunked"));
}

void append_digest(std::string& out, const Request& request) {
    auto field = [&out](std::string_view value) {
        out.append(std::to_string(value.size())).append(":").append(value);
    };
    out.push_back(static_cast<char>(request.method));
    field(request.method_name);
    field(request.target);
    field(request.query);
    out.push_back(static_cast<char>(request.version_minor));
    out.push_back(request.keep_alive ? 'k' : 'c');
    for (std::size_t i = 0; i < request.headers_count; ++i) {
        field(request.headers[i].name);
        field(request.headers[i].value);
    }
    field(request.host);
    field(request.content_type);
    field(request.authorization);
    field(request.request_id);
    field(request.body);
    out.push_back('\n');
}

// Feeds `input` in reads alternating between the two lengths; returns a digest of the requests
// and the final state.
std::string run(std::string_view input, std::size_t read_a, std::size_t read_b,
                const ParserLimits& parser_limits) {
    BufferPool pool;
    std::string digest;
    {
        RequestParser parser(parser_limits, pool);
        std::size_t offset = 0;
        bool use_a = true;
        bool stopped = false;
        while (offset < input.size() && !stopped) {
            std::span<char> space = parser.read_space();
            // After need_more there is always room to read into.
            check(!space.empty());
            std::size_t bytes =
                    std::min({use_a ? read_a : read_b, space.size(), input.size() - offset});
            use_a = !use_a;
            std::memcpy(space.data(), input.data() + offset, bytes);
            parser.commit_read(bytes);
            offset += bytes;
            for (;;) {
                ParseState state = parser.next();
                if (state == ParseState::need_more) {
                    check(parser.buffered_bytes() == 0);
                    break;
                }
                if (state == ParseState::error) {
                    StatusCode code = parser.error().code();
                    check(code == StatusCode::bad_request ||
                          code == StatusCode::headers_too_large ||
                          code == StatusCode::payload_too_large);
                    check(!parser.error().detail().empty());
                    check(parser.read_space().empty());
                    check(parser.next() == ParseState::error);
                    digest.append("error ").append(parser.error().detail());
                    stopped = true;
                    break;
                }
                check(parser.read_space().empty());
                check(parser.phase() != ParsePhase::body);
                check_request(parser.request(), parser_limits);
                append_digest(digest, parser.request());
                parser.finish_request();
            }
        }
        if (!stopped) {
            digest.append("need_more ");
            digest.push_back(static_cast<char>('0' + static_cast<int>(parser.phase())));
            parser.release_buffers();
            // release_buffers() keeps the buffer only while a message is in progress.
            check((pool.read_buffers_out() == 0) == (parser.phase() == ParsePhase::idle));
        }
        parser.release_buffers(true);
        check(pool.read_buffers_out() == 0);
    }
    check(pool.read_buffers_out() == 0);
    return digest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t read_a = 1 + (data[0] & 0x7f);
    const std::size_t read_b = 1 + std::size_t{data[1]} * 64;
    ParserLimits parser_limits;
    if ((data[0] & 0x80) != 0) parser_limits = ParserLimits{256, 512};
    std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

    std::string split = run(input, read_a, read_b, parser_limits);
    std::string whole =
            run(input, BufferPool::read_buffer_bytes, BufferPool::read_buffer_bytes, parser_limits);
    check(split == whole);
    return 0;
}
