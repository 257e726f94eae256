#include "http/connection.h"

#include "http/error_mapping.h"
#include "reactor/base/assert.h"
#include "reactor/base/clock.h"
#include "reactor/base/log.h"

namespace cashierd::http {
namespace {

constexpr std::uint64_t linger_ms = 2000;

// An empty std::string still has its small inline capacity; only a heap buffer is worth pooling.
bool holds_heap_buffer(const std::string& value) {
    return value.capacity() > std::string().capacity();
}

uv_stream_t* as_stream(uv_tcp_t* tcp) {
    return reinterpret_cast<uv_stream_t*>(tcp);
}

uv_handle_t* as_handle(uv_tcp_t* tcp) {
    return reinterpret_cast<uv_handle_t*>(tcp);
}

// A client's X-Request-Id is echoed only when it is short and made of characters that are safe
// in headers, logs and JSON without escaping.
bool request_id_well_formed(std::string_view id) {
    if (id.empty() || id.size() > limits::request_id_bytes_max) return false;
    for (char c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == ':' || c == '+' || c == '/' || c == '=';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

Connection::Connection(ShardRuntime& shard, std::uint32_t slot) : shard_(shard), slot_(slot) {}

ConnectionRef Connection::ref() const {
    return ConnectionRef{shard_.id(), slot_, shard_.connections().generation(slot_)};
}

bool Connection::open(uv_stream_t* listener) {
    CASHIERD_ASSERT(shard_.shard().is_current());
    CASHIERD_ASSERT(!parser_.has_value());
    CASHIERD_ASSERT(uv_tcp_init(shard_.loop(), &tcp_) == 0);
    tcp_.data = this;
    reading_ = writing_ = exchange_active_ = close_after_write_ = lingering_ = closing_ =
            peer_closed_ = false;
    deadline_ms_ = 0;
    last_phase_ = ParsePhase::idle;
    const LimitsConfig& limits = shard_.config().limits;
    parser_.emplace(ParserLimits{limits.header_bytes_max, limits.body_bytes_max}, shard_.pool());
    shard_.metrics().connections_open.add();
    if (uv_accept(listener, as_stream(&tcp_)) != 0) {
        begin_close();
        return false;
    }
    shard_.metrics().connections_accepted.add();
    uv_tcp_nodelay(&tcp_, 1);
    update_reading();
    update_deadline();
    return true;
}

bool Connection::busy() const {
    return exchange_active_ || writing_;
}

void Connection::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buffer) {
    auto* connection = static_cast<Connection*>(handle->data);
    if (connection->lingering_) {
        *buffer = uv_buf_init(connection->shard_.discard_buffer(), 4096);
        return;
    }
    std::span<char> space = connection->parser_->read_space();
    *buffer = uv_buf_init(space.data(), static_cast<unsigned>(space.size()));
}

void Connection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
    auto* connection = static_cast<Connection*>(stream->data);
    if (connection->closing_) return;
    if (nread > 0) {
        if (connection->lingering_) return;
        connection->parser_->commit_read(static_cast<std::size_t>(nread));
        connection->process();
        return;
    }
    if (nread == 0) return;
    if (nread == UV_ENOBUFS) {
        // The parser has no room: it is holding a request that is being answered.
        connection->update_reading();
        return;
    }
    // End of stream or a socket error.
    if (nread != UV_EOF || connection->lingering_) {
        connection->begin_close();
        return;
    }
    connection->peer_closed_ = true;
    if (connection->busy()) {
        connection->close_after_write_ = true;
        connection->update_reading();
        return;
    }
    connection->begin_close();
}

void Connection::process() {
    if (closing_ || lingering_) return;
    while (!exchange_active_ && !writing_ && !close_after_write_) {
        ParseState state = parser_->next();
        if (state == ParseState::need_more) {
            if (parser_->take_expect_continue()) {
                ensure_output();
                append_continue(out_);
            }
            break;
        }
        if (state == ParseState::error) {
            shard_.metrics().http_parse_errors.add();
            respond_refusal(parser_->error());
            break;
        }
        dispatch();
        if (exchange_active_) break;
        finish_exchange();
    }
    flush();
    if (closing_ || lingering_) return;
    update_reading();
    update_deadline();
    if (!busy() && out_.empty() && parser_->phase() == ParsePhase::idle &&
        parser_->buffered_bytes() == 0) {
        parser_->release_buffers();
        release_output();
    }
}

void Connection::dispatch() {
    const Request& request = parser_->request();
    Exchange& exchange = exchange_;
    exchange.request_ = &request;
    exchange.shard_ = &shard_;
    exchange.connection_ = this;
    exchange.ref_ = ref();
    exchange.id_ = ++exchanges_;
    exchange.routed_ = false;
    exchange.responded_ = false;
    exchange.status_ = 0;
    exchange.awaiting_ = 0;
    exchange.continuation_ = nullptr;
    exchange.params_ = PathParams{};
    exchange.started_ns_ = monotonic_nanos();
    if (request_id_well_formed(request.request_id)) {
        request.request_id.copy(exchange.request_id_, request.request_id.size());
        exchange.request_id_length_ = request.request_id.size();
    } else {
        exchange.request_id_length_ = shard_.next_request_id(exchange.request_id_);
    }

    const Server& server = shard_.server();
    RouteMatch match = server.router().match(request.method, request.path);
    if (match.kind == RouteMatch::Kind::not_found) {
        exchange.respond_error(Status(StatusCode::not_found, "no_such_route"));
        return;
    }
    if (match.kind == RouteMatch::Kind::method_not_allowed) {
        char allow[64];
        std::size_t length = Router::format_allow(match.allowed_methods, allow, sizeof allow);
        exchange.respond_error(Status(StatusCode::method_not_allowed),
                               {{"Allow", std::string_view(allow, length)}});
        return;
    }
    exchange.route_ = match.route;
    exchange.routed_ = true;
    exchange.params_ = match.params;
    HandlerResult result = server.handler(match.route)(exchange);
    if (exchange.responded_) return;
    if (result == HandlerResult::deferred) {
        CASHIERD_ASSERT(exchange.awaiting_ > 0);
        exchange_active_ = true;
        return;
    }
    // A handler that returns done must have responded: answer rather than hang the client.
    exchange.respond_error(Status(StatusCode::internal, "handler_did_not_respond"));
}

void Connection::finish_exchange() {
    exchange_.request_ = nullptr;
    parser_->finish_request();
    last_phase_ = ParsePhase::idle;
    deadline_ms_ = 0;
}

void Connection::deliver(const ShardMessage& message) {
    if (closing_ || !exchange_active_ || message.exchange != exchange_.id_) {
        shard_.metrics().replies_dropped.add();
        return;
    }
    CASHIERD_ASSERT(exchange_.awaiting_ > 0);
    --exchange_.awaiting_;
    exchange_.continuation_(exchange_, message);
    if (!exchange_.responded_) {
        // Every reply arrived and none of them answered: a handler bug, answered not hung.
        if (exchange_.awaiting_ > 0) return;
        exchange_.respond_error(Status(StatusCode::internal, "continuation_did_not_respond"));
    }
    exchange_active_ = false;
    finish_exchange();
    process();
}

void Connection::ensure_output() {
    if (!holds_heap_buffer(out_)) out_ = shard_.pool().acquire_string();
}

void Connection::release_output() {
    if (holds_heap_buffer(out_)) shard_.pool().release_string(std::move(out_));
    out_ = std::string();
    if (holds_heap_buffer(sending_)) shard_.pool().release_string(std::move(sending_));
    sending_ = std::string();
}

void Connection::append_response(Exchange& exchange, std::uint16_t status,
                                 std::string_view content_type, std::string_view body,
                                 std::initializer_list<ExtraHeader> extra) {
    CASHIERD_ASSERT(!exchange.responded_);
    const Request& request = *exchange.request_;
    bool close = !request.keep_alive || shard_.draining() || peer_closed_;
    ResponseHead head;
    head.status = status;
    head.content_type = content_type;
    head.request_id = exchange.request_id();
    head.date = shard_.http_date();
    head.close = close;
    ensure_output();
    http::append_response(out_, head, body, extra, request.method == Method::head);
    if (close) close_after_write_ = true;
    exchange.responded_ = true;
    exchange.status_ = status;

    std::uint64_t duration_us = (monotonic_nanos() - exchange.started_ns_) / 1000;
    std::size_t route = exchange.routed_ ? exchange.route_ : shard_.metrics().unmatched_route();
    shard_.metrics().record_request(route, status, duration_us);
    // 5xx always reaches the log; everything else only with the access log on.
    log::Level level = status >= 500 ? log::Level::error : log::Level::info;
    if ((status >= 500 || shard_.config().log.access) && log::enabled(level)) {
        std::string_view route_name =
                exchange.routed_ ? shard_.server().router().pattern(exchange.route_) : "";
        log::write(level,
                   log::Context{exchange.request_id(), route_name, status,
                                static_cast<std::int64_t>(duration_us)},
                   "request", {{"method", request.method_name}, {"path", request.path}});
    }
}

void Connection::respond_refusal(const Status& status) {
    char request_id[limits::request_id_bytes_max];
    std::size_t request_id_length = shard_.next_request_id(request_id);
    std::string& body = shard_.body_scratch();
    body.clear();
    append_error_body(body, status);
    ResponseHead head;
    head.status = http_status(status.code());
    head.request_id = std::string_view(request_id, request_id_length);
    head.date = shard_.http_date();
    head.close = true;
    ensure_output();
    http::append_response(out_, head, body);
    body.clear();
    close_after_write_ = true;
    shard_.metrics().record_request(shard_.metrics().unmatched_route(), head.status, 0);
    if (shard_.config().log.access && log::enabled(log::Level::info)) {
        log::write(log::Level::info, log::Context{head.request_id, "", head.status, -1},
                   "request refused", {{"error", status.name()}, {"detail", status.detail()}});
    }
}

void Connection::flush() {
    if (writing_ || closing_) return;
    if (out_.empty()) {
        if (close_after_write_ && !exchange_active_) begin_linger();
        return;
    }
    uv_buf_t buffer = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
    int written = uv_try_write(as_stream(&tcp_), &buffer, 1);
    if (written == static_cast<int>(out_.size())) {
        out_.clear();
        if (close_after_write_ && !exchange_active_) begin_linger();
        return;
    }
    if (written < 0 && written != UV_EAGAIN) {
        begin_close();
        return;
    }
    std::size_t done = written > 0 ? static_cast<std::size_t>(written) : 0;
    // The rest goes through uv_write from a buffer that stays put until on_write.
    if (!holds_heap_buffer(sending_)) sending_ = shard_.pool().acquire_string();
    sending_.assign(out_, done);
    out_.clear();
    buffer = uv_buf_init(sending_.data(), static_cast<unsigned>(sending_.size()));
    writing_ = true;
    if (uv_write(&write_request_, as_stream(&tcp_), &buffer, 1, on_write) != 0) {
        writing_ = false;
        begin_close();
        return;
    }
    // A client that stops reading gets the body deadline to take its answer.
    deadline_ms_ = uv_now(shard_.loop()) + shard_.config().limits.body_timeout_ms;
    update_reading();
}

void Connection::on_write(uv_write_t* request, int status) {
    auto* connection = static_cast<Connection*>(request->handle->data);
    connection->writing_ = false;
    if (connection->closing_) return;
    if (status < 0) {
        connection->begin_close();
        return;
    }
    connection->sending_.clear();
    connection->deadline_ms_ = 0;
    connection->process();
}

void Connection::update_reading() {
    if (closing_) return;
    bool want = lingering_ || (!writing_ && !exchange_active_ && !close_after_write_);
    if (want == reading_) return;
    if (want) {
        if (uv_read_start(as_stream(&tcp_), on_alloc, on_read) == 0) reading_ = true;
    } else {
        uv_read_stop(as_stream(&tcp_));
        reading_ = false;
    }
}

void Connection::update_deadline() {
    if (closing_ || lingering_ || writing_) return;
    if (exchange_active_) {
        deadline_ms_ = 0;
        return;
    }
    ParsePhase phase = parser_->phase();
    if (phase == last_phase_ && deadline_ms_ != 0) return;
    last_phase_ = phase;
    const LimitsConfig& limits = shard_.config().limits;
    std::uint64_t now = uv_now(shard_.loop());
    switch (phase) {
        case ParsePhase::idle:
            deadline_ms_ = now + limits.idle_timeout_ms;
            break;
        case ParsePhase::head:
            deadline_ms_ = now + limits.header_timeout_ms;
            break;
        case ParsePhase::body:
            deadline_ms_ = now + limits.body_timeout_ms;
            break;
    }
}

void Connection::check_deadline(std::uint64_t now_ms) {
    if (closing_ || deadline_ms_ == 0 || now_ms < deadline_ms_) return;
    if (lingering_ || writing_ || exchange_active_) {
        begin_close();
        return;
    }
    if (parser_->phase() == ParsePhase::idle) {
        begin_close();  // Keep-alive idle timeout: nothing to answer.
        return;
    }
    shard_.metrics().requests_timed_out.add();
    respond_refusal(Status(StatusCode::request_timeout));
    flush();
    update_reading();
}

void Connection::begin_linger() {
    if (closing_ || lingering_) return;
    if (peer_closed_) {
        begin_close();
        return;
    }
    // Half-close and read until the peer closes too, so unread request bytes on our side do
    // not turn the close into a reset that destroys the answer we just sent.
    lingering_ = true;
    parser_->release_buffers(true);
    if (uv_shutdown(&shutdown_request_, as_stream(&tcp_), on_shutdown) != 0) {
        begin_close();
        return;
    }
    deadline_ms_ = uv_now(shard_.loop()) + linger_ms;
    update_reading();
}

void Connection::on_shutdown(uv_shutdown_t* request, int status) {
    auto* connection = static_cast<Connection*>(request->handle->data);
    if (status < 0 && !connection->closing_) connection->begin_close();
}

void Connection::begin_close() {
    if (closing_) return;
    closing_ = true;
    if (reading_) {
        uv_read_stop(as_stream(&tcp_));
        reading_ = false;
    }
    uv_close(as_handle(&tcp_), on_close);
}

void Connection::on_close(uv_handle_t* handle) {
    auto* connection = static_cast<Connection*>(handle->data);
    connection->parser_->release_buffers(true);
    connection->parser_.reset();
    connection->release_output();
    connection->exchange_active_ = false;
    connection->shard_.metrics().connections_open.sub();
    connection->shard_.on_connection_closed(connection->slot_);
}

void Connection::drain() {
    if (closing_ || lingering_) return;
    if (!busy() && parser_->phase() == ParsePhase::idle) begin_close();
    // Otherwise the response to the request in flight carries Connection: close.
}

void Connection::force_close() {
    begin_close();
}

// Exchange

std::string& Exchange::body_scratch() {
    std::string& scratch = shard_->body_scratch();
    scratch.clear();
    return scratch;
}

void Exchange::respond(std::uint16_t status, std::string_view content_type, std::string_view body,
                       std::initializer_list<ExtraHeader> extra) {
    connection_->append_response(*this, status, content_type, body, extra);
}

void Exchange::respond_error(const Status& status, std::initializer_list<ExtraHeader> extra) {
    std::string& body = body_scratch();
    append_error_body(body, status);
    if (status.code() == StatusCode::ret_err_noservice) {
        respond(http_status(status.code()), "application/json", body, {{"Retry-After", "1"}});
    } else {
        respond(http_status(status.code()), "application/json", body, extra);
    }
    body.clear();
}

void Exchange::respond_error_message(const Status& status, std::string_view message) {
    std::string& body = body_scratch();
    append_error_body(body, status, message);
    respond(http_status(status.code()), "application/json", body);
    body.clear();
}

void Exchange::defer(std::uint32_t replies, Continuation continuation) {
    CASHIERD_ASSERT(replies > 0);
    CASHIERD_ASSERT(!responded_);
    awaiting_ = replies;
    continuation_ = continuation;
}

}  // namespace cashierd::http
