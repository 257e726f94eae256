// Money: the currency table and the exact conversions between decimal text and int64 minor
// units. No floating point anywhere: text is parsed with overflow-checked integer arithmetic,
// so "0.1" is 10 cents and never 0.1000000000000000055511151231257827.
// Thread: any. Pure functions over constexpr tables; nothing is allocated.
#include "ledger/money.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "reactor/base/assert.h"
#include "reactor/base/status.h"

namespace cashierd::ledger {
namespace {

// Sorted by code (checked below). ISO 4217 numerics and minor units as published by the ISO 4217
// maintenance agency; fund codes (BOV, CHE, CLF, ...), precious metals (XAU, XAG, ...), testing
// codes and withdrawn currencies (HRK) are left out because no account is held in them.
//
// Coins have numeric 0: ISO assigns them none. Their exponents are not always the chain's own:
// minor units must stay int64 for every amount up to amount_minor_max, and the chain's smallest
// unit does not. ETH and every 18-decimal token (DAI, BNB) are held at 8 decimals (10 gwei):
// 10^15 wei would cap an amount at 0.001 ETH. Payout conversions round down to the held
// precision, so nothing is ever sent that was not debited. USDT and USDC are held at 6, their
// precision on Ethereum and Tron (the 18-decimal BEP-20 variants are held at 6 too). Chains
// whose native unit fits are held at it so no payout is ever rounded twice: TRX 6 (sun),
// XRP 6 (drops), ADA 6 (lovelace), XLM 7 (stroops), SOL 9 (lamports), TON 9 (nanotons);
// 10^15 lamports still allows a million SOL in one amount.
constexpr Currency currencies[] = {
        {"ADA", 0, 6},    // coin
        {"AED", 784, 2},  // UAE Dirham
        {"AFN", 971, 2},  // Afghani
        {"ALL", 8, 2},    // Lek
        {"AMD", 51, 2},   // Armenian Dram
        {"ANG", 532, 2},  // Netherlands Antillean Guilder
        {"AOA", 973, 2},  // Kwanza
        {"ARS", 32, 2},   // Argentine Peso
        {"AUD", 36, 2},   // Australian Dollar
        {"AWG", 533, 2},  // Aruban Florin
        {"AZN", 944, 2},  // Azerbaijan Manat
        {"BAM", 977, 2},  // Convertible Mark
        {"BBD", 52, 2},   // Barbados Dollar
        {"BCH", 0, 8},    // coin
        {"BDT", 50, 2},   // Taka
        {"BGN", 975, 2},  // Bulgarian Lev
        {"BHD", 48, 3},   // Bahraini Dinar
        {"BIF", 108, 0},  // Burundi Franc
        {"BMD", 60, 2},   // Bermudian Dollar
        {"BNB", 0, 8},    // coin
        {"BND", 96, 2},   // Brunei Dollar
        {"BOB", 68, 2},   // Boliviano
        {"BRL", 986, 2},  // Brazilian Real
        {"BSD", 44, 2},   // Bahamian Dollar
        {"BTC", 0, 8},    // coin
        {"BTN", 64, 2},   // Ngultrum
        {"BWP", 72, 2},   // Pula
        {"BYN", 933, 2},  // Belarusian Ruble
        {"BZD", 84, 2},   // Belize Dollar
        {"CAD", 124, 2},  // Canadian Dollar
        {"CDF", 976, 2},  // Congolese Franc
        {"CHF", 756, 2},  // Swiss Franc
        {"CLP", 152, 0},  // Chilean Peso
        {"CNY", 156, 2},  // Yuan Renminbi
        {"COP", 170, 2},  // Colombian Peso
        {"CRC", 188, 2},  // Costa Rican Colon
        {"CUC", 931, 2},  // Peso Convertible
        {"CUP", 192, 2},  // Cuban Peso
        {"CVE", 132, 2},  // Cabo Verde Escudo
        {"CZK", 203, 2},  // Czech Koruna
        {"DAI", 0, 8},    // coin
        {"DASH", 0, 8},   // coin
        {"DJF", 262, 0},  // Djibouti Franc
        {"DKK", 208, 2},  // Danish Krone
        {"DOGE", 0, 8},   // coin
        {"DOP", 214, 2},  // Dominican Peso
        {"DZD", 12, 2},   // Algerian Dinar
        {"EGP", 818, 2},  // Egyptian Pound
        {"ERN", 232, 2},  // Nakfa
        {"ETB", 230, 2},  // Ethiopian Birr
        {"ETH", 0, 8},    // coin
        {"EUR", 978, 2},  // Euro
        {"FJD", 242, 2},  // Fiji Dollar
        {"FKP", 238, 2},  // Falkland Islands Pound
        {"GBP", 826, 2},  // Pound Sterling
        {"GEL", 981, 2},  // Lari
        {"GHS", 936, 2},  // Ghana Cedi
        {"GIP", 292, 2},  // Gibraltar Pound
        {"GMD", 270, 2},  // Dalasi
        {"GNF", 324, 0},  // Guinean Franc
        {"GTQ", 320, 2},  // Quetzal
        {"GYD", 328, 2},  // Guyana Dollar
        {"HKD", 344, 2},  // Hong Kong Dollar
        {"HNL", 340, 2},  // Lempira
        {"HTG", 332, 2},  // Gourde
        {"HUF", 348, 2},  // Forint
        {"IDR", 360, 2},  // Rupiah
        {"ILS", 376, 2},  // New Israeli Sheqel
        {"INR", 356, 2},  // Indian Rupee
        {"IQD", 368, 3},  // Iraqi Dinar
        {"IRR", 364, 2},  // Iranian Rial
        {"ISK", 352, 0},  // Iceland Krona
        {"JMD", 388, 2},  // Jamaican Dollar
        {"JOD", 400, 3},  // Jordanian Dinar
        {"JPY", 392, 0},  // Yen
        {"KES", 404, 2},  // Kenyan Shilling
        {"KGS", 417, 2},  // Som
        {"KHR", 116, 2},  // Riel
        {"KMF", 174, 0},  // Comorian Franc
        {"KPW", 408, 2},  // North Korean Won
        {"KRW", 410, 0},  // Won
        {"KWD", 414, 3},  // Kuwaiti Dinar
        {"KYD", 136, 2},  // Cayman Islands Dollar
        {"KZT", 398, 2},  // Tenge
        {"LAK", 418, 2},  // Lao Kip
        {"LBP", 422, 2},  // Lebanese Pound
        {"LKR", 144, 2},  // Sri Lanka Rupee
        {"LRD", 430, 2},  // Liberian Dollar
        {"LSL", 426, 2},  // Loti
        {"LTC", 0, 8},    // coin
        {"LYD", 434, 3},  // Libyan Dinar
        {"MAD", 504, 2},  // Moroccan Dirham
        {"MDL", 498, 2},  // Moldovan Leu
        {"MGA", 969, 2},  // Malagasy Ariary
        {"MKD", 807, 2},  // Denar
        {"MMK", 104, 2},  // Kyat
        {"MNT", 496, 2},  // Tugrik
        {"MOP", 446, 2},  // Pataca
        {"MRU", 929, 2},  // Ouguiya
        {"MUR", 480, 2},  // Mauritius Rupee
        {"MVR", 462, 2},  // Rufiyaa
        {"MWK", 454, 2},  // Malawi Kwacha
        {"MXN", 484, 2},  // Mexican Peso
        {"MYR", 458, 2},  // Malaysian Ringgit
        {"MZN", 943, 2},  // Mozambique Metical
        {"NAD", 516, 2},  // Namibia Dollar
        {"NGN", 566, 2},  // Naira
        {"NIO", 558, 2},  // Cordoba Oro
        {"NOK", 578, 2},  // Norwegian Krone
        {"NPR", 524, 2},  // Nepalese Rupee
        {"NZD", 554, 2},  // New Zealand Dollar
        {"OMR", 512, 3},  // Rial Omani
        {"PAB", 590, 2},  // Balboa
        {"PEN", 604, 2},  // Sol
        {"PGK", 598, 2},  // Kina
        {"PHP", 608, 2},  // Philippine Peso
        {"PKR", 586, 2},  // Pakistan Rupee
        {"PLN", 985, 2},  // Zloty
        {"PYG", 600, 0},  // Guarani
        {"QAR", 634, 2},  // Qatari Rial
        {"RON", 946, 2},  // Romanian Leu
        {"RSD", 941, 2},  // Serbian Dinar
        {"RUB", 643, 2},  // Russian Ruble
        {"RWF", 646, 0},  // Rwanda Franc
        {"SAR", 682, 2},  // Saudi Riyal
        {"SBD", 90, 2},   // Solomon Islands Dollar
        {"SCR", 690, 2},  // Seychelles Rupee
        {"SDG", 938, 2},  // Sudanese Pound
        {"SEK", 752, 2},  // Swedish Krona
        {"SGD", 702, 2},  // Singapore Dollar
        {"SHP", 654, 2},  // Saint Helena Pound
        {"SLE", 925, 2},  // Leone
        {"SLL", 694, 2},  // Leone
        {"SOL", 0, 9},    // coin
        {"SOS", 706, 2},  // Somali Shilling
        {"SRD", 968, 2},  // Surinam Dollar
        {"SSP", 728, 2},  // South Sudanese Pound
        {"STN", 930, 2},  // Dobra
        {"SVC", 222, 2},  // El Salvador Colon
        {"SYP", 760, 2},  // Syrian Pound
        {"SZL", 748, 2},  // Lilangeni
        {"THB", 764, 2},  // Baht
        {"TJS", 972, 2},  // Somoni
        {"TMT", 934, 2},  // Turkmenistan New Manat
        {"TND", 788, 3},  // Tunisian Dinar
        {"TON", 0, 9},    // coin
        {"TOP", 776, 2},  // Pa'anga
        {"TRX", 0, 6},    // coin
        {"TRY", 949, 2},  // Turkish Lira
        {"TTD", 780, 2},  // Trinidad and Tobago Dollar
        {"TWD", 901, 2},  // New Taiwan Dollar
        {"TZS", 834, 2},  // Tanzanian Shilling
        {"UAH", 980, 2},  // Hryvnia
        {"UGX", 800, 0},  // Uganda Shilling
        {"USD", 840, 2},  // US Dollar
        {"USDC", 0, 6},   // coin
        {"USDT", 0, 6},   // coin
        {"UYU", 858, 2},  // Peso Uruguayo
        {"UZS", 860, 2},  // Uzbekistan Sum
        {"VED", 926, 2},  // Bolivar Soberano
        {"VES", 928, 2},  // Bolivar Soberano
        {"VND", 704, 0},  // Dong
        {"VUV", 548, 0},  // Vatu
        {"WST", 882, 2},  // Tala
        {"XAF", 950, 0},  // CFA Franc BEAC
        {"XCD", 951, 2},  // East Caribbean Dollar
        {"XLM", 0, 7},    // coin
        {"XOF", 952, 0},  // CFA Franc BCEAO
        {"XPF", 953, 0},  // CFP Franc
        {"XRP", 0, 6},    // coin
        {"YER", 886, 2},  // Yemeni Rial
        {"ZAR", 710, 2},  // Rand
        {"ZMW", 967, 2},  // Zambian Kwacha
        {"ZWG", 924, 2},  // Zimbabwe Gold
        {"ZWL", 932, 2},  // Zimbabwe Dollar
};

constexpr bool codes_sorted_and_unique() {
    for (std::size_t i = 1; i < std::size(currencies); ++i) {
        if (!(currencies[i - 1].code < currencies[i].code)) return false;
    }
    return true;
}

static_assert(codes_sorted_and_unique(), "find_currency() binary-searches the table by code");

// Lookups are exact, so an entry that is not upper-case ASCII could never be found.
constexpr bool codes_well_formed() {
    for (const Currency& currency : currencies) {
        if (currency.code.size() < 3 || currency.code.size() > 5) return false;
        for (const char c : currency.code) {
            if (c < 'A' || c > 'Z') return false;
        }
    }
    return true;
}

static_assert(codes_well_formed());

// 10^19 does not fit int64, so a currency with more minor digits could not hold one unit.
constexpr std::uint8_t currency_exponent_max = 18;

constexpr bool exponents_fit() {
    for (const Currency& currency : currencies) {
        if (currency.exponent > currency_exponent_max) return false;
    }
    return true;
}

static_assert(exponents_fit());

constexpr std::size_t numeric_count =
        static_cast<std::size_t>(std::count_if(std::begin(currencies), std::end(currencies),
                                               [](const Currency& c) { return c.numeric != 0; }));

// The ISO entries again, sorted by numeric code, built at compile time so that both lookups are
// binary searches over read-only data.
constexpr std::array<Currency, numeric_count> currencies_by_numeric = [] {
    std::array<Currency, numeric_count> table{};
    std::size_t count = 0;
    for (const Currency& currency : currencies) {
        if (currency.numeric != 0) table[count++] = currency;
    }
    std::sort(table.begin(), table.end(),
              [](const Currency& a, const Currency& b) { return a.numeric < b.numeric; });
    return table;
}();

constexpr bool numerics_unique() {
    for (std::size_t i = 1; i < currencies_by_numeric.size(); ++i) {
        if (currencies_by_numeric[i - 1].numeric == currencies_by_numeric[i].numeric) {
            return false;
        }
    }
    return true;
}

static_assert(numerics_unique(), "a numeric code must name one currency");

// RFC 8259 puts no bound on an exponent. 40 covers every real amount written in exponent form
// at any currency exponent, and keeps the power-of-ten arithmetic below trivially in range.
constexpr std::int64_t text_exponent_magnitude_max = 40;

// Refusal details: static strings that go to the client as they are.
constexpr std::string_view detail_malformed = "amount_malformed";
constexpr std::string_view detail_not_positive = "amount_not_positive";
constexpr std::string_view detail_too_many_decimals = "amount_too_many_decimals";
constexpr std::string_view detail_out_of_range = "amount_out_of_range";
constexpr std::string_view detail_exponent_out_of_range = "amount_exponent_out_of_range";

Status refuse(std::string_view detail) {
    return Status(StatusCode::invalid_data, detail);
}

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Positions of the parts of a number in its text. The digits of the significand are
// text[digits_begin, digits_end) minus the '.' at dot (if any).
struct NumberText {
    bool negative = false;
    std::size_t digits_begin = 0;
    std::size_t dot = std::string_view::npos;
    std::size_t digits_end = 0;
    // The exponent after 'e', saturated at one past the allowed magnitude so that a thousand-digit
    // exponent neither overflows nor passes.
    std::int64_t exponent = 0;
};

// Matches -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? over the whole text.
bool scan_number(std::string_view text, NumberText& number) {
    std::size_t at = 0;
    const std::size_t size = text.size();
    if (at < size && text[at] == '-') {
        number.negative = true;
        ++at;
    }
    number.digits_begin = at;
    if (at == size || !is_digit(text[at])) return false;
    if (text[at] == '0') {
        ++at;
        // JSON forbids leading zeros: "01" and "-00" are not numbers.
        if (at < size && is_digit(text[at])) return false;
    } else {
        while (at < size && is_digit(text[at])) {
            ++at;
        }
    }
    if (at < size && text[at] == '.') {
        number.dot = at;
        ++at;
        const std::size_t fraction_begin = at;
        while (at < size && is_digit(text[at])) {
            ++at;
        }
        if (at == fraction_begin) return false;
    }
    number.digits_end = at;
    if (at < size && (text[at] == 'e' || text[at] == 'E')) {
        ++at;
        bool exponent_negative = false;
        if (at < size && (text[at] == '+' || text[at] == '-')) {
            exponent_negative = text[at] == '-';
            ++at;
        }
        const std::size_t exponent_begin = at;
        std::int64_t magnitude = 0;
        while (at < size && is_digit(text[at])) {
            if (magnitude <= text_exponent_magnitude_max) {
                magnitude = magnitude * 10 + (text[at] - '0');
            }
            ++at;
        }
        if (at == exponent_begin) return false;
        magnitude = std::min(magnitude, text_exponent_magnitude_max + 1);
        number.exponent = exponent_negative ? -magnitude : magnitude;
    }
    return at == size;
}

}  // namespace

std::optional<Currency> find_currency(std::string_view code) {
    const auto* const end = std::end(currencies);
    const auto* const found = std::lower_bound(
            std::begin(currencies), end, code,
            [](const Currency& currency, std::string_view key) { return currency.code < key; });
    if (found == end || found->code != code) return std::nullopt;
    return *found;
}

std::optional<Currency> find_currency_by_numeric(std::uint16_t numeric) {
    // Coins share numeric 0 and are deliberately not in this index.
    const auto found = std::lower_bound(
            currencies_by_numeric.begin(), currencies_by_numeric.end(), numeric,
            [](const Currency& currency, std::uint16_t key) { return currency.numeric < key; });
    if (found == currencies_by_numeric.end() || found->numeric != numeric) return std::nullopt;
    return *found;
}

Result<std::int64_t> parse_amount(std::string_view text, std::uint8_t exponent) {
    NumberText number;
    if (!scan_number(text, number)) return refuse(detail_malformed);
    if (number.negative) return refuse(detail_not_positive);

    const auto is_significand_digit = [&](std::size_t at) { return at != number.dot; };
    std::size_t first = number.digits_begin;
    while (first < number.digits_end && (!is_significand_digit(first) || text[first] == '0')) {
        ++first;
    }
    if (first == number.digits_end) return refuse(detail_not_positive);
    if (number.exponent > text_exponent_magnitude_max ||
        number.exponent < -text_exponent_magnitude_max) {
        return refuse(detail_exponent_out_of_range);
    }
    // A nonzero digit exists at or after `first`, so this stops there at the latest. Trailing
    // zeros are dropped here, which is what makes "250.100" as good as "250.10" for USD.
    std::size_t last = number.digits_end - 1;
    while (!is_significand_digit(last) || text[last] == '0') {
        --last;
    }

    // The power of ten, in minor units, that the last significant digit stands for. Text
    // offsets are bounded by the size of an object in memory, far inside int64.
    const std::size_t point = number.dot != std::string_view::npos ? number.dot : number.digits_end;
    const std::int64_t place = last < point ? static_cast<std::int64_t>(point - 1 - last)
                                            : -static_cast<std::int64_t>(last - point);
    const std::int64_t power = place + exponent + number.exponent;
    if (power < 0) return refuse(detail_too_many_decimals);

    std::int64_t value = 0;
    for (std::size_t at = first; at <= last; ++at) {
        if (!is_significand_digit(at)) continue;
        // Every further digit multiplies by ten, so once past the maximum the value stays past it:
        // this bounds the loop by ~17 digits whatever the length of the text.
        if (__builtin_mul_overflow(value, 10, &value) ||
            __builtin_add_overflow(value, text[at] - '0', &value) || value > amount_minor_max) {
            return refuse(detail_out_of_range);
        }
    }
    for (std::int64_t i = 0; i < power; ++i) {
        if (__builtin_mul_overflow(value, 10, &value) || value > amount_minor_max) {
            return refuse(detail_out_of_range);
        }
    }
    CASHIERD_ASSERT(value > 0);
    CASHIERD_ASSERT(value <= amount_minor_max);
    return value;
}

namespace {

// The widest text is "-0." followed by `exponent` digits, or a sign and the 19 digits of INT64_MIN
// with a point: both must fit the caller's amount_text_bytes_max buffer.
constexpr std::uint8_t format_exponent_max = amount_text_bytes_max - 3;
constexpr std::size_t uint64_digits_max = std::numeric_limits<std::uint64_t>::digits10 + 1;

static_assert(1 + (std::size_t{format_exponent_max} + 1) + 1 <= amount_text_bytes_max);
static_assert(1 + uint64_digits_max + 1 <= amount_text_bytes_max);
static_assert(currency_exponent_max <= format_exponent_max);

}  // namespace

std::size_t format_amount(std::int64_t amount_minor, std::uint8_t exponent, char* out) {
    CASHIERD_ASSERT(out != nullptr);
    CASHIERD_ASSERT(exponent <= format_exponent_max);
    const bool negative = amount_minor < 0;
    // Negated in unsigned arithmetic because INT64_MIN has no positive int64 counterpart.
    std::uint64_t magnitude = static_cast<std::uint64_t>(amount_minor);
    if (negative) magnitude = 0 - magnitude;

    // Least significant first.
    char digits[uint64_digits_max];
    std::size_t digit_count = 0;
    do {
        digits[digit_count++] = static_cast<char>('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);

    // Zeros pad the fraction and leave one integer digit: 5 at exponent 2 is "0.05".
    const std::size_t padded_count = std::max(digit_count, std::size_t{exponent} + 1);
    std::size_t length = 0;
    if (negative) out[length++] = '-';
    for (std::size_t i = padded_count; i-- > 0;) {
        if (i + 1 == exponent) out[length++] = '.';
        out[length++] = i < digit_count ? digits[i] : '0';
    }
    CASHIERD_ASSERT(length <= amount_text_bytes_max);
    return length;
}

}  // namespace cashierd::ledger
