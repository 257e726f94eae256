// Money: int64 minor units and a currency with its exponent. Amounts enter the server as the
// exact decimal text of a JSON number (or a decimal string) and are parsed without ever
// becoming a floating-point value; they leave through format_amount().
// Thread: any (pure functions over a constant table).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "reactor/base/result.h"

namespace cashierd::ledger {

struct Currency {
    std::string_view code;  // ISO 4217 alphabetic or a coin ticker: "USD", "JPY", "BTC", "USDT".
    std::uint16_t numeric;  // ISO 4217 numeric (840 for USD); 0 for coins without one.
    std::uint8_t exponent;  // Minor-unit digits: USD 2, JPY 0, BTC 8, USDT 6.
};

/// Looks up a currency by code (exact, upper case). The table covers the ISO 4217 currencies a
/// broker meets (majors, minors, exotics) and the coins of the payout API.
std::optional<Currency> find_currency(std::string_view code);

/// Looks up a currency by ISO 4217 numeric code (e.g. 840 -> USD).
std::optional<Currency> find_currency_by_numeric(std::uint16_t numeric);

/// Parses a JSON number's exact text (grammar of RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?
/// ([eE][+-]?[0-9]+)?) as an amount in minor units of a currency with `exponent` digits.
/// Refused with StatusCode::invalid_data (detail says why): anything outside that grammar
/// (leading '+', leading zeros, "1.", ".5", NaN, Infinity, whitespace), zero, negative values,
/// nonzero digits beyond the currency's exponent (trailing zeros are fine: "250.10" and
/// "250.100" are both 25010 for USD), exponents that take the value beyond int64 or whose
/// magnitude exceeds 40, and values larger than amount_minor_max.
Result<std::int64_t> parse_amount(std::string_view text, std::uint8_t exponent);

/// The largest amount accepted anywhere, in minor units (10^15: well inside int64 after any
/// sum of a reasonable number of amounts).
inline constexpr std::int64_t amount_minor_max = 1000000000000000;

/// Writes `amount_minor` as a decimal with exactly `exponent` fraction digits (no fraction
/// part when exponent is 0): 25010, 2 -> "250.10"; -5, 2 -> "-0.05"; 7, 0 -> "7".
/// Returns the number of bytes written; `out` must hold at least amount_text_bytes_max bytes.
std::size_t format_amount(std::int64_t amount_minor, std::uint8_t exponent, char* out);

inline constexpr std::size_t amount_text_bytes_max = 48;

}  // namespace cashierd::ledger
