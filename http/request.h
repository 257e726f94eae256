// Request: a parsed HTTP/1.1 request as views into the connection's buffers. Valid from the
// moment RequestParser::next() returns request_ready until RequestParser::finish_request().
// Thread: the connection's shard.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "reactor/base/limits.h"

namespace cashierd::http {

enum class Method : std::uint8_t { get, head, post, put, delete_, patch, options, other };

struct Header {
    std::string_view name;
    std::string_view value;
};

/// ASCII case-insensitive equality, for header names.
bool equals_ignore_case(std::string_view a, std::string_view b);

struct Request {
    Method method = Method::other;
    std::string_view method_name;
    std::string_view target;  // The raw request-target.
    std::string_view path;    // target before '?'.
    std::string_view query;   // target after '?', without it; empty when absent.
    std::uint8_t version_minor = 1;
    bool keep_alive = true;

    std::array<Header, limits::headers_count_max> headers{};
    std::size_t headers_count = 0;

    // Found once while parsing (first occurrence; Host is unique by then).
    std::string_view host;
    std::string_view content_type;
    std::string_view authorization;
    std::string_view request_id;  // X-Request-Id as sent; not yet validated.

    /// The body, de-chunked. At least limits::json_padding_bytes readable bytes follow it
    /// (body_capacity >= body.size() + json_padding_bytes), as simdjson requires.
    std::string_view body;
    std::size_t body_capacity = 0;

    /// First header with this name (case-insensitive), or empty.
    std::string_view header(std::string_view name) const;
    /// Value of a query parameter (first occurrence, not percent-decoded), or empty.
    std::string_view query_param(std::string_view name) const;
    /// True if the query has the parameter at all (possibly with an empty value).
    bool has_query_param(std::string_view name) const;
};

}  // namespace cashierd::http
