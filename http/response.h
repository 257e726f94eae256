// Response serialisation: status line, headers and body appended to a connection's output
// string in one pass. Pure: no sockets, no clock (the caller passes the Date value).
// Thread: any.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace cashierd::http {

struct ResponseHead {
    std::uint16_t status = 200;
    std::string_view content_type = "application/json";
    std::string_view request_id;
    std::string_view date;  // IMF-fixdate, e.g. "Sun, 22 Nov 2026 10:00:00 GMT".
    bool close = false;     // Adds "Connection: close".
    bool no_store = true;   // Adds "Cache-Control: no-store" (API answers are never cached).
};

struct ExtraHeader {
    std::string_view name;
    std::string_view value;
};

/// Reason phrase for a status code ("OK", "Not Found", ...); "Unknown" for others.
std::string_view reason_phrase(std::uint16_t status);

/// Appends a complete response. `body_length` is written as Content-Length; if `head_only`
/// the body itself is left out (HEAD requests).
void append_response(std::string& out, const ResponseHead& head, std::string_view body,
                     std::initializer_list<ExtraHeader> extra = {}, bool head_only = false);

/// Appends "HTTP/1.1 100 Continue\r\n\r\n".
void append_continue(std::string& out);

/// Formats an IMF-fixdate for `unix_seconds` into `out` (29 bytes, not terminated).
void format_http_date(std::int64_t unix_seconds, char out[29]);

}  // namespace cashierd::http
