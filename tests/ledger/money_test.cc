// Tests for ledger/money: the currency table, parse_amount's grammar and refusals, exponent
// boundaries 0..18, format_amount, and format/parse round trips. The random round-trip test
// prints its seed; set CASHIERD_TEST_SEED to replay one. Thread: the test's own.
#include "ledger/money.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace cashierd::ledger {
namespace {

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();

std::string format(std::int64_t amount_minor, std::uint8_t exponent) {
    char out[amount_text_bytes_max];
    const std::size_t length = format_amount(amount_minor, exponent, out);
    return std::string(out, length);
}

// A reference formatter for non-negative values built from std::to_string, independent of
// format_amount, so that the boundary tests do not check the code against itself.
std::string reference_text(std::uint64_t minor, std::uint8_t exponent) {
    const std::string digits = std::to_string(minor);
    const std::size_t width = std::max(digits.size(), std::size_t{exponent} + 1);
    const std::string padded = std::string(width - digits.size(), '0') + digits;
    if (exponent == 0) return padded;
    return padded.substr(0, width - exponent) + "." + padded.substr(width - exponent);
}

std::int64_t power_of_ten(int power) {
    std::int64_t value = 1;
    for (int i = 0; i < power; ++i)
        value *= 10;
    return value;
}

// Expects a refusal with the given detail; returns a message naming the input on failure.
::testing::AssertionResult refused(std::string_view text, std::uint8_t exponent,
                                   std::string_view detail) {
    const Result<std::int64_t> result = parse_amount(text, exponent);
    if (result.ok()) {
        return ::testing::AssertionFailure() << "\"" << text << "\" at exponent " << int{exponent}
                                             << " parsed as " << result.value();
    }
    if (result.status().code() != StatusCode::invalid_data || result.status().detail() != detail) {
        return ::testing::AssertionFailure() << "\"" << text << "\" at exponent " << int{exponent}
                                             << " refused with " << result.status().name() << "/"
                                             << result.status().detail() << ", expected " << detail;
    }
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult parsed(std::string_view text, std::uint8_t exponent,
                                  std::int64_t expected) {
    const Result<std::int64_t> result = parse_amount(text, exponent);
    if (!result.ok()) {
        return ::testing::AssertionFailure()
               << "\"" << text << "\" at exponent " << int{exponent} << " refused with "
               << result.status().detail() << ", expected " << expected;
    }
    if (result.value() != expected) {
        return ::testing::AssertionFailure()
               << "\"" << text << "\" at exponent " << int{exponent} << " parsed as "
               << result.value() << ", expected " << expected;
    }
    return ::testing::AssertionSuccess();
}

// ---- Currency table ----

struct CurrencyCase {
    std::string_view code;
    std::uint16_t numeric;
    std::uint8_t exponent;
};

// Written from the ISO 4217 list, not copied from the implementation's table.
constexpr CurrencyCase iso_cases[] = {
        {"USD", 840, 2}, {"EUR", 978, 2}, {"GBP", 826, 2}, {"JPY", 392, 0}, {"CHF", 756, 2},
        {"CAD", 124, 2}, {"AUD", 36, 2},  {"NZD", 554, 2}, {"SEK", 752, 2}, {"NOK", 578, 2},
        {"DKK", 208, 2}, {"PLN", 985, 2}, {"CZK", 203, 2}, {"HUF", 348, 2}, {"RON", 946, 2},
        {"TRY", 949, 2}, {"ZAR", 710, 2}, {"MXN", 484, 2}, {"BRL", 986, 2}, {"CNY", 156, 2},
        {"HKD", 344, 2}, {"SGD", 702, 2}, {"INR", 356, 2}, {"IDR", 360, 2}, {"THB", 764, 2},
        {"MYR", 458, 2}, {"PHP", 608, 2}, {"KRW", 410, 0}, {"AED", 784, 2}, {"SAR", 682, 2},
        {"ILS", 376, 2}, {"RUB", 643, 2}, {"UAH", 980, 2}, {"KZT", 398, 2}, {"NGN", 566, 2},
        {"KES", 404, 2}, {"EGP", 818, 2}, {"VND", 704, 0}, {"CLP", 152, 0}, {"COP", 170, 2},
        {"ARS", 32, 2},  {"PEN", 604, 2}, {"ISK", 352, 0}, {"KWD", 414, 3}, {"BHD", 48, 3},
        {"OMR", 512, 3}, {"JOD", 400, 3}, {"TND", 788, 3}, {"IQD", 368, 3}, {"LYD", 434, 3},
        {"BGN", 975, 2}, {"RSD", 941, 2}, {"GEL", 981, 2}, {"AZN", 944, 2}, {"TWD", 901, 2},
        {"PKR", 586, 2}, {"BDT", 50, 2},  {"LKR", 144, 2}, {"QAR", 634, 2}, {"MAD", 504, 2},
        {"GHS", 936, 2}, {"UGX", 800, 0}, {"PYG", 600, 0}, {"XOF", 952, 0}, {"XAF", 950, 0},
        {"XPF", 953, 0}, {"RWF", 646, 0}, {"UYU", 858, 2}, {"VES", 928, 2}, {"ALL", 8, 2},
};

TEST(CurrencyTableTest, IsoCurrenciesHaveTheirNumericAndExponent) {
    for (const CurrencyCase& expected : iso_cases) {
        SCOPED_TRACE(std::string(expected.code));
        const std::optional<Currency> by_code = find_currency(expected.code);
        ASSERT_TRUE(by_code.has_value());
        EXPECT_EQ(by_code->code, expected.code);
        EXPECT_EQ(by_code->numeric, expected.numeric);
        EXPECT_EQ(int{by_code->exponent}, int{expected.exponent});

        const std::optional<Currency> by_numeric = find_currency_by_numeric(expected.numeric);
        ASSERT_TRUE(by_numeric.has_value());
        EXPECT_EQ(by_numeric->code, expected.code);
        EXPECT_EQ(int{by_numeric->exponent}, int{expected.exponent});
    }
}

TEST(CurrencyTableTest, CoinsHaveNoNumericAndTheHeldExponent) {
    constexpr CurrencyCase coins[] = {
            {"BTC", 0, 8},  {"LTC", 0, 8},  {"BCH", 0, 8}, {"DOGE", 0, 8}, {"ETH", 0, 8},
            {"USDT", 0, 6}, {"USDC", 0, 6}, {"TRX", 0, 6}, {"XRP", 0, 6},  {"SOL", 0, 9},
    };
    for (const CurrencyCase& expected : coins) {
        SCOPED_TRACE(std::string(expected.code));
        const std::optional<Currency> coin = find_currency(expected.code);
        ASSERT_TRUE(coin.has_value());
        EXPECT_EQ(coin->code, expected.code);
        EXPECT_EQ(coin->numeric, 0);
        EXPECT_EQ(int{coin->exponent}, int{expected.exponent});
    }
}

TEST(CurrencyTableTest, LookupByCodeIsExactAndUpperCase) {
    const std::string_view unknown[] = {
            "",     "U",   "US",  "usd", "Usd", "uSD", "USd",   "btc",  "Btc", "USDX", "USD ",
            " USD", "XXX", "XAU", "XTS", "ZZZ", "AAA", "USDTT", "ZZZZ", "HRK", "EURO", "DOLLAR",
    };
    for (const std::string_view code : unknown) {
        EXPECT_FALSE(find_currency(code).has_value()) << "\"" << code << "\"";
    }
    // Codes with NUL bytes are different, unknown codes: the lookup compares whole views.
    EXPECT_FALSE(find_currency(std::string_view("USD\0", 4)).has_value());
    EXPECT_FALSE(find_currency(std::string_view("U\0D", 3)).has_value());
    // The first and last entries of the table are reachable (binary search bounds).
    EXPECT_TRUE(find_currency("ADA").has_value());
    EXPECT_TRUE(find_currency("AED").has_value());
    EXPECT_TRUE(find_currency("ZWL").has_value());
    EXPECT_FALSE(find_currency("A").has_value());
    EXPECT_FALSE(find_currency("ZZZZZ").has_value());
}

TEST(CurrencyTableTest, LookupByNumericRefusesUnassignedAndCoinZero) {
    // 0 is what every coin carries; it must not resolve to one of them.
    EXPECT_FALSE(find_currency_by_numeric(0).has_value());
    for (const std::uint16_t numeric : {1, 2, 7, 839, 841, 999, 1000, 4217, 65535}) {
        EXPECT_FALSE(find_currency_by_numeric(numeric).has_value()) << numeric;
    }
    // Smallest and largest ISO numerics in the table (binary search bounds).
    ASSERT_TRUE(find_currency_by_numeric(8).has_value());
    EXPECT_EQ(find_currency_by_numeric(8)->code, "ALL");
    ASSERT_TRUE(find_currency_by_numeric(986).has_value());
    EXPECT_EQ(find_currency_by_numeric(986)->code, "BRL");
}

// ---- parse_amount: accepted texts ----

struct AcceptCase {
    std::string_view text;
    std::uint8_t exponent;
    std::int64_t minor;
};

TEST(ParseAmountTest, AcceptsTheJsonNumberGrammar) {
    constexpr AcceptCase cases[] = {
            {"250", 2, 25000},
            {"250.1", 2, 25010},
            {"250.10", 2, 25010},
            {"250.100", 2, 25010},
            {"250.10000000000000000000", 2, 25010},
            {"0.01", 2, 1},
            {"0.010", 2, 1},
            {"0.1", 2, 10},
            {"1", 2, 100},
            {"1.0", 2, 100},
            {"10", 2, 1000},
            {"1234567.89", 2, 123456789},
            {"7", 0, 7},
            {"7.0", 0, 7},
            {"7.000", 0, 7},
            {"100", 0, 100},
            {"0.001", 3, 1},
            {"1.234", 3, 1234},
            {"0.00012345", 8, 12345},
            {"1", 8, 100000000},
            {"0.000001", 6, 1},
            {"2.5e2", 2, 25000},
            {"2.5E2", 2, 25000},
            {"2.5e+2", 2, 25000},
            {"2.5E+02", 2, 25000},
            {"2.5e0002", 2, 25000},
            {"25e-1", 2, 250},
            {"25E-1", 2, 250},
            {"1E-2", 2, 1},
            {"1e-2", 2, 1},
            {"1e0", 2, 100},
            {"1e-0", 2, 100},
            {"1e+0", 2, 100},
            {"0.5e1", 0, 5},
            {"0.05e2", 0, 5},
            {"0.000000001e9", 0, 1},
            {"1e-3", 3, 1},
            {"1e-8", 8, 1},
            {"12345e-8", 8, 12345},
            {"1.2345e-4", 8, 12345},
            {"100e-2", 0, 1},
            {"1000e-3", 0, 1},
            {"1.5e1", 0, 15},
            {"10e-1", 0, 1},
            {"1e13", 2, 1000000000000000},
            {"1e15", 0, 1000000000000000},
            {"0.0000000000000000000000000000000000000001e40", 0, 1},
            {"10000000000000000000000000000000000000000e-40", 2, 100},
            {"9999999999999.99", 2, 999999999999999},
            {"10000000000000", 2, amount_minor_max},
            {"10000000000000.00", 2, amount_minor_max},
            {"1000000000000000", 0, amount_minor_max},
            {"1000000000000000.000", 0, amount_minor_max},
            {"999999999999999", 0, 999999999999999},
    };
    for (const AcceptCase& c : cases) {
        EXPECT_TRUE(parsed(c.text, c.exponent, c.minor));
    }
}

// ---- parse_amount: refusals ----

struct RefuseCase {
    std::string_view text;
    std::uint8_t exponent;
    std::string_view detail;
};

constexpr std::string_view malformed = "amount_malformed";
constexpr std::string_view not_positive = "amount_not_positive";
constexpr std::string_view too_many_decimals = "amount_too_many_decimals";
constexpr std::string_view out_of_range = "amount_out_of_range";
constexpr std::string_view exponent_out_of_range = "amount_exponent_out_of_range";

TEST(ParseAmountTest, RefusesTextOutsideTheGrammar) {
    const std::string_view cases[] = {
            "",
            "-",
            "+",
            "+1",
            "+0",
            "--1",
            "+-1",
            "-+1",
            " 1",
            "1 ",
            "\t1",
            "1\n",
            "\n1",
            "1\r\n",
            "1 000",
            "01",
            "00",
            "00.5",
            "-01",
            "-00",
            "0001",
            "1.",
            "-1.",
            ".5",
            "-.5",
            ".",
            "1.e2",
            "1.E2",
            "1..2",
            "1.2.3",
            "1e",
            "1E",
            "1e+",
            "1e-",
            "1E-",
            "1e+-2",
            "1e--2",
            "1e 2",
            "e5",
            "E5",
            "1ee5",
            "1e5e5",
            "1e5.0",
            "1.5e2.5",
            "1e.5",
            "NaN",
            "nan",
            "-NaN",
            "Infinity",
            "-Infinity",
            "inf",
            "Inf",
            "1e999x",
            "0x10",
            "0X10",
            "0b1",
            "1_000",
            "1,5",
            "1,000.00",
            "1'000",
            "1-",
            "1+1",
            "1/2",
            "true",
            "null",
            "\"1\"",
            "'1'",
            "1f",
            "1d",
            "1L",
            "$1",
            "1$",
            "USD1",
            "\xef\xbc\x91",  // FULLWIDTH DIGIT ONE
            "\xd9\xa1",      // ARABIC-INDIC DIGIT ONE
            "1\xc2\xa0",     // trailing NO-BREAK SPACE
            "\xe2\x88\x92"
            "1",  // MINUS SIGN
    };
    for (const std::string_view text : cases) {
        EXPECT_TRUE(refused(text, 2, malformed));
        EXPECT_TRUE(refused(text, 0, malformed));
    }
    // Embedded NUL bytes: the text is not C-string terminated and must be read whole.
    EXPECT_TRUE(refused(std::string_view("1\0", 2), 2, malformed));
    EXPECT_TRUE(refused(std::string_view("\0"
                                         "1",
                                         2),
                        2, malformed));
    EXPECT_TRUE(refused(std::string_view("1.5\0"
                                         "0",
                                         5),
                        2, malformed));
    EXPECT_TRUE(refused(std::string_view("1e2\0", 4), 2, malformed));
}

TEST(ParseAmountTest, RefusesZeroAndNegativeValues) {
    constexpr RefuseCase cases[] = {
            {"0", 2, not_positive},
            {"0", 0, not_positive},
            {"-0", 2, not_positive},
            {"-0", 0, not_positive},
            {"0.0", 2, not_positive},
            {"0.00", 2, not_positive},
            {"0.000000000000000000000000", 2, not_positive},
            {"-0.00", 2, not_positive},
            {"0e0", 2, not_positive},
            {"0e5", 2, not_positive},
            {"0E+5", 2, not_positive},
            {"0e-5", 2, not_positive},
            // A zero is reported as zero even with an exponent beyond the allowed magnitude.
            {"0e99", 2, not_positive},
            {"0.0e-999", 2, not_positive},
            {"-1", 2, not_positive},
            {"-1", 0, not_positive},
            {"-250.00", 2, not_positive},
            {"-0.01", 2, not_positive},
            {"-2.5e2", 2, not_positive},
            // Negative is the first refusal reported, ahead of decimals and range.
            {"-0.001", 2, not_positive},
            {"-1e999", 2, not_positive},
            {"-99999999999999999999999999", 2, not_positive},
    };
    for (const RefuseCase& c : cases) {
        EXPECT_TRUE(refused(c.text, c.exponent, c.detail));
    }
}

TEST(ParseAmountTest, RefusesNonzeroDigitsBeyondTheExponent) {
    constexpr RefuseCase cases[] = {
            {"0.001", 2, too_many_decimals},
            {"250.101", 2, too_many_decimals},
            {"250.1000001", 2, too_many_decimals},
            {"0.1", 0, too_many_decimals},
            {"7.5", 0, too_many_decimals},
            {"7.00000001", 0, too_many_decimals},
            {"1.0001", 3, too_many_decimals},
            {"0.000000001", 8, too_many_decimals},
            {"0.0000001", 6, too_many_decimals},
            {"1e-3", 2, too_many_decimals},
            {"1E-1", 0, too_many_decimals},
            {"25e-2", 0, too_many_decimals},
            {"2.55e1", 0, too_many_decimals},
            {"1e-9", 8, too_many_decimals},
            {"1e-40", 18, too_many_decimals},
            {"1.23456789012345678901234567890e-10", 2, too_many_decimals},
            // Decimals are reported ahead of range: both are wrong, the precision is checked
            // first.
            {"100000000000000000000.001", 2, too_many_decimals},
    };
    for (const RefuseCase& c : cases) {
        EXPECT_TRUE(refused(c.text, c.exponent, c.detail));
    }
}

TEST(ParseAmountTest, RefusesValuesAboveTheMaximum) {
    constexpr RefuseCase cases[] = {
            {"10000000000000.01", 2, out_of_range},
            {"10000000000001", 2, out_of_range},
            {"1000000000000001", 0, out_of_range},
            {"9223372036854775807", 0, out_of_range},
            {"9223372036854775808", 0, out_of_range},
            {"18446744073709551616", 0, out_of_range},
            {"92233720368547758.07", 2, out_of_range},
            {"99999999999999999999999999999999", 2, out_of_range},
            {"1e14", 2, out_of_range},
            {"1e16", 0, out_of_range},
            {"1e19", 0, out_of_range},
            {"1e40", 2, out_of_range},
            {"1e40", 0, out_of_range},
            {"9.99e40", 0, out_of_range},
            {"1.0000000000001e13", 2, out_of_range},
            {"1", 16, out_of_range},
            {"1", 18, out_of_range},
            {"1", 19, out_of_range},
            {"1", 255, out_of_range},
            {"0.001", 255, out_of_range},
    };
    for (const RefuseCase& c : cases) {
        EXPECT_TRUE(refused(c.text, c.exponent, c.detail));
    }
}

TEST(ParseAmountTest, RefusesExponentsBeyondMagnitude40) {
    constexpr RefuseCase cases[] = {
            {"1e41", 2, exponent_out_of_range},
            {"1e+41", 0, exponent_out_of_range},
            {"1E41", 18, exponent_out_of_range},
            {"1e-41", 2, exponent_out_of_range},
            {"1e-41", 18, exponent_out_of_range},
            {"1e100", 2, exponent_out_of_range},
            {"1e400", 2, exponent_out_of_range},
            {"1e9223372036854775807", 2, exponent_out_of_range},
            {"1e9223372036854775808", 2, exponent_out_of_range},
            {"1e-9223372036854775808", 2, exponent_out_of_range},
            {"1e99999999999999999999999999999999999999", 2, exponent_out_of_range},
            // The magnitude is refused even where the value itself would be fine (here 1).
            {"100000000000000000000000000000000000000000e-41", 0, exponent_out_of_range},
            {"0.00000000000000000000000000000000000000001e41", 0, exponent_out_of_range},
    };
    for (const RefuseCase& c : cases) {
        EXPECT_TRUE(refused(c.text, c.exponent, c.detail));
    }
    // Leading zeros in the exponent are part of the grammar and do not count toward it.
    EXPECT_TRUE(parsed("1e00000000000000000000000000000000002", 2, 10000));
    EXPECT_TRUE(parsed("1e-00000000000000000000000000000000040", 40, 1));
    EXPECT_TRUE(refused("1e00000000000000000000000000000000041", 2, exponent_out_of_range));
}

TEST(ParseAmountTest, HandlesHugeDigitStrings) {
    const std::string zeros(100000, '0');
    const std::string nines(100000, '9');

    EXPECT_TRUE(refused("1" + zeros, 2, out_of_range));
    EXPECT_TRUE(refused(nines, 0, out_of_range));
    EXPECT_TRUE(refused(nines + "." + nines, 2, too_many_decimals));
    EXPECT_TRUE(refused(nines + ".00", 2, out_of_range));
    EXPECT_TRUE(refused("0." + zeros + "1", 18, too_many_decimals));
    EXPECT_TRUE(refused("0." + zeros, 2, not_positive));
    EXPECT_TRUE(refused("-0." + zeros, 2, not_positive));
    EXPECT_TRUE(refused(zeros, 2, malformed));
    EXPECT_TRUE(refused("1" + zeros + "x", 2, malformed));
    EXPECT_TRUE(refused("1e" + nines, 2, exponent_out_of_range));
    EXPECT_TRUE(refused("1e-" + nines, 2, exponent_out_of_range));

    EXPECT_TRUE(parsed("250.1" + zeros, 2, 25010));
    EXPECT_TRUE(parsed("1." + zeros + "e2", 0, 100));
    EXPECT_TRUE(parsed("1e" + zeros + "2", 2, 10000));
    EXPECT_TRUE(parsed("0.00000001" + zeros, 8, 1));
}

// ---- parse_amount: every currency exponent 0..18 at its boundaries ----

TEST(ParseAmountTest, ExponentBoundaries) {
    for (int e = 0; e <= 18; ++e) {
        const auto exponent = static_cast<std::uint8_t>(e);
        SCOPED_TRACE("exponent " + std::to_string(e));

        // The smallest unit, written out and in exponent form.
        EXPECT_TRUE(parsed(reference_text(1, exponent), exponent, 1));
        EXPECT_TRUE(parsed("1e-" + std::to_string(e), exponent, 1));
        EXPECT_TRUE(parsed(reference_text(1, exponent) + (e == 0 ? ".000" : "000"), exponent, 1));

        // One digit past the exponent: a nonzero digit is refused, a zero is not.
        const std::string tenth_of_unit = reference_text(1, exponent + 1);
        EXPECT_TRUE(refused(tenth_of_unit, exponent, too_many_decimals));
        EXPECT_TRUE(refused("1e-" + std::to_string(e + 1), exponent, too_many_decimals));
        EXPECT_TRUE(refused(reference_text(11, exponent + 1), exponent, too_many_decimals));
        EXPECT_TRUE(parsed(reference_text(10, exponent + 1), exponent, 1));

        // The maximum and one minor unit past it.
        const std::string max_text = reference_text(std::uint64_t{amount_minor_max}, exponent);
        EXPECT_TRUE(parsed(max_text, exponent, amount_minor_max));
        EXPECT_TRUE(parsed("1e" + std::to_string(15 - e), exponent, amount_minor_max));
        EXPECT_TRUE(refused(reference_text(std::uint64_t{amount_minor_max} + 1, exponent), exponent,
                            out_of_range));
        EXPECT_TRUE(refused("1e" + std::to_string(16 - e), exponent, out_of_range));
        EXPECT_TRUE(parsed(reference_text(std::uint64_t{amount_minor_max} - 1, exponent), exponent,
                           amount_minor_max - 1));

        // One whole unit, where it fits.
        if (e <= 15) {
            EXPECT_TRUE(parsed("1", exponent, power_of_ten(e)));
            EXPECT_TRUE(parsed("1." + std::string(static_cast<std::size_t>(e) + 1, '0'), exponent,
                               power_of_ten(e)));
        } else {
            EXPECT_TRUE(refused("1", exponent, out_of_range));
        }
        // Every digit of a 15-digit value at every position of the point.
        EXPECT_TRUE(parsed(reference_text(123456789012345, exponent), exponent, 123456789012345));
    }
}

// ---- format_amount ----

TEST(FormatAmountTest, WritesExactlyExponentFractionDigits) {
    EXPECT_EQ(format(25010, 2), "250.10");
    EXPECT_EQ(format(-5, 2), "-0.05");
    EXPECT_EQ(format(7, 0), "7");
    EXPECT_EQ(format(-7, 0), "-7");
    EXPECT_EQ(format(0, 0), "0");
    EXPECT_EQ(format(0, 2), "0.00");
    EXPECT_EQ(format(0, 8), "0.00000000");
    EXPECT_EQ(format(1, 2), "0.01");
    EXPECT_EQ(format(10, 2), "0.10");
    EXPECT_EQ(format(100, 2), "1.00");
    EXPECT_EQ(format(-100, 2), "-1.00");
    EXPECT_EQ(format(123456789, 2), "1234567.89");
    EXPECT_EQ(format(12345, 8), "0.00012345");
    EXPECT_EQ(format(1, 3), "0.001");
    EXPECT_EQ(format(1000, 3), "1.000");
    EXPECT_EQ(format(amount_minor_max, 2), "10000000000000.00");
    EXPECT_EQ(format(amount_minor_max, 18), "0.001000000000000000");
    EXPECT_EQ(format(1, 18), "0.000000000000000001");
}

TEST(FormatAmountTest, ExtremesOfInt64) {
    EXPECT_EQ(format(int64_max, 0), "9223372036854775807");
    EXPECT_EQ(format(int64_min, 0), "-9223372036854775808");
    EXPECT_EQ(format(int64_max, 2), "92233720368547758.07");
    EXPECT_EQ(format(int64_min, 2), "-92233720368547758.08");
    EXPECT_EQ(format(int64_min, 18), "-9.223372036854775808");
    EXPECT_EQ(format(int64_min, 19), "-0.9223372036854775808");
    EXPECT_EQ(format(int64_min + 1, 0), "-9223372036854775807");
    EXPECT_EQ(format(-1, 18), "-0.000000000000000001");
}

TEST(FormatAmountTest, WidestTextFillsTheBufferAndNoMore) {
    // -1 at the largest exponent that fits is "-0." and 45 digits: exactly the buffer.
    constexpr std::uint8_t widest_exponent = amount_text_bytes_max - 3;
    char out[amount_text_bytes_max + 8];
    std::fill(std::begin(out), std::end(out), '#');
    const std::size_t length = format_amount(-1, widest_exponent, out);
    EXPECT_EQ(length, amount_text_bytes_max);
    EXPECT_EQ(std::string(out, length), "-0." + std::string(widest_exponent - 1, '0') + "1");
    for (std::size_t i = amount_text_bytes_max; i < sizeof(out); ++i) {
        EXPECT_EQ(out[i], '#') << "byte " << i << " written past the text";
    }
}

TEST(FormatAmountTest, WritesOnlyTheReturnedLength) {
    char out[amount_text_bytes_max];
    std::fill(std::begin(out), std::end(out), '#');
    const std::size_t length = format_amount(25010, 2, out);
    ASSERT_EQ(length, 6u);
    for (std::size_t i = length; i < sizeof(out); ++i)
        EXPECT_EQ(out[i], '#') << i;
}

TEST(FormatAmountDeathTest, RefusesAnExponentTooWideForTheBuffer) {
    char out[amount_text_bytes_max];
    EXPECT_DEATH(format_amount(1, amount_text_bytes_max - 2, out), "assertion failed");
    EXPECT_DEATH(format_amount(1, 255, out), "assertion failed");
}

// ---- Round trips ----

TEST(RoundTripTest, CanonicalTextsSurviveParseThenFormat) {
    constexpr AcceptCase cases[] = {
            {"250.00", 2, 0},
            {"250.10", 2, 0},
            {"0.01", 2, 0},
            {"1234567.89", 2, 0},
            {"7", 0, 0},
            {"1", 0, 0},
            {"0.001", 3, 0},
            {"999.999", 3, 0},
            {"0.00012345", 8, 0},
            {"10000000.00000000", 8, 0},
            {"0.000001", 6, 0},
            {"10000000000000.00", 2, 0},
            {"1000000000000000", 0, 0},
            {"0.001000000000000000", 18, 0},
            {"0.000000000000000001", 18, 0},
    };
    for (const AcceptCase& c : cases) {
        const Result<std::int64_t> minor = parse_amount(c.text, c.exponent);
        ASSERT_TRUE(minor.ok()) << c.text << ": " << minor.status().detail();
        EXPECT_EQ(format(minor.value(), c.exponent), c.text);
    }
}

TEST(RoundTripTest, NonCanonicalTextsFormatCanonically) {
    EXPECT_EQ(format(parse_amount("2.5e2", 2).value(), 2), "250.00");
    EXPECT_EQ(format(parse_amount("250.1", 2).value(), 2), "250.10");
    EXPECT_EQ(format(parse_amount("250.1000", 2).value(), 2), "250.10");
    EXPECT_EQ(format(parse_amount("1E-2", 2).value(), 2), "0.01");
    EXPECT_EQ(format(parse_amount("1.2345e-4", 8).value(), 8), "0.00012345");
    EXPECT_EQ(format(parse_amount("5", 3).value(), 3), "5.000");
}

std::uint64_t test_seed() {
    if (const char* text = std::getenv("CASHIERD_TEST_SEED")) {
        return std::strtoull(text, nullptr, 10);
    }
    return std::random_device{}();
}

TEST(RoundTripTest, RandomAmountsSurviveFormatThenParse) {
    const std::uint64_t seed = test_seed();
    std::cout << "RoundTripTest seed: " << seed << " (replay with CASHIERD_TEST_SEED=" << seed
              << ")\n";
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 random(seed);
    std::uniform_int_distribution<std::int64_t> uniform(1, amount_minor_max);
    std::uniform_int_distribution<int> digit_count(1, 16);
    std::uniform_int_distribution<int> exponent_pick(0, 18);

    for (int i = 0; i < 200000; ++i) {
        // Half uniform (mostly 15-16 digits), half with a random digit count so that small
        // amounts and heavy zero padding are covered as often as large ones.
        std::int64_t minor = uniform(random);
        if (i % 2 == 1) {
            minor = minor % power_of_ten(digit_count(random));
            if (minor == 0) minor = 1;
        }
        const auto exponent = static_cast<std::uint8_t>(exponent_pick(random));

        const std::string text = format(minor, exponent);
        ASSERT_EQ(text, reference_text(static_cast<std::uint64_t>(minor), exponent));
        const Result<std::int64_t> back = parse_amount(text, exponent);
        ASSERT_TRUE(back.ok()) << text << " at exponent " << int{exponent} << ": "
                               << back.status().detail();
        ASSERT_EQ(back.value(), minor) << text << " at exponent " << int{exponent};

        // The negative of every amount formats with a sign and is refused by the parser.
        const std::string negative = format(-minor, exponent);
        ASSERT_EQ(negative, "-" + text);
        ASSERT_TRUE(refused(negative, exponent, not_positive));
    }
}

}  // namespace
}  // namespace cashierd::ledger
