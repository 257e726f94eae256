// Structured logging: one JSON object per line on stderr, with fixed field names
// (time, level, shard, request_id, route, status, duration_us, message, then extras).
// Secrets never reach this module: callers pass only what may be shown to an operator.
// Thread: any. Each line is formatted in a thread-local buffer and written with one write(2),
// so lines from different shards never interleave and logging never allocates.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace cashierd::log {

enum class Level : std::uint8_t { debug, info, warn, error };

void set_level(Level level);
bool enabled(Level level);
std::string_view level_name(Level level);

/// Which shard this thread is (-1 for the main thread); stamped on every line it writes.
void set_thread_shard(int shard);

/// An extra field. `text` is written as a JSON string unless `is_number` (then `number`).
struct Extra {
    std::string_view key;
    std::string_view text;
    std::int64_t number = 0;
    bool is_number = false;

    Extra(std::string_view k, std::string_view v) : key(k), text(v) {}

    Extra(std::string_view k, std::int64_t v) : key(k), number(v), is_number(true) {}

    Extra(std::string_view k, int v) : key(k), number(v), is_number(true) {}

    Extra(std::string_view k, unsigned v) : key(k), number(v), is_number(true) {}
};

/// Request-scoped fields; empty / negative ones are left out of the line.
struct Context {
    std::string_view request_id;
    std::string_view route;
    int status = -1;
    std::int64_t duration_us = -1;
};

void write(Level level, const Context& context, std::string_view message,
           std::initializer_list<Extra> extras = {});

inline void info(std::string_view message, std::initializer_list<Extra> extras = {}) {
    if (enabled(Level::info)) write(Level::info, Context{}, message, extras);
}

inline void warn(std::string_view message, std::initializer_list<Extra> extras = {}) {
    if (enabled(Level::warn)) write(Level::warn, Context{}, message, extras);
}

inline void error(std::string_view message, std::initializer_list<Extra> extras = {}) {
    if (enabled(Level::error)) write(Level::error, Context{}, message, extras);
}

/// Formats one line into `out` (at most `capacity` bytes, always ending in '\n'); returns its
/// length. Exposed for tests; write() uses it.
std::size_t format_line(char* out, std::size_t capacity, std::int64_t unix_micros, Level level,
                        int shard, const Context& context, std::string_view message,
                        std::initializer_list<Extra> extras);

}  // namespace cashierd::log
