// RequestParser: strict llhttp driven over one pooled read buffer, plus the checks llhttp 8.1.0
// leaves to us. Every head starts at offset 0 of the buffer and stays there until the request is
// finished, so the Request's views point straight into it and spans that llhttp reports in pieces
// are extended in place. Body bytes are copied out as they arrive and their space is reused.
// Thread: one connection's shard.
#include "http/request_parser.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "reactor/base/assert.h"

namespace cashierd::http {

namespace {

using reactor::BufferPool;

static_assert(limits::request_head_bytes_max < BufferPool::read_buffer_bytes,
              "a full head must leave room in the read buffer to stream the body through");

// What an empty body's view points at, so simdjson can read its padding like any other body.
constexpr std::array<char, limits::json_padding_bytes> empty_body_padding{};

// A chunked body starts with this much room; it grows by doubling up to body_bytes_max.
constexpr std::size_t chunked_body_initial_bytes = 4096;

enum class HeaderKind : std::uint8_t {
    other,
    host,
    content_length,
    transfer_encoding,
    content_type,
    authorization,
    request_id,
    expect,
};

HeaderKind classify_header(std::string_view name) {
    switch (name.size()) {
        case 4:
            if (equals_ignore_case(name, "host")) return HeaderKind::host;
            break;
        case 6:
            if (equals_ignore_case(name, "expect")) return HeaderKind::expect;
            break;
        case 12:
            if (equals_ignore_case(name, "content-type")) return HeaderKind::content_type;
            if (equals_ignore_case(name, "x-request-id")) return HeaderKind::request_id;
            break;
        case 13:
            if (equals_ignore_case(name, "authorization")) return HeaderKind::authorization;
            break;
        case 14:
            if (equals_ignore_case(name, "content-length")) return HeaderKind::content_length;
            break;
        case 17:
            if (equals_ignore_case(name, "transfer-encoding")) {
                return HeaderKind::transfer_encoding;
            }
            break;
        default:
            break;
    }
    return HeaderKind::other;
}

bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view value) {
    while (!value.empty() && is_ows(value.front()))
        value.remove_prefix(1);
    while (!value.empty() && is_ows(value.back()))
        value.remove_suffix(1);
    return value;
}

// llhttp reports a span in several pieces when it crosses the end of the bytes fed so far.
// The head never moves while it is parsed, so every piece continues the previous one.
void extend(std::string_view& span, const char* at, std::size_t length) {
    if (span.data() == nullptr) {
        span = std::string_view(at, length);
        return;
    }
    span = std::string_view(span.data(), static_cast<std::size_t>(at + length - span.data()));
}

// A line of the head that starts with SP or HT is obs-fold (RFC 9112 §5.2), which llhttp
// 8.1.0 accepts, even in Transfer-Encoding.
bool has_obs_fold(const char* begin, const char* end) {
    for (const char* p = begin; p < end; ++p) {
        p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        if (p == nullptr) return false;
        if (p + 1 < end && is_ows(p[1])) return true;
    }
    return false;
}

// One pass over a complete head's line ends for obs-fold and for a bare LF, which llhttp
// accepts after the request line (the rest of the head it refuses anyway). A fold wins.
std::string_view head_line_defect(const char* begin, const char* end) {
    bool bare_lf = false;
    for (const char* p = begin; p < end; ++p) {
        p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        if (p == nullptr) break;
        if (p + 1 < end && is_ows(p[1])) return "obs_fold";
        if (p == begin || p[-1] != '\r') bare_lf = true;
    }
    return bare_lf ? "bare_lf" : std::string_view();
}

Method to_method(std::uint8_t method) {
    switch (method) {
        case HTTP_GET:
            return Method::get;
        case HTTP_HEAD:
            return Method::head;
        case HTTP_POST:
            return Method::post;
        case HTTP_PUT:
            return Method::put;
        case HTTP_DELETE:
            return Method::delete_;
        case HTTP_PATCH:
            return Method::patch;
        case HTTP_OPTIONS:
            return Method::options;
        default:
            return Method::other;
    }
}

// The wire detail for an llhttp refusal. HPE_* names are for logs only.
std::string_view llhttp_error_detail(llhttp_errno_t error) {
    switch (error) {
        case HPE_INVALID_METHOD:
            return "invalid_method";
        case HPE_INVALID_URL:
            return "invalid_target";
        case HPE_INVALID_VERSION:
            return "invalid_version";
        case HPE_PAUSED_H2_UPGRADE:
            return "http2_unsupported";
        case HPE_PAUSED_UPGRADE:
            return "upgrade_unsupported";
        case HPE_INVALID_HEADER_TOKEN:
            return "invalid_header";
        case HPE_INVALID_CONTENT_LENGTH:
        case HPE_UNEXPECTED_CONTENT_LENGTH:
            return "invalid_content_length";
        case HPE_INVALID_TRANSFER_ENCODING:
            return "transfer_encoding_unsupported";
        case HPE_INVALID_CHUNK_SIZE:
            return "invalid_chunk";
        case HPE_CLOSED_CONNECTION:
            return "data_after_close";
        default:
            return "malformed_request";
    }
}

}  // namespace

struct RequestParser::Callbacks {
    static RequestParser& parser(llhttp_t* llhttp) {
        return *static_cast<RequestParser*>(llhttp->data);
    }

    // Records why a callback stopped llhttp; next() reports it instead of llhttp's errno.
    static int refuse(RequestParser& self, StatusCode code, std::string_view detail) {
        self.error_code_ = code;
        self.error_detail_ = detail;
        return -1;
    }

    // Limits on spans are checked when the span completes, never on a piece of it: where
    // pieces end depends on how the reads were cut, and a refusal must not (llhttp may find a
    // syntax error later in the same span). Until then the bytes cost time, not memory, and
    // the connection's read deadline bounds the time.

    // Trailer fields are parsed by llhttp and dropped; only their total size is bounded.
    static int complete_trailer_span(RequestParser& self, std::size_t separator_bytes) {
        self.trailer_bytes_ += separator_bytes;
        if (self.trailer_bytes_ > self.limits_.head_bytes_max) {
            return refuse(self, StatusCode::headers_too_large, "trailer_bytes_max");
        }
        return 0;
    }

    static int on_message_begin(llhttp_t* llhttp) {
        parser(llhttp).in_message_ = true;
        return 0;
    }

    static int on_method(llhttp_t* llhttp, const char* at, std::size_t length) {
        extend(parser(llhttp).request_.method_name, at, length);
        return 0;
    }

    static int on_url(llhttp_t* llhttp, const char* at, std::size_t length) {
        extend(parser(llhttp).request_.target, at, length);
        return 0;
    }

    static int on_header_field(llhttp_t* llhttp, const char* at, std::size_t length) {
        RequestParser& self = parser(llhttp);
        if (self.headers_complete_) {
            self.trailer_bytes_ += length;
            return 0;
        }
        if (!self.header_field_open_) {
            self.header_name_ = std::string_view(at, length);
            self.header_field_open_ = true;
            return 0;
        }
        extend(self.header_name_, at, length);
        return 0;
    }

    static int on_header_field_complete(llhttp_t* llhttp) {
        RequestParser& self = parser(llhttp);
        if (self.headers_complete_) return complete_trailer_span(self, 1);  // ':'
        std::string_view name = self.header_field_open_ ? self.header_name_ : std::string_view();
        self.header_field_open_ = false;
        self.header_name_ = {};
        // llhttp 8.1.0 lets an empty field name through (": value").
        if (name.empty()) return refuse(self, StatusCode::bad_request, "invalid_header");
        Request& request = self.request_;
        if (request.headers_count == limits::headers_count_max) {
            return refuse(self, StatusCode::headers_too_large, "headers_count_max");
        }
        request.headers[request.headers_count++] = Header{name, {}};
        self.header_value_open_ = false;
        HeaderKind kind = classify_header(name);
        self.header_kind_ = static_cast<std::uint8_t>(kind);
        // Duplicates and conflicts are refused as soon as the name is known, before llhttp
        // refuses some of them itself with a vaguer errno.
        switch (kind) {
            case HeaderKind::host:
                if (++self.host_count_ > 1) {
                    return refuse(self, StatusCode::bad_request, "host_duplicate");
                }
                break;
            case HeaderKind::content_length:
                if (self.content_length_count_ > 0) {
                    return refuse(self, StatusCode::bad_request, "content_length_duplicate");
                }
                if (self.transfer_encoding_count_ > 0) {
                    return refuse(self, StatusCode::bad_request,
                                  "content_length_with_transfer_encoding");
                }
                ++self.content_length_count_;
                break;
            case HeaderKind::transfer_encoding:
                if (self.transfer_encoding_count_ > 0) {
                    return refuse(self, StatusCode::bad_request, "transfer_encoding_unsupported");
                }
                if (self.content_length_count_ > 0) {
                    return refuse(self, StatusCode::bad_request,
                                  "content_length_with_transfer_encoding");
                }
                ++self.transfer_encoding_count_;
                break;
            default:
                break;
        }
        return 0;
    }

    static int on_header_value(llhttp_t* llhttp, const char* at, std::size_t length) {
        RequestParser& self = parser(llhttp);
        if (self.headers_complete_) {
            self.trailer_bytes_ += length;
            return 0;
        }
        // A value always follows a completed name; the check keeps the index in bounds anyway.
        if (self.request_.headers_count == 0) {
            return refuse(self, StatusCode::bad_request, "invalid_header");
        }
        Header& header = self.request_.headers[self.request_.headers_count - 1];
        if (!self.header_value_open_) {
            header.value = std::string_view(at, length);
            self.header_value_open_ = true;
            return 0;
        }
        extend(header.value, at, length);
        return 0;
    }

    static int on_header_value_complete(llhttp_t* llhttp) {
        RequestParser& self = parser(llhttp);
        if (self.headers_complete_) return complete_trailer_span(self, 2);  // CRLF
        self.header_value_open_ = false;
        Request& request = self.request_;
        if (request.headers_count == 0) {
            return refuse(self, StatusCode::bad_request, "invalid_header");
        }
        Header& header = request.headers[request.headers_count - 1];
        header.value = trim_ows(header.value);
        // An empty value is still present: point it into the head so "first" below sees it.
        if (header.value.data() == nullptr) {
            header.value = std::string_view(header.name.data() + header.name.size(), 0);
        }
        auto first = [&header](std::string_view& slot) {
            if (slot.data() == nullptr) slot = header.value;
        };
        switch (static_cast<HeaderKind>(self.header_kind_)) {
            case HeaderKind::host:
                first(request.host);
                break;
            case HeaderKind::content_type:
                first(request.content_type);
                break;
            case HeaderKind::authorization:
                first(request.authorization);
                break;
            case HeaderKind::request_id:
                first(request.request_id);
                break;
            case HeaderKind::transfer_encoding:
                self.transfer_encoding_ = header.value;
                break;
            case HeaderKind::expect:
                first(self.expect_);
                break;
            default:
                break;
        }
        return 0;
    }

    // Pausing here makes llhttp_execute return with the error position just past the head, so
    // next() learns where the head ends and checks it before a single body byte is taken.
    static int on_headers_complete(llhttp_t* llhttp) {
        parser(llhttp).headers_complete_ = true;
        return HPE_PAUSED;
    }

    static int on_chunk_extension(llhttp_t* llhttp, const char*, std::size_t length) {
        parser(llhttp).chunk_extension_bytes_ += length;
        return 0;
    }

    // Counts the ';' or '=' before each name or value, so empty extensions are bounded too.
    static int on_chunk_extension_complete(llhttp_t* llhttp) {
        RequestParser& self = parser(llhttp);
        self.chunk_extension_bytes_ += 1;
        if (self.chunk_extension_bytes_ > limits::chunk_extension_bytes_max) {
            return refuse(self, StatusCode::bad_request, "chunk_extension_too_long");
        }
        return 0;
    }

    // Called after the chunk-size line, whose extensions were counted already.
    static int on_chunk_header(llhttp_t* llhttp) {
        parser(llhttp).chunk_extension_bytes_ = 0;
        return 0;
    }

    static int on_body(llhttp_t* llhttp, const char* at, std::size_t length) {
        RequestParser& self = parser(llhttp);
        self.expect_continue_ = false;
        std::string& body = self.body_;
        std::size_t body_bytes_max = self.limits_.body_bytes_max;
        if (length > body_bytes_max - body.size()) {
            return refuse(self, StatusCode::payload_too_large, "body_bytes_max");
        }
        std::size_t needed = body.size() + length + limits::json_padding_bytes;
        if (needed > body.capacity()) {
            body.reserve(std::min(std::max(needed, 2 * body.capacity()),
                                  body_bytes_max + limits::json_padding_bytes));
        }
        body.append(at, length);
        return 0;
    }

    // Pausing hands exactly one request to the connection; finish_request() resumes.
    static int on_message_complete(llhttp_t* llhttp) {
        RequestParser& self = parser(llhttp);
        self.message_complete_ = true;
        self.expect_continue_ = false;
        Request& request = self.request_;
        request.keep_alive = llhttp_should_keep_alive(llhttp) != 0;
        if (self.body_.empty()) {
            request.body = std::string_view(empty_body_padding.data(), 0);
            request.body_capacity = empty_body_padding.size();
            return HPE_PAUSED;
        }
        std::size_t size = self.body_.size();
        // Zeroed padding within the reserved capacity: no reallocation, and simdjson reads
        // defined bytes past the end.
        self.body_.resize(size + limits::json_padding_bytes);
        request.body = std::string_view(self.body_.data(), size);
        request.body_capacity = self.body_.size();
        return HPE_PAUSED;
    }

    static llhttp_settings_t make_settings() {
        llhttp_settings_t settings;
        llhttp_settings_init(&settings);
        settings.on_message_begin = on_message_begin;
        settings.on_method = on_method;
        settings.on_url = on_url;
        settings.on_header_field = on_header_field;
        settings.on_header_field_complete = on_header_field_complete;
        settings.on_header_value = on_header_value;
        settings.on_header_value_complete = on_header_value_complete;
        settings.on_headers_complete = on_headers_complete;
        settings.on_chunk_extension_name = on_chunk_extension;
        settings.on_chunk_extension_value = on_chunk_extension;
        settings.on_chunk_extension_name_complete = on_chunk_extension_complete;
        settings.on_chunk_extension_value_complete = on_chunk_extension_complete;
        settings.on_chunk_header = on_chunk_header;
        settings.on_body = on_body;
        settings.on_message_complete = on_message_complete;
        return settings;
    }

    // llhttp keeps a pointer to the settings for the parser's lifetime.
    static const llhttp_settings_t* settings() {
        static const llhttp_settings_t settings = make_settings();
        return &settings;
    }
};

RequestParser::RequestParser(const ParserLimits& limits, reactor::BufferPool& pool)
    : limits_(limits), pool_(pool) {
    // Config may lower the ceilings, never raise them (checked when the config is loaded).
    CASHIERD_ASSERT(limits_.head_bytes_max <= limits::request_head_bytes_max);
    CASHIERD_ASSERT(limits_.body_bytes_max <= limits::request_body_bytes_max);
    llhttp_init(&llhttp_, HTTP_REQUEST, Callbacks::settings());
    llhttp_.data = this;
}

RequestParser::~RequestParser() {
    release_buffers(true);
}

std::span<char> RequestParser::read_space() {
    if (!error_.ok() || message_complete_) return {};
    if (buffer_ == nullptr) buffer_ = pool_.acquire_read_buffer();
    return {buffer_ + buffer_end_, BufferPool::read_buffer_bytes - buffer_end_};
}

void RequestParser::commit_read(std::size_t bytes) {
    CASHIERD_ASSERT(buffer_ != nullptr);
    CASHIERD_ASSERT(bytes <= BufferPool::read_buffer_bytes - buffer_end_);
    buffer_end_ += bytes;
}

ParseState RequestParser::next() {
    if (!error_.ok()) return ParseState::error;
    if (message_complete_) return ParseState::request_ready;
    if (!in_message_) {
        // llhttp skips CR and LF between messages; skipping them here instead lets the next
        // head start at offset 0, so it can use the whole buffer.
        while (parsed_ < buffer_end_ && (buffer_[parsed_] == '\r' || buffer_[parsed_] == '\n')) {
            ++parsed_;
        }
        if (parsed_ == buffer_end_) {
            parsed_ = 0;
            buffer_end_ = 0;
            return ParseState::need_more;
        }
        compact();
        message_start_ = 0;
    }
    // After the head pause llhttp must run once more even with no bytes: a message without a
    // body completes without consuming any.
    bool resumed = false;
    for (;;) {
        // The head is fed no further than head_bytes_max, so an oversized head is refused as
        // soon as enough of it is buffered, without llhttp ever seeing the excess.
        std::size_t fed_end = buffer_end_;
        if (!headers_complete_) {
            fed_end = std::min(buffer_end_, message_start_ + limits_.head_bytes_max);
        }
        if (parsed_ == fed_end && !resumed) {
            if (!headers_complete_ && buffer_end_ > fed_end) {
                return fail(StatusCode::headers_too_large, "head_bytes_max");
            }
            if (headers_complete_) {
                // Every body byte so far was copied into body_: reuse its space.
                parsed_ = head_end_;
                buffer_end_ = head_end_;
            }
            return ParseState::need_more;
        }
        resumed = false;
        llhttp_errno_t result = llhttp_execute(&llhttp_, buffer_ + parsed_, fed_end - parsed_);
        if (result == HPE_OK) {
            parsed_ = fed_end;
            continue;
        }
        if (result != HPE_PAUSED) return fail_llhttp(result, fed_end);
        parsed_ = static_cast<std::size_t>(llhttp_get_error_pos(&llhttp_) - buffer_);
        CASHIERD_ASSERT(parsed_ <= fed_end);
        if (message_complete_) return ParseState::request_ready;
        CASHIERD_ASSERT(headers_complete_);
        head_end_ = parsed_;
        Status status = check_head();
        if (!status.ok()) return fail(status.code(), status.detail());
        llhttp_resume(&llhttp_);
        resumed = true;
    }
}

Status RequestParser::check_head() {
    const char* head = buffer_ + message_start_;
    const char* head_end = buffer_ + head_end_;
    CASHIERD_ASSERT(head_end_ - message_start_ <= limits_.head_bytes_max);
    std::string_view defect = head_line_defect(head, head_end);
    if (!defect.empty()) return Status(StatusCode::bad_request, defect);
    // llhttp accepts HTTP/0.9, HTTP/2.0 and other majors in a request line.
    if (llhttp_.http_major != 1) return Status(StatusCode::bad_request, "version_unsupported");
    if (llhttp_.upgrade != 0 || llhttp_.method == HTTP_CONNECT) {
        return Status(StatusCode::bad_request, "upgrade_unsupported");
    }
    if (host_count_ == 0) return Status(StatusCode::bad_request, "host_missing");
    CASHIERD_ASSERT(host_count_ == 1);
    bool chunked = transfer_encoding_count_ > 0;
    if (chunked && !equals_ignore_case(transfer_encoding_, "chunked")) {
        return Status(StatusCode::bad_request, "transfer_encoding_unsupported");
    }
    std::size_t content_length = 0;
    if ((llhttp_.flags & F_CONTENT_LENGTH) != 0) {
        if (llhttp_.content_length > limits_.body_bytes_max) {
            return Status(StatusCode::payload_too_large, "body_bytes_max");
        }
        content_length = static_cast<std::size_t>(llhttp_.content_length);
    }

    Request& request = request_;
    request.method = to_method(llhttp_.method);
    request.version_minor = llhttp_.http_minor;
    std::size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string_view::npos) request.query = request.target.substr(question + 1);

    if (chunked || content_length > 0) {
        if (body_.capacity() <= std::string().capacity()) body_ = pool_.acquire_string();
        std::size_t expected =
                chunked ? std::min(chunked_body_initial_bytes, limits_.body_bytes_max)
                        : content_length;
        body_.reserve(expected + limits::json_padding_bytes);
        expect_continue_ = equals_ignore_case(expect_, "100-continue");
    }
    return Status();
}

ParseState RequestParser::fail(StatusCode code, std::string_view detail) {
    CASHIERD_ASSERT(code != StatusCode::ok);
    error_ = Status(code, detail);
    expect_continue_ = false;
    return ParseState::error;
}

ParseState RequestParser::fail_llhttp(llhttp_errno_t error, std::size_t fed_end) {
    if (!headers_complete_) {
        // A folded line explains most refusals that follow it: report the fold. Only bytes
        // before the error position count, as they are the same however the reads were cut.
        const char* error_pos = llhttp_get_error_pos(&llhttp_);
        const char* seen_end = buffer_ + fed_end;
        if (error_pos != nullptr && error_pos >= buffer_ && error_pos < seen_end) {
            seen_end = error_pos;
        }
        if (has_obs_fold(buffer_ + message_start_, seen_end)) {
            return fail(StatusCode::bad_request, "obs_fold");
        }
    }
    if (error_code_ != StatusCode::ok) return fail(error_code_, error_detail_);
    return fail(StatusCode::bad_request, llhttp_error_detail(error));
}

bool RequestParser::take_expect_continue() {
    bool result = expect_continue_;
    expect_continue_ = false;
    return result;
}

void RequestParser::finish_request() {
    CASHIERD_ASSERT(message_complete_);
    compact();
    body_.clear();
    reset_message();
    llhttp_resume(&llhttp_);
}

ParsePhase RequestParser::phase() const {
    if (in_message_ && !message_complete_) {
        return headers_complete_ ? ParsePhase::body : ParsePhase::head;
    }
    for (std::size_t i = parsed_; i < buffer_end_; ++i) {
        if (buffer_[i] != '\r' && buffer_[i] != '\n') return ParsePhase::head;
    }
    return ParsePhase::idle;
}

void RequestParser::release_buffers(bool force) {
    if (!force && (in_message_ || buffer_end_ != parsed_)) return;
    if (buffer_ != nullptr) {
        pool_.release_read_buffer(buffer_);
        buffer_ = nullptr;
    }
    buffer_end_ = 0;
    parsed_ = 0;
    if (body_.capacity() > std::string().capacity()) {
        pool_.release_string(std::move(body_));
        body_ = std::string();
    }
    if (in_message_) {
        // Forced mid-message: the views into the buffer are gone, so is the message.
        llhttp_init(&llhttp_, HTTP_REQUEST, Callbacks::settings());
        llhttp_.data = this;
        reset_message();
    }
}

std::size_t RequestParser::buffered_bytes() const {
    return buffer_end_ - parsed_;
}

void RequestParser::reset_message() {
    in_message_ = false;
    headers_complete_ = false;
    message_complete_ = false;
    expect_continue_ = false;
    header_field_open_ = false;
    header_value_open_ = false;
    header_kind_ = 0;
    header_name_ = {};
    host_count_ = 0;
    content_length_count_ = 0;
    transfer_encoding_count_ = 0;
    chunk_extension_bytes_ = 0;
    trailer_bytes_ = 0;
    message_start_ = 0;
    head_end_ = 0;
    transfer_encoding_ = {};
    expect_ = {};
    error_detail_ = {};
    error_code_ = StatusCode::ok;

    // The header array is left as is: only headers[0, headers_count) is ever read.
    Request& request = request_;
    request.method = Method::other;
    request.method_name = {};
    request.target = {};
    request.path = {};
    request.query = {};
    request.version_minor = 1;
    request.keep_alive = true;
    request.headers_count = 0;
    request.host = {};
    request.content_type = {};
    request.authorization = {};
    request.request_id = {};
    request.body = {};
    request.body_capacity = 0;
}

void RequestParser::compact() {
    std::size_t pending = buffer_end_ - parsed_;
    if (pending > 0 && parsed_ > 0) std::memmove(buffer_, buffer_ + parsed_, pending);
    parsed_ = 0;
    buffer_end_ = pending;
}

}  // namespace cashierd::http
