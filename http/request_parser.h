// RequestParser: llhttp (strict mode, no lenient flags) plus the checks llhttp 8.1.0 leaves
// to us: obs-fold, missing or duplicate Host, Content-Length together with Transfer-Encoding,
// duplicate Content-Length, Transfer-Encoding other than "chunked", overlong chunk extensions.
// It owns the fragment accumulation: a connection reads into read_space(), commits, and calls
// next() until it returns need_more. Pure: no sockets, no clock; fuzzed by fuzz/.
//
// Memory: one pooled read buffer of BufferPool::read_buffer_bytes while bytes are buffered, and
// one pooled body string while a request with a body is in flight. The request head (request
// line + headers) must fit in head_bytes_max (<= limits::request_head_bytes_max) else 431; the
// body must fit body_bytes_max else 413. Any parse error leaves the parser in the error state:
// the connection answers and closes.
// Thread: one connection's shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include <llhttp.h>

#include "http/request.h"
#include "reactor/base/status.h"
#include "reactor/buffer_pool.h"

namespace cashierd::http {

struct ParserLimits {
    std::size_t head_bytes_max = limits::request_head_bytes_max;
    std::size_t body_bytes_max = limits::request_body_bytes_max;
};

enum class ParseState {
    need_more,      // Everything buffered was consumed; read more.
    request_ready,  // request() is complete; call finish_request() once it is answered.
    error,          // error() says why; answer it and close the connection.
};

/// Where the parser is within the current message; the connection picks its deadline by it.
enum class ParsePhase {
    idle,  // Between requests (keep-alive): nothing buffered or only whitespace.
    head,  // Some bytes of a request line or headers are buffered.
    body,  // Headers complete, body incomplete.
};

class RequestParser {
public:
    RequestParser(const ParserLimits& limits, reactor::BufferPool& pool);
    ~RequestParser();
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    /// Space to read into (takes a buffer from the pool if none is held). Never empty unless
    /// the parser is in the error state or a request is ready and not yet finished.
    std::span<char> read_space();

    /// `bytes` were written at the start of the last read_space().
    void commit_read(std::size_t bytes);

    /// Parses buffered bytes. After request_ready, call finish_request() before next() again.
    ParseState next();

    /// The complete request; valid between request_ready and finish_request().
    const Request& request() const { return request_; }

    /// Why next() returned error: bad_request (400), headers_too_large (431) or
    /// payload_too_large (413), with a static detail string.
    Status error() const { return error_; }

    /// True once after headers with `Expect: 100-continue` were accepted and the body has not
    /// started: the connection should write `HTTP/1.1 100 Continue`.
    bool take_expect_continue();

    /// Drops the answered request and keeps any pipelined bytes that follow it.
    void finish_request();

    ParsePhase phase() const;

    /// Returns the read buffer and body string to the pool when nothing is buffered.
    /// Call when the connection goes idle and on close (on close it releases unconditionally).
    void release_buffers(bool force = false);

    /// Bytes buffered but not yet parsed (pipelined requests waiting their turn).
    std::size_t buffered_bytes() const;

private:
    struct Callbacks;
    friend struct Callbacks;

    void reset_message();
    void compact();
    ParseState fail(StatusCode code, std::string_view detail);
    ParseState fail_llhttp(llhttp_errno_t error, std::size_t fed_end);
    Status check_head();

    ParserLimits limits_;
    reactor::BufferPool& pool_;
    llhttp_t llhttp_{};
    Request request_{};
    Status error_{};

    char* buffer_ = nullptr;         // Pooled, BufferPool::read_buffer_capacity bytes.
    std::size_t buffer_end_ = 0;     // Bytes written.
    std::size_t parsed_ = 0;         // Bytes fed to llhttp.
    std::size_t message_start_ = 0;  // Offset of the current message's first byte.
    std::size_t head_end_ = 0;       // Offset just past the current head, once complete.
    std::string body_;               // Pooled; body bytes of the current message.

    // Per-message parsing state.
    bool in_message_ = false;
    bool headers_complete_ = false;
    bool message_complete_ = false;
    bool expect_continue_ = false;
    bool header_value_open_ = false;
    std::size_t host_count_ = 0;
    std::size_t content_length_count_ = 0;
    std::size_t transfer_encoding_count_ = 0;
    std::size_t chunk_extension_bytes_ = 0;
    std::string_view error_detail_;
    StatusCode error_code_ = StatusCode::ok;
    bool header_field_open_ = false;
    std::uint8_t header_kind_ = 0;  // What the header being parsed is (HeaderKind in the .cc).
    std::size_t trailer_bytes_ = 0;
    std::string_view transfer_encoding_;  // Value of the one Transfer-Encoding header, trimmed.
    std::string_view expect_;             // Value of the first Expect header, trimmed.
    std::string_view header_name_;        // The field name being parsed, until complete.
};

}  // namespace cashierd::http
