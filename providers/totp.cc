// TOTP (RFC 6238) and the base32 secrets it is keyed with (RFC 4648 section 6). The MAC comes
// from providers/crypto, so this file needs no crypto headers and runs on either backend.
// Thread: pure functions, safe from any thread.

#include "providers/totp.h"

#include <optional>
#include <string>
#include <utility>

#include "providers/crypto.h"

namespace cashierd::providers {

namespace {

constexpr std::uint32_t totp_code_modulus = 1'000'000;  // 10^totp_code_digits
static_assert(totp_code_digits == 6);

// 0..31 for an alphabet character of either case, -1 for anything else.
int base32_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= '2' && c <= '7') return c - '2' + 26;
    return -1;
}

bool is_ascii_digit(char c) {
    return c >= '0' && c <= '9';
}

}  // namespace

bool base32_decode(std::string_view text, std::string& out) {
    std::string decoded;
    decoded.reserve(text.size() * 5 / 8);
    std::uint32_t pending = 0;  // Bits read but not yet a whole byte; never more than 12.
    int pending_bits = 0;
    std::size_t data_chars = 0;
    std::size_t padding_chars = 0;
    for (const char c : text) {
        if (c == ' ') continue;
        if (c == '=') {
            ++padding_chars;
            continue;
        }
        // Padding ends the text; data after it would be a second, concatenated encoding.
        if (padding_chars != 0) return false;
        const int value = base32_value(c);
        if (value < 0) return false;
        pending = (pending << 5) | static_cast<std::uint32_t>(value);
        pending_bits += 5;
        ++data_chars;
        if (pending_bits >= 8) {
            pending_bits -= 8;
            decoded.push_back(static_cast<char>(pending >> pending_bits));
            pending &= (1U << pending_bits) - 1;
        }
    }
    // 1, 3 and 6 characters past a whole group leave bits that make no extra byte but more
    // than an encoder would pad with: no encoder writes them, so the text was cut or mistyped.
    const std::size_t tail_chars = data_chars % 8;
    if (tail_chars == 1 || tail_chars == 3 || tail_chars == 6) return false;
    // Padding, when present, must fill exactly the last group of 8.
    if (padding_chars != 0 && padding_chars != (8 - tail_chars) % 8) return false;
    // The leftover bits (fewer than 5) are not checked for zero: authenticator apps ignore them,
    // so a secret they accept must be accepted here too.
    out = std::move(decoded);
    return true;
}

std::array<char, totp_code_digits> totp_code(std::string_view key, std::uint64_t step) {
    // RFC 4226 section 5.2: the counter is 8 bytes, big-endian.
    std::array<char, 8> counter;
    for (std::size_t i = 0; i < counter.size(); ++i) {
        counter[counter.size() - 1 - i] = static_cast<char>((step >> (8 * i)) & 0xff);
    }
    const crypto::Sha1Digest mac =
            crypto::hmac_sha1(key, std::string_view(counter.data(), counter.size()));
    // Dynamic truncation (RFC 4226 section 5.3): the low nibble of the last byte picks 4 bytes,
    // of which the top bit is dropped so the value reads the same signed or unsigned.
    const std::size_t offset = mac[mac.size() - 1] & 0x0f;
    static_assert(crypto::Sha1Digest{}.size() >= 0x0f + 4);
    const std::uint32_t truncated =
            (std::uint32_t{mac[offset]} & 0x7f) << 24 | std::uint32_t{mac[offset + 1]} << 16 |
            std::uint32_t{mac[offset + 2]} << 8 | std::uint32_t{mac[offset + 3]};
    std::uint32_t value = truncated % totp_code_modulus;
    std::array<char, totp_code_digits> code;
    for (std::size_t i = code.size(); i > 0; --i) {
        code[i - 1] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    return code;
}

std::optional<std::uint64_t> totp_verify(std::string_view key, std::string_view code,
                                         std::int64_t now_unix, std::uint64_t last_used_step) {
    // With an empty key every code is public; a customer without a secret has no `google` 2FA.
    if (key.empty()) return std::nullopt;
    // Before 1970 there is no time step; only a broken clock gets here.
    if (now_unix < 0) return std::nullopt;
    // The format is not secret, so refusing it early tells an attacker nothing about the key.
    if (code.size() != totp_code_digits) return std::nullopt;
    for (const char c : code) {
        if (!is_ascii_digit(c)) return std::nullopt;
    }

    const std::uint64_t current_step = static_cast<std::uint64_t>(now_unix) / totp_step_seconds;
    std::uint64_t matched_step = 0;
    std::uint64_t matched_mask = 0;  // All ones once some usable step matched.
    // Latest first, each match overwriting the last, so the earliest usable match wins. Every
    // step is computed and compared, and the selection is by mask, not by branch, so neither the
    // time taken nor the branch pattern says which step the code was for (whether it matched at
    // all, the answer says anyway).
    for (int delta = 1; delta >= -1; --delta) {
        // Step -1 does not exist; whether it is skipped depends only on the clock.
        if (delta < 0 && current_step == 0) continue;
        const std::uint64_t step =
                delta < 0 ? current_step - 1 : current_step + static_cast<std::uint64_t>(delta);
        const std::array<char, totp_code_digits> expected = totp_code(key, step);
        const bool equal = crypto::constant_time_equal(
                std::string_view(expected.data(), expected.size()), code);
        // Replay refusal depends on public data only (the clock and the stored step).
        const bool usable = step > last_used_step;
        const std::uint64_t take =
                0 - (static_cast<std::uint64_t>(equal) & static_cast<std::uint64_t>(usable));
        matched_step = (step & take) | (matched_step & ~take);
        matched_mask |= take;
    }
    if (matched_mask == 0) return std::nullopt;
    return matched_step;
}

}  // namespace cashierd::providers
