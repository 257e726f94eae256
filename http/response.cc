#include "http/response.h"

#include <charconv>

#include <time.h>

namespace cashierd::http {

std::string_view reason_phrase(std::uint16_t status) {
    switch (status) {
        case 100:
            return "Continue";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 303:
            return "See Other";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 413:
            return "Content Too Large";
        case 415:
            return "Unsupported Media Type";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        default:
            return "Unknown";
    }
}

namespace {

void append_number(std::string& out, std::uint64_t value) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
    (void)ec;
    out.append(digits, static_cast<std::size_t>(end - digits));
}

}  // namespace

void append_response(std::string& out, const ResponseHead& head, std::string_view body,
                     std::initializer_list<ExtraHeader> extra, bool head_only) {
    out.append("HTTP/1.1 ");
    append_number(out, head.status);
    out.push_back(' ');
    out.append(reason_phrase(head.status));
    out.append("\r\nServer: cashierd\r\n");
    if (!head.date.empty()) {
        out.append("Date: ");
        out.append(head.date);
        out.append("\r\n");
    }
    if (!head.content_type.empty()) {
        out.append("Content-Type: ");
        out.append(head.content_type);
        out.append("\r\n");
    }
    out.append("Content-Length: ");
    append_number(out, body.size());
    out.append("\r\n");
    if (!head.request_id.empty()) {
        out.append("X-Request-Id: ");
        out.append(head.request_id);
        out.append("\r\n");
    }
    if (head.no_store) out.append("Cache-Control: no-store\r\n");
    for (const ExtraHeader& header : extra) {
        out.append(header.name);
        out.append(": ");
        out.append(header.value);
        out.append("\r\n");
    }
    if (head.close) out.append("Connection: close\r\n");
    out.append("\r\n");
    if (!head_only) out.append(body);
}

void append_continue(std::string& out) {
    out.append("HTTP/1.1 100 Continue\r\n\r\n");
}

void format_http_date(std::int64_t unix_seconds, char out[29]) {
    static constexpr char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t seconds = static_cast<time_t>(unix_seconds);
    tm utc{};
    gmtime_r(&seconds, &utc);
    auto two = [](char* at, int value) {
        at[0] = static_cast<char>('0' + value / 10);
        at[1] = static_cast<char>('0' + value % 10);
    };
    const char* day = days[utc.tm_wday];
    const char* month = months[utc.tm_mon];
    out[0] = day[0];
    out[1] = day[1];
    out[2] = day[2];
    out[3] = ',';
    out[4] = ' ';
    two(out + 5, utc.tm_mday);
    out[7] = ' ';
    out[8] = month[0];
    out[9] = month[1];
    out[10] = month[2];
    out[11] = ' ';
    int year = utc.tm_year + 1900;
    two(out + 12, year / 100);
    two(out + 14, year % 100);
    out[16] = ' ';
    two(out + 17, utc.tm_hour);
    out[19] = ':';
    two(out + 20, utc.tm_min);
    out[22] = ':';
    two(out + 23, utc.tm_sec);
    out[25] = ' ';
    out[26] = 'G';
    out[27] = 'M';
    out[28] = 'T';
}

}  // namespace cashierd::http
