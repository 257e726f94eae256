// Listening sockets for SO_REUSEPORT sharding. libuv 1.44 has no UV_TCP_REUSEPORT, so the
// sockets are made by hand (socket, SO_REUSEADDR, SO_REUSEPORT, bind), all on the main thread
// before shards start, so that port 0 resolves to one ephemeral port shared by every shard.
// Each shard then adopts its socket with uv_tcp_open and listens on its own loop.
// Thread: open_listen_sockets on the main thread; listen_on_loop on the owning shard.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <uv.h>

#include "reactor/base/status.h"

namespace cashierd::reactor {

struct ListenSockets {
    std::vector<int> fds;    // One per shard.
    std::uint16_t port = 0;  // The bound port (resolved when 0 was asked for).
};

/// Binds `count` SO_REUSEPORT sockets to host:port (IPv4, IPv6 or "localhost"). On failure
/// closes what it opened and returns false with `error` set (e.g. "bind 127.0.0.1:8080:
/// Address already in use").
bool open_listen_sockets(const std::string& host, std::uint16_t port, std::size_t count,
                         ListenSockets& out, std::string& error);

/// Adopts `fd` into `handle` on `loop` and starts listening. Returns a libuv error code.
int listen_on_loop(uv_loop_t* loop, uv_tcp_t* handle, int fd, int backlog,
                   uv_connection_cb on_connection);

/// Raises RLIMIT_NOFILE's soft limit to its hard limit; returns the new soft limit.
std::uint64_t raise_open_files_limit();

}  // namespace cashierd::reactor
