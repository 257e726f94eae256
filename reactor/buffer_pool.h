// BufferPool: per-shard free lists of read buffers and strings, so a warmed-up shard serves
// requests without touching the heap. Idle connections hold no buffer at all: a connection takes
// one when bytes arrive and gives it back when it has nothing buffered.
// Thread: owning shard only (or one test thread).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "reactor/base/limits.h"

namespace cashierd::reactor {

class BufferPool {
public:
    /// Usable bytes of a read buffer, plus the JSON padding that may be read past its end.
    static constexpr std::size_t read_buffer_bytes = limits::read_buffer_bytes;
    static constexpr std::size_t read_buffer_capacity =
            limits::read_buffer_bytes + limits::json_padding_bytes;
    /// Strings larger than this are freed on release rather than kept.
    static constexpr std::size_t string_keep_capacity_max = 256 * std::size_t{1024};

    /// `keep_max`: how many free buffers and strings each list keeps before freeing extras.
    explicit BufferPool(std::size_t keep_max = 4096) : keep_max_(keep_max) {}

    BufferPool(const BufferPool&) = delete;
    BufferPool& operator=(const BufferPool&) = delete;

    /// Returns a buffer of read_buffer_capacity bytes; the caller owns it until release.
    char* acquire_read_buffer() {
        ++read_buffers_out_;
        if (free_read_buffers_.empty()) return new char[read_buffer_capacity];
        char* buffer = free_read_buffers_.back().release();
        free_read_buffers_.pop_back();
        return buffer;
    }

    void release_read_buffer(char* buffer) {
        if (buffer == nullptr) return;
        --read_buffers_out_;
        if (free_read_buffers_.size() >= keep_max_) {
            delete[] buffer;
            return;
        }
        free_read_buffers_.emplace_back(buffer);
    }

    /// Returns an empty string that usually already has capacity.
    std::string acquire_string() {
        if (free_strings_.empty()) return {};
        std::string result = std::move(free_strings_.back());
        free_strings_.pop_back();
        return result;
    }

    void release_string(std::string&& value) {
        if (value.capacity() > string_keep_capacity_max || free_strings_.size() >= keep_max_) {
            std::string().swap(value);
            return;
        }
        value.clear();
        free_strings_.push_back(std::move(value));
    }

    std::size_t read_buffers_out() const { return read_buffers_out_; }

private:
    std::size_t keep_max_;
    std::size_t read_buffers_out_ = 0;
    std::vector<std::unique_ptr<char[]>> free_read_buffers_;
    std::vector<std::string> free_strings_;
};

}  // namespace cashierd::reactor
