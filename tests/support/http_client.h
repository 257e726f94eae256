// A blocking raw-socket HTTP/1.1 client for tests: sends exact bytes, reads exact responses
// (Content-Length framed, pipelined responses kept apart), and observes closes.
// Thread: the test's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cashierd::test {

struct HttpResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    /// First header with this name (case-insensitive), or "".
    std::string header(std::string_view name) const;
};

class RawClient {
public:
    RawClient() = default;
    ~RawClient();
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    RawClient(RawClient&& other) noexcept : fd_(other.fd_), buffer_(std::move(other.buffer_)) {
        other.fd_ = -1;
    }

    bool connect(std::uint16_t port);
    bool send(std::string_view bytes);
    /// Reads one response; false on timeout, close or a malformed response. `head_request`:
    /// the response answers a HEAD, so it has no body whatever its Content-Length says.
    bool read_response(HttpResponse& out, int timeout_ms = 5000, bool head_request = false);
    /// True if the peer closes (EOF or reset) within `timeout_ms`; unread data is discarded.
    bool wait_closed(int timeout_ms = 5000);
    void close();

    int fd() const { return fd_; }

private:
    bool fill(int timeout_ms);

    int fd_ = -1;
    std::string buffer_;
};

/// One request on a new connection: `method path`, Host and Content-Length added.
HttpResponse http_request(std::uint16_t port, std::string_view method, std::string_view path,
                          std::string_view body = {},
                          const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace cashierd::test
