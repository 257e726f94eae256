// Connection: one client socket's state machine — read, parse, dispatch, write, keep-alive,
// pipelining (one request at a time, answered in order), deadlines and lingering close.
// Connections live in their shard's SlotTable and are reused; an idle one holds no buffer.
// Thread: its shard only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <uv.h>

#include "http/request_parser.h"
#include "http/server.h"

namespace cashierd::http {

class Connection {
public:
    Connection(ShardRuntime& shard, std::uint32_t slot);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Accepts the pending connection from `listener` into this (free) slot object.
    bool open(uv_stream_t* listener);

    ConnectionRef ref() const;

    /// Delivers a cross-shard reply; dropped unless it belongs to the current exchange.
    void deliver(const ShardMessage& message);

    /// Called by the shard's sweep timer: acts on an expired deadline.
    void check_deadline(std::uint64_t now_ms);

    /// Shutdown: close now if idle, else after the current response.
    void drain();

    /// Shutdown deadline passed: close regardless.
    void force_close();

    // Called by Exchange.
    void append_response(Exchange& exchange, std::uint16_t status, std::string_view content_type,
                         std::string_view body, std::initializer_list<ExtraHeader> extra);

private:
    static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buffer);
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer);
    static void on_write(uv_write_t* request, int status);
    static void on_shutdown(uv_shutdown_t* request, int status);
    static void on_close(uv_handle_t* handle);

    void process();
    void dispatch();
    void finish_exchange();
    void respond_refusal(const Status& status);
    void ensure_output();
    void flush();
    void update_reading();
    void update_deadline();
    void begin_linger();
    void begin_close();
    void release_output();
    bool busy() const;

    ShardRuntime& shard_;
    std::uint32_t slot_;
    uv_tcp_t tcp_{};
    uv_write_t write_request_{};
    uv_shutdown_t shutdown_request_{};
    std::optional<RequestParser> parser_;  // Rebuilt in place for each accepted socket.
    Exchange exchange_;
    std::string out_;      // Responses being built.
    std::string sending_;  // Responses handed to uv_write; stable until on_write.
    std::uint64_t deadline_ms_ = 0;
    std::uint64_t exchanges_ = 0;
    ParsePhase last_phase_ = ParsePhase::idle;
    bool reading_ = false;
    bool writing_ = false;
    bool exchange_active_ = false;
    bool close_after_write_ = false;
    bool lingering_ = false;
    bool closing_ = false;
    bool peer_closed_ = false;
};

}  // namespace cashierd::http
