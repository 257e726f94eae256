// JsonWriter: compact JSON appended to a caller's string. Strings are escaped so that any bytes
// written come back unchanged through a JSON parser, except invalid UTF-8, which becomes U+FFFD
// (one per maximal ill-formed subsequence, as Unicode §3.9 and WHATWG decoders do).
// Thread: any; one writer per output string. Nesting is capped at 64 levels (a code bug past it).
#include "http/json_writer.h"

#include <array>
#include <charconv>
#include <cstring>

#include "reactor/base/assert.h"

namespace cashierd::http {
namespace {

constexpr std::size_t depth_max = 64;
constexpr std::string_view replacement_character = "\\ufffd";
constexpr char hex_digits[] = "0123456789abcdef";

// Length of the well-formed UTF-8 sequence at the start of `bytes` (whose first byte is >= 0x80),
// or 0 if it is ill-formed; `ill_formed_bytes` is then the maximal subpart to replace, at least
// one byte. Ranges from Unicode Table 3-7, which excludes overlongs, surrogates and > U+10FFFF.
std::size_t utf8_sequence_size(std::string_view bytes, std::size_t& ill_formed_bytes) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    const unsigned char lead = byte(0);
    std::size_t size = 0;
    unsigned char second_min = 0x80;
    unsigned char second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        size = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        size = 3;
        if (lead == 0xE0) second_min = 0xA0;
        if (lead == 0xED) second_max = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        size = 4;
        if (lead == 0xF0) second_min = 0x90;
        if (lead == 0xF4) second_max = 0x8F;
    } else {
        ill_formed_bytes = 1;
        return 0;
    }
    std::size_t i = 1;
    for (; i < size && i < bytes.size(); ++i) {
        const unsigned char min = i == 1 ? second_min : 0x80;
        const unsigned char max = i == 1 ? second_max : 0xBF;
        if (byte(i) < min || byte(i) > max) break;
    }
    if (i == size) return size;
    ill_formed_bytes = i;
    return 0;
}

// True when none of the eight bytes in `word` needs a look: no control character, quote,
// backslash or non-ASCII byte. SWAR tests from "Bit Twiddling Hacks" (haszero, hasless), exact
// once bytes >= 0x80 are excluded. Strings are mostly plain, so skipping them eight bytes at a
// time saves about a tenth of the instructions of writing a typical response.
bool is_plain_word(std::uint64_t word) {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t high_bits = 0x8080808080808080ULL;
    const std::uint64_t control = (word - ones * 0x20) & ~word;
    const std::uint64_t quote = word ^ (ones * '"');
    const std::uint64_t backslash = word ^ (ones * '\\');
    const std::uint64_t special =
            control | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | word;
    return (special & high_bits) == 0;
}

// Bytes that break a plain run: control characters, quote, backslash and all non-ASCII bytes.
constexpr auto needs_look = [] {
    std::array<bool, 256> table{};
    for (std::size_t c = 0; c < table.size(); ++c) {
        table[c] = c < 0x20 || c >= 0x80 || c == '"' || c == '\\';
    }
    return table;
}();

void append_control(std::string& out, unsigned char c) {
    switch (c) {
        case '\b':
            out += "\\b";
            return;
        case '\f':
            out += "\\f";
            return;
        case '\n':
            out += "\\n";
            return;
        case '\r':
            out += "\\r";
            return;
        case '\t':
            out += "\\t";
            return;
        default:
            break;
    }
    const char escape[] = {'\\', 'u', '0', '0', hex_digits[c >> 4], hex_digits[c & 0xF]};
    out.append(escape, sizeof(escape));
}

}  // namespace

void JsonWriter::escape_into(std::string& out, std::string_view value) {
    // Copy runs of plain bytes at once; only the bytes that need a look break a run.
    std::size_t run_start = 0;
    std::size_t i = 0;
    while (i < value.size()) {
        if (value.size() - i >= sizeof(std::uint64_t)) {
            std::uint64_t word = 0;
            std::memcpy(&word, value.data() + i, sizeof(word));
            if (is_plain_word(word)) {
                i += sizeof(word);
                continue;
            }
        }
        const auto c = static_cast<unsigned char>(value[i]);
        if (!needs_look[c]) {
            ++i;
            continue;
        }
        out.append(value.data() + run_start, i - run_start);
        if (c < 0x20) {
            append_control(out, c);
            ++i;
        } else if (c == '"') {
            out += "\\\"";
            ++i;
        } else if (c == '\\') {
            out += "\\\\";
            ++i;
        } else {
            std::size_t ill_formed_bytes = 0;
            const std::size_t size = utf8_sequence_size(value.substr(i), ill_formed_bytes);
            if (size == 0) {
                out += replacement_character;
                i += ill_formed_bytes;
            } else {
                // U+2028 and U+2029 are valid JSON but end lines in JavaScript source.
                const std::string_view sequence = value.substr(i, size);
                if (sequence == "\xE2\x80\xA8") {
                    out += "\\u2028";
                } else if (sequence == "\xE2\x80\xA9") {
                    out += "\\u2029";
                } else {
                    out += sequence;
                }
                i += size;
            }
        }
        run_start = i;
    }
    out.append(value.data() + run_start, value.size() - run_start);
}

void JsonWriter::before_value() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (depth_ == 0) return;
    const std::uint64_t bit = std::uint64_t{1} << (depth_ - 1);
    if ((has_element_ & bit) != 0) out_ += ',';
    has_element_ |= bit;
}

JsonWriter& JsonWriter::begin_object() {
    before_value();
    CASHIERD_ASSERT(depth_ < depth_max);
    ++depth_;
    has_element_ &= ~(std::uint64_t{1} << (depth_ - 1));
    out_ += '{';
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    CASHIERD_ASSERT(depth_ > 0);
    CASHIERD_DEBUG_ASSERT(!after_key_);
    --depth_;
    out_ += '}';
    return *this;
}

JsonWriter& JsonWriter::begin_array() {
    before_value();
    CASHIERD_ASSERT(depth_ < depth_max);
    ++depth_;
    has_element_ &= ~(std::uint64_t{1} << (depth_ - 1));
    out_ += '[';
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    CASHIERD_ASSERT(depth_ > 0);
    CASHIERD_DEBUG_ASSERT(!after_key_);
    --depth_;
    out_ += ']';
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    CASHIERD_DEBUG_ASSERT(depth_ > 0);
    CASHIERD_DEBUG_ASSERT(!after_key_);
    before_value();
    out_ += '"';
    escape_into(out_, name);
    out_ += "\":";
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::string(std::string_view value) {
    before_value();
    out_ += '"';
    escape_into(out_, value);
    out_ += '"';
    return *this;
}

JsonWriter& JsonWriter::int64(std::int64_t value) {
    before_value();
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof(digits), value);
    out_.append(digits, result.ptr);
    return *this;
}

JsonWriter& JsonWriter::uint64(std::uint64_t value) {
    before_value();
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof(digits), value);
    out_.append(digits, result.ptr);
    return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
    before_value();
    out_ += value ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::null() {
    before_value();
    out_ += "null";
    return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
    CASHIERD_DEBUG_ASSERT(!json.empty());
    before_value();
    out_ += json;
    return *this;
}

}  // namespace cashierd::http
