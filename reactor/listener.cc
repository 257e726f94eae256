#include "reactor/listener.h"

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cashierd::reactor {
namespace {

bool make_address(const std::string& host, std::uint16_t port, sockaddr_storage& address,
                  socklen_t& length) {
    std::memset(&address, 0, sizeof address);
    std::string name = host == "localhost" ? "127.0.0.1" : host;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    if (inet_pton(AF_INET, name.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        length = sizeof(sockaddr_in);
        return true;
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    if (inet_pton(AF_INET6, name.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        length = sizeof(sockaddr_in6);
        return true;
    }
    return false;
}

int open_one(const sockaddr_storage& address, socklen_t length, std::string& error,
             const std::string& where) {
    int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = "socket " + where + ": " + std::strerror(errno);
        return -1;
    }
    int one = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        error = "setsockopt " + where + ": " + std::strerror(errno);
        ::close(fd);
        return -1;
    }
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
        error = "bind " + where + ": " + std::strerror(errno);
        ::close(fd);
        return -1;
    }
    return fd;
}

// SO_REUSEPORT would let a second cashierd bind the same port and silently take half the
// traffic. A probe bound without it fails with EADDRINUSE while anyone listens there.
bool port_is_free(const sockaddr_storage& address, socklen_t length, const std::string& where,
                  std::string& error) {
    int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = "socket " + where + ": " + std::strerror(errno);
        return false;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool free = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) == 0;
    if (!free) error = "bind " + where + ": " + std::strerror(errno);
    ::close(fd);
    return free;
}

}  // namespace

bool open_listen_sockets(const std::string& host, std::uint16_t port, std::size_t count,
                         ListenSockets& out, std::string& error) {
    sockaddr_storage address{};
    socklen_t length = 0;
    if (!make_address(host, port, address, length)) {
        error = "listen address " + host + " is not an IP address";
        return false;
    }
    out.fds.clear();
    if (port != 0 && !port_is_free(address, length, host + ":" + std::to_string(port), error)) {
        return false;
    }
    for (std::size_t i = 0; i < count; ++i) {
        std::string where = host + ":" + std::to_string(port);
        int fd = open_one(address, length, error, where);
        if (fd < 0) {
            for (int open_fd : out.fds)
                ::close(open_fd);
            out.fds.clear();
            return false;
        }
        if (i == 0 && port == 0) {
            // Resolve the ephemeral port once; every other shard binds the same one.
            sockaddr_storage bound{};
            socklen_t bound_length = sizeof bound;
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
            port = bound.ss_family == AF_INET
                           ? ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port)
                           : ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
            make_address(host, port, address, length);
        }
        out.fds.push_back(fd);
    }
    out.port = port;
    return true;
}

int listen_on_loop(uv_loop_t* loop, uv_tcp_t* handle, int fd, int backlog,
                   uv_connection_cb on_connection) {
    int rc = uv_tcp_init(loop, handle);
    if (rc != 0) return rc;
    rc = uv_tcp_open(handle, fd);
    if (rc != 0) return rc;
    return uv_listen(reinterpret_cast<uv_stream_t*>(handle), backlog, on_connection);
}

std::uint64_t raise_open_files_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur;
}

}  // namespace cashierd::reactor
