// Tests for reactor listeners: SO_REUSEPORT sockets sharing one resolved port, the error paths
// of open_listen_sockets (bad host, port taken, running out of descriptors part-way) and
// listen_on_loop accepting a real connection.
// Thread: test thread only; it owns every socket and loop it makes.
#include "reactor/listener.h"

#include <cerrno>
#include <cstdint>
#include <string>

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

namespace cashierd::reactor {
namespace {

void close_all(ListenSockets& sockets) {
    for (int fd : sockets.fds)
        ::close(fd);
    sockets.fds.clear();
}

struct Bound {
    int family = 0;
    std::uint16_t port = 0;
    std::string address;
};

Bound bound_address(int fd) {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    Bound bound;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return bound;
    bound.family = storage.ss_family;
    char text[INET6_ADDRSTRLEN] = {};
    if (storage.ss_family == AF_INET) {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
        bound.port = ntohs(v4->sin_port);
        ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    } else if (storage.ss_family == AF_INET6) {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
        bound.port = ntohs(v6->sin6_port);
        ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    }
    bound.address = text;
    return bound;
}

int socket_option(int fd, int option) {
    int value = 0;
    socklen_t length = sizeof value;
    if (::getsockopt(fd, SOL_SOCKET, option, &value, &length) != 0) return -1;
    return value;
}

bool fd_is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

TEST(ListenerTest, PortZeroResolvesToOnePortSharedByEverySocket) {
    ListenSockets sockets;
    std::string error;
    ASSERT_TRUE(open_listen_sockets("127.0.0.1", 0, 3, sockets, error)) << error;
    EXPECT_TRUE(error.empty()) << error;
    ASSERT_EQ(sockets.fds.size(), 3u);
    EXPECT_NE(sockets.port, 0);
    for (int fd : sockets.fds) {
        Bound bound = bound_address(fd);
        EXPECT_EQ(bound.family, AF_INET);
        EXPECT_EQ(bound.address, "127.0.0.1");
        EXPECT_EQ(bound.port, sockets.port) << "fd " << fd;
        EXPECT_EQ(socket_option(fd, SO_REUSEPORT), 1);
        EXPECT_EQ(socket_option(fd, SO_REUSEADDR), 1);
        EXPECT_EQ(socket_option(fd, SO_TYPE), SOCK_STREAM);
        // Adopted by libuv later: must be non-blocking, and must not leak into children.
        int status_flags = ::fcntl(fd, F_GETFL);
        EXPECT_NE(status_flags & O_NONBLOCK, 0);
        EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    }
    EXPECT_NE(sockets.fds[0], sockets.fds[1]);
    EXPECT_NE(sockets.fds[1], sockets.fds[2]);
    close_all(sockets);
}

TEST(ListenerTest, SecondSetOnAPortSomeoneListensOnIsRefused) {
    ListenSockets first;
    std::string error;
    ASSERT_TRUE(open_listen_sockets("127.0.0.1", 0, 2, first, error)) << error;
    // SO_REUSEPORT alone would let a second server join the port and silently take a share
    // of the traffic; the probe bind without it refuses while the first set listens.
    ASSERT_EQ(::listen(first.fds[0], 16), 0);
    ListenSockets second;
    EXPECT_FALSE(open_listen_sockets("127.0.0.1", first.port, 2, second, error));
    EXPECT_TRUE(second.fds.empty());
    EXPECT_NE(error.find("Address already in use"), std::string::npos) << error;
    close_all(first);
    // Once the first set is gone the port is free again.
    ASSERT_TRUE(open_listen_sockets("127.0.0.1", first.port, 2, second, error)) << error;
    EXPECT_EQ(second.port, first.port);
    close_all(second);
}

TEST(ListenerTest, PortHeldWithoutReusePortFailsWithBindErrorAndLeaksNothing) {
    int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(holder, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(holder, 1), 0);
    std::uint16_t port = bound_address(holder).port;
    ASSERT_NE(port, 0);

    int lowest_free = ::dup(holder);
    ASSERT_GE(lowest_free, 0);
    ::close(lowest_free);

    ListenSockets sockets;
    sockets.fds.push_back(12345);  // Stale content must not survive a failure.
    std::string error;
    EXPECT_FALSE(open_listen_sockets("127.0.0.1", port, 3, sockets, error));
    EXPECT_TRUE(sockets.fds.empty());
    std::string prefix = "bind 127.0.0.1:" + std::to_string(port) + ": ";
    EXPECT_EQ(error.rfind(prefix, 0), 0u) << error;
    EXPECT_NE(error.find("Address already in use"), std::string::npos) << error;
    // The descriptor the failed attempt made was closed: the lowest free fd is unchanged.
    int probe = ::dup(holder);
    EXPECT_EQ(probe, lowest_free);
    ::close(probe);
    ::close(holder);
}

// Restores RLIMIT_NOFILE however the test ends.
class OpenFilesLimit {
public:
    OpenFilesLimit() { ::getrlimit(RLIMIT_NOFILE, &saved_); }

    ~OpenFilesLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

    OpenFilesLimit(const OpenFilesLimit&) = delete;
    OpenFilesLimit& operator=(const OpenFilesLimit&) = delete;

    bool set_soft(rlim_t soft) {
        rlimit limit = saved_;
        limit.rlim_cur = soft;
        return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
    }

    const rlimit& saved() const { return saved_; }

private:
    rlimit saved_{};
};

TEST(ListenerTest, FailureAfterTheFirstSocketClosesTheOnesAlreadyOpen) {
    // Leave room for exactly one more descriptor: the first socket opens, the second fails.
    int lowest_free = ::dup(0);
    ASSERT_GE(lowest_free, 0);
    ::close(lowest_free);
    ListenSockets sockets;
    std::string error;
    bool opened = true;
    {
        OpenFilesLimit limit;
        ASSERT_TRUE(limit.set_soft(static_cast<rlim_t>(lowest_free) + 1));
        opened = open_listen_sockets("127.0.0.1", 0, 3, sockets, error);
    }
    EXPECT_FALSE(opened);
    EXPECT_TRUE(sockets.fds.empty());
    EXPECT_FALSE(fd_is_open(lowest_free)) << "first socket leaked";
    EXPECT_EQ(error.rfind("socket 127.0.0.1:", 0), 0u) << error;
    EXPECT_NE(error.find("Too many open files"), std::string::npos) << error;
    // The message names the resolved port, not the 0 that was asked for.
    EXPECT_EQ(error.find("127.0.0.1:0:"), std::string::npos) << error;
}

TEST(ListenerTest, HostThatIsNotAnAddressFails) {
    for (const char* host : {"not-an-ip", "", "127.0.0.256", "example.com", "1.2.3.4 "}) {
        ListenSockets sockets;
        std::string error;
        EXPECT_FALSE(open_listen_sockets(host, 0, 2, sockets, error)) << host;
        EXPECT_TRUE(sockets.fds.empty()) << host;
        EXPECT_EQ(error, std::string("listen address ") + host + " is not an IP address");
    }
}

TEST(ListenerTest, LocalhostMeansIpv4Loopback) {
    ListenSockets sockets;
    std::string error;
    ASSERT_TRUE(open_listen_sockets("localhost", 0, 1, sockets, error)) << error;
    ASSERT_EQ(sockets.fds.size(), 1u);
    Bound bound = bound_address(sockets.fds[0]);
    EXPECT_EQ(bound.family, AF_INET);
    EXPECT_EQ(bound.address, "127.0.0.1");
    EXPECT_EQ(bound.port, sockets.port);
    close_all(sockets);
}

bool ipv6_loopback_available() {
    int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

TEST(ListenerTest, Ipv6LoopbackSharesOnePort) {
    if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback on this machine";
    ListenSockets sockets;
    std::string error;
    ASSERT_TRUE(open_listen_sockets("::1", 0, 2, sockets, error)) << error;
    ASSERT_EQ(sockets.fds.size(), 2u);
    EXPECT_NE(sockets.port, 0);
    for (int fd : sockets.fds) {
        Bound bound = bound_address(fd);
        EXPECT_EQ(bound.family, AF_INET6);
        EXPECT_EQ(bound.address, "::1");
        EXPECT_EQ(bound.port, sockets.port);
    }
    close_all(sockets);
}

struct AcceptProbe {
    uv_tcp_t server{};
    uv_tcp_t client{};
    uv_timer_t watchdog{};
    int status = 1;
    int accept_rc = 1;
    bool timed_out = false;
};

void close_probe(AcceptProbe* probe) {
    uv_close(reinterpret_cast<uv_handle_t*>(&probe->server), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&probe->watchdog), nullptr);
}

TEST(ListenerTest, ListenOnLoopAcceptsAConnection) {
    ListenSockets sockets;
    std::string error;
    ASSERT_TRUE(open_listen_sockets("127.0.0.1", 0, 1, sockets, error)) << error;

    uv_loop_t loop{};
    ASSERT_EQ(uv_loop_init(&loop), 0);
    AcceptProbe probe;
    probe.server.data = &probe;
    int rc = listen_on_loop(
            &loop, &probe.server, sockets.fds[0], 16, [](uv_stream_t* server, int status) {
                auto* self = static_cast<AcceptProbe*>(server->data);
                self->status = status;
                uv_tcp_init(server->loop, &self->client);
                self->accept_rc = uv_accept(server, reinterpret_cast<uv_stream_t*>(&self->client));
                uv_close(reinterpret_cast<uv_handle_t*>(&self->client), nullptr);
                close_probe(self);
            });
    ASSERT_EQ(rc, 0) << uv_err_name(rc);
    ASSERT_EQ(uv_timer_init(&loop, &probe.watchdog), 0);
    probe.watchdog.data = &probe;
    uv_timer_start(
            &probe.watchdog,
            [](uv_timer_t* timer) {
                auto* self = static_cast<AcceptProbe*>(timer->data);
                self->timed_out = true;
                close_probe(self);
            },
            10'000, 0);

    // The kernel completes the handshake from the backlog; accept happens in the loop.
    int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(client, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(sockets.port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);

    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0);
    ::close(client);
    // uv_close on the server handle closed the adopted descriptor.
    EXPECT_FALSE(fd_is_open(sockets.fds[0]));

    EXPECT_FALSE(probe.timed_out);
    EXPECT_EQ(probe.status, 0);
    EXPECT_EQ(probe.accept_rc, 0);
}

TEST(ListenerTest, RaiseOpenFilesLimitReachesTheHardLimit) {
    OpenFilesLimit limit;
    rlim_t hard = limit.saved().rlim_max;
    if (hard == RLIM_INFINITY || hard < 64) GTEST_SKIP() << "unusual hard limit";
    ASSERT_TRUE(limit.set_soft(hard / 2));
    EXPECT_EQ(raise_open_files_limit(), static_cast<std::uint64_t>(hard));
    rlimit now{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &now), 0);
    EXPECT_EQ(now.rlim_cur, hard);
}

}  // namespace
}  // namespace cashierd::reactor
