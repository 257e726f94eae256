#include "reactor/base/log.h"

#include <atomic>
#include <cstdio>
#include <cstring>

#include <time.h>
#include <unistd.h>

#include "reactor/base/assert.h"
#include "reactor/base/clock.h"

namespace cashierd::log {
namespace {

std::atomic<Level> g_level{Level::info};
thread_local int t_shard = -1;

constexpr std::size_t line_bytes_max = 4096;

class LineBuffer {
public:
    LineBuffer(char* out, std::size_t capacity) : out_(out), capacity_(capacity - 1) {}

    void put(char c) {
        if (size_ < capacity_) out_[size_++] = c;
    }

    void put(std::string_view text) {
        for (char c : text)
            put(c);
    }

    void put_escaped(std::string_view text) {
        static constexpr char hex[] = "0123456789abcdef";
        for (char c : text) {
            auto byte = static_cast<unsigned char>(c);
            if (c == '"' || c == '\\') {
                put('\\');
                put(c);
            } else if (byte < 0x20 || byte >= 0x80) {
                // Bytes from clients are not trusted to be UTF-8: escaped, the line stays JSON.
                put("\\u00");
                put(hex[byte >> 4]);
                put(hex[byte & 0xf]);
            } else {
                put(c);
            }
        }
    }

    void put_number(std::int64_t value) {
        char digits[24];
        int length = std::snprintf(digits, sizeof digits, "%lld", static_cast<long long>(value));
        put(std::string_view(digits, static_cast<std::size_t>(length)));
    }

    void put_string_field(std::string_view key, std::string_view value) {
        put(",\"");
        put_escaped(key);
        put("\":\"");
        put_escaped(value);
        put('"');
    }

    void put_number_field(std::string_view key, std::int64_t value) {
        put(",\"");
        put_escaped(key);
        put("\":");
        put_number(value);
    }

    std::size_t finish() {
        out_[size_++] = '\n';  // capacity_ reserved one byte for it.
        return size_;
    }

private:
    char* out_;
    std::size_t capacity_;
    std::size_t size_ = 0;
};

void put_time(LineBuffer& line, std::int64_t unix_micros) {
    time_t seconds = static_cast<time_t>(unix_micros / 1000000);
    tm utc{};
    gmtime_r(&seconds, &utc);
    char text[40];
    int length =
            std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                          utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                          utc.tm_sec, static_cast<long long>(unix_micros % 1000000));
    line.put(std::string_view(text, static_cast<std::size_t>(length)));
}

}  // namespace

void set_level(Level level) {
    g_level.store(level, std::memory_order_relaxed);
}

bool enabled(Level level) {
    return level >= g_level.load(std::memory_order_relaxed);
}

std::string_view level_name(Level level) {
    switch (level) {
        case Level::debug:
            return "debug";
        case Level::info:
            return "info";
        case Level::warn:
            return "warn";
        case Level::error:
            return "error";
    }
    return "info";
}

void set_thread_shard(int shard) {
    t_shard = shard;
}

std::size_t format_line(char* out, std::size_t capacity, std::int64_t unix_micros, Level level,
                        int shard, const Context& context, std::string_view message,
                        std::initializer_list<Extra> extras) {
    CASHIERD_ASSERT(capacity >= 1);  // Room for the newline.
    LineBuffer line(out, capacity);
    line.put("{\"time\":\"");
    put_time(line, unix_micros);
    line.put('"');
    line.put_string_field("level", level_name(level));
    if (shard >= 0) line.put_number_field("shard", shard);
    if (!context.request_id.empty()) line.put_string_field("request_id", context.request_id);
    if (!context.route.empty()) line.put_string_field("route", context.route);
    if (context.status >= 0) line.put_number_field("status", context.status);
    if (context.duration_us >= 0) line.put_number_field("duration_us", context.duration_us);
    line.put_string_field("message", message);
    for (const Extra& extra : extras) {
        if (extra.is_number) {
            line.put_number_field(extra.key, extra.number);
        } else {
            line.put_string_field(extra.key, extra.text);
        }
    }
    line.put('}');
    return line.finish();
}

void write(Level level, const Context& context, std::string_view message,
           std::initializer_list<Extra> extras) {
    if (!enabled(level)) return;
    thread_local char buffer[line_bytes_max];
    std::size_t length = format_line(buffer, sizeof buffer, RealClock::instance().unix_micros(),
                                     level, t_shard, context, message, extras);
    // One write per line; a short write to a full pipe loses the tail rather than blocking twice.
    ssize_t written = ::write(STDERR_FILENO, buffer, length);
    (void)written;
}

}  // namespace cashierd::log
