#include "tests/support/http_client.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cashierd::test {

std::string HttpResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (key.size() == name.size() && ::strncasecmp(key.data(), name.data(), key.size()) == 0) {
            return value;
        }
    }
    return "";
}

RawClient::~RawClient() {
    close();
}

bool RawClient::connect(std::uint16_t port) {
    close();
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        close();
        return false;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return true;
}

bool RawClient::send(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
}

bool RawClient::fill(int timeout_ms) {
    pollfd poll_fd{fd_, POLLIN, 0};
    int ready = ::poll(&poll_fd, 1, timeout_ms);
    if (ready <= 0) return false;
    char chunk[16384];
    ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(got));
    return true;
}

bool RawClient::read_response(HttpResponse& out, int timeout_ms, bool head_request) {
    out = HttpResponse{};
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    auto remaining = [&] {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
        return static_cast<int>(std::max<long>(0, left.count()));
    };
    std::size_t head_end = std::string::npos;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
        if (!fill(remaining())) return false;
    }
    std::string head = buffer_.substr(0, head_end);
    if (head.rfind("HTTP/1.1 ", 0) != 0 || head.size() < 12) return false;
    out.status = std::atoi(head.c_str() + 9);
    std::size_t line_start = head.find("\r\n");
    std::size_t content_length = 0;
    while (line_start != std::string::npos && line_start + 2 < head.size()) {
        std::size_t next = head.find("\r\n", line_start + 2);
        std::string line =
                head.substr(line_start + 2,
                            next == std::string::npos ? std::string::npos : next - line_start - 2);
        std::size_t colon = line.find(':');
        if (colon != std::string::npos) {
            std::string name = line.substr(0, colon);
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ')
                value.erase(0, 1);
            if (::strcasecmp(name.c_str(), "Content-Length") == 0) {
                content_length = std::strtoul(value.c_str(), nullptr, 10);
            }
            out.headers.emplace_back(name, value);
        }
        line_start = next;
    }
    if (head_request) content_length = 0;
    std::size_t total = head_end + 4 + content_length;
    while (buffer_.size() < total) {
        if (!fill(remaining())) return false;
    }
    out.body = buffer_.substr(head_end + 4, content_length);
    buffer_.erase(0, total);
    return true;
}

bool RawClient::wait_closed(int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd poll_fd{fd_, POLLIN, 0};
        int ready = ::poll(&poll_fd, 1, 50);
        if (ready <= 0) continue;
        char chunk[16384];
        ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
        if (got == 0) return true;
        if (got < 0 && errno != EINTR && errno != EAGAIN) return true;
    }
    return false;
}

void RawClient::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
}

HttpResponse http_request(std::uint16_t port, std::string_view method, std::string_view path,
                          std::string_view body,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
    RawClient client;
    HttpResponse response;
    if (!client.connect(port)) return response;
    std::string request;
    request.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (const auto& [name, value] : headers)
        request.append(name + ": " + value + "\r\n");
    if (!body.empty() || method == "POST" || method == "PUT") {
        request.append("Content-Length: " + std::to_string(body.size()) + "\r\n");
    }
    request.append("\r\n").append(body);
    client.send(request);
    client.read_response(response);
    return response;
}

}  // namespace cashierd::test
