// RecordWriter / RecordReader: the binary form of every stored record. Little-endian fixed
// fields, strings as u32 length + bytes, a version byte first (written by each record's
// encoder). Records are ours: a reader that runs past the end or meets an unknown version has
// found corruption or a bug, and stops the process (never handled as input).
// Thread: any.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "reactor/base/assert.h"

namespace cashierd::ledger {

class RecordWriter {
public:
    explicit RecordWriter(std::string& out) : out_(out) {}

    RecordWriter& u8(std::uint8_t value) {
        out_.push_back(static_cast<char>(value));
        return *this;
    }

    RecordWriter& u32(std::uint32_t value) { return fixed(value); }

    RecordWriter& u64(std::uint64_t value) { return fixed(value); }

    RecordWriter& i64(std::int64_t value) { return fixed(value); }

    RecordWriter& boolean(bool value) { return u8(value ? 1 : 0); }

    RecordWriter& string(std::string_view value) {
        CASHIERD_ASSERT(value.size() <= UINT32_MAX);
        u32(static_cast<std::uint32_t>(value.size()));
        out_.append(value);
        return *this;
    }

private:
    template <typename T>
    RecordWriter& fixed(T value) {
        char bytes[sizeof(T)];
        std::memcpy(bytes, &value, sizeof(T));  // Little-endian hosts only (x86-64, arm64).
        out_.append(bytes, sizeof(T));
        return *this;
    }

    std::string& out_;
};

class RecordReader {
public:
    explicit RecordReader(std::string_view bytes) : bytes_(bytes) {}

    std::uint8_t u8() {
        CASHIERD_ASSERT(offset_ < bytes_.size());
        return static_cast<std::uint8_t>(bytes_[offset_++]);
    }

    std::uint32_t u32() { return fixed<std::uint32_t>(); }

    std::uint64_t u64() { return fixed<std::uint64_t>(); }

    std::int64_t i64() { return fixed<std::int64_t>(); }

    bool boolean() {
        std::uint8_t value = u8();
        CASHIERD_ASSERT(value <= 1);
        return value == 1;
    }

    /// A view into the record's bytes: valid as long as they are.
    std::string_view string() {
        std::uint32_t length = u32();
        CASHIERD_ASSERT(length <= bytes_.size() - offset_);
        std::string_view value = bytes_.substr(offset_, length);
        offset_ += length;
        return value;
    }

    bool at_end() const { return offset_ == bytes_.size(); }

private:
    template <typename T>
    T fixed() {
        CASHIERD_ASSERT(sizeof(T) <= bytes_.size() - offset_);
        T value;
        std::memcpy(&value, bytes_.data() + offset_, sizeof(T));
        offset_ += sizeof(T);
        return value;
    }

    std::string_view bytes_;
    std::size_t offset_ = 0;
};

}  // namespace cashierd::ledger
