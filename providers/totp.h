// TOTP (RFC 6238) for the withdrawal wizard's `google` 2FA: base32 secrets as authenticator
// apps show them, 6-digit codes over HMAC-SHA-1 with 30 s steps, and verification within one
// step either side. Remembering the last accepted step durably is the caller's job.
// Thread: pure functions, safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cashierd::providers {

/// Seconds per TOTP time step (RFC 6238 X, the value authenticator apps use).
inline constexpr std::int64_t totp_step_seconds = 30;

/// Digits in a code.
inline constexpr std::size_t totp_code_digits = 6;

/// Decodes RFC 4648 base32 (A-Z2-7, case-insensitive, '=' padding optional, spaces ignored as
/// authenticator apps show them). False on any other character or a bad length: a data length
/// of 1, 3 or 6 mod 8, padding anywhere but the end, or padding that does not complete a group
/// of 8. Bits left over after the last whole byte are ignored, as authenticator apps do.
/// `out` is untouched on refusal.
bool base32_decode(std::string_view text, std::string& out);

/// The 6-digit TOTP code (RFC 6238, HMAC-SHA-1, 30 s steps, T0 = 0) for the time step `step`
/// (= unix_seconds / 30), as 6 ASCII digits with leading zeros. `key` is the decoded secret.
std::array<char, totp_code_digits> totp_code(std::string_view key, std::uint64_t step);

/// Checks `code` (must be exactly 6 ASCII digits) against the steps now/30 - 1, now/30,
/// now/30 + 1 and returns the matching step, or nothing. Compares in constant time
/// (crypto::constant_time_equal) and checks all three steps whatever matches, so timing does
/// not tell which. `last_used_step`: a code for a step <= this is refused (each code accepted
/// once: the caller stores the returned step durably and passes it back next time; pass 0 when
/// none was ever accepted, step 0 being 1970). If the code matches two usable steps (a 1 in
/// 10^6 coincidence), the earlier is returned so fewer future codes are burnt. Refuses everything
/// for an empty `key` (no secret configured must not mean a code anyone can compute) and for
/// `now_unix` < 0.
std::optional<std::uint64_t> totp_verify(std::string_view key, std::string_view code,
                                         std::int64_t now_unix, std::uint64_t last_used_step);

}  // namespace cashierd::providers
