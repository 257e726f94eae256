// The t/v1 webhook signature: header parsing, the tolerance window and the constant-time digest
// comparison. The header is parsed completely before the MAC is computed, and the MAC is
// computed once however many v1 items the header carries.
// Thread: any. Bounded by the header's length (at most the request head).
#include "providers/webhook_signature.h"

#include <cstddef>
#include <limits>

#include "providers/crypto.h"
#include "reactor/base/assert.h"

namespace cashierd::providers {
namespace {

constexpr std::size_t timestamp_digits_max = 19;
constexpr std::size_t digest_hex_chars = 2 * sizeof(crypto::Sha256Digest);

Status invalid_signature(std::string_view detail) {
    return Status(StatusCode::invalid_signature, detail);
}

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_space(text.back()))
        text.remove_suffix(1);
    return text;
}

// Calls visit(key, value) for each comma-separated item; false on an item that is empty, has no
// '=' or has an empty key, or when visit returns false.
template <typename Visit>
bool visit_items(std::string_view header, Visit visit) {
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = header.find(',', start);
        const std::string_view item = trim(header.substr(start, comma - start));
        const std::size_t equals = item.find('=');
        if (equals == std::string_view::npos || equals == 0) return false;
        if (!visit(item.substr(0, equals), item.substr(equals + 1))) return false;
        if (comma == std::string_view::npos) return true;
        start = comma + 1;
    }
}

bool parse_timestamp(std::string_view text, std::int64_t& out) {
    if (text.empty() || text.size() > timestamp_digits_max) return false;
    constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
    std::int64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return false;
        const int digit = c - '0';
        if (value > (max - digit) / 10) return false;
        value = value * 10 + digit;
    }
    out = value;
    return true;
}

// |now - t| <= tolerance without overflow for any pair of int64 values: the difference of the
// larger and the smaller always fits uint64.
bool within_tolerance(std::int64_t t, std::int64_t now) {
    const auto tolerance = static_cast<std::uint64_t>(webhook_tolerance_seconds);
    if (t >= now)
        return static_cast<std::uint64_t>(t) - static_cast<std::uint64_t>(now) <= tolerance;
    return static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(t) <= tolerance;
}

// The scheme's digests are lower-case hex: one text per digest, as for base64url in crypto.h.
bool is_lower_hex_digest(std::string_view text) {
    if (text.size() != digest_hex_chars) return false;
    for (const char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

}  // namespace

std::string sign_webhook(std::string_view secret, std::int64_t t, std::string_view body) {
    CASHIERD_ASSERT(t >= 0);
    const std::string t_text = std::to_string(t);
    crypto::HmacSha256 mac(secret);
    mac.update(t_text);
    mac.update(".");
    mac.update(body);
    const crypto::Sha256Digest digest = mac.finish();
    return "t=" + t_text + ",v1=" + crypto::to_hex(digest);
}

Status verify_webhook_signature(std::string_view header, std::string_view secret,
                                std::string_view body, std::int64_t now) {
    if (header.empty()) return invalid_signature(detail_signature_missing);
    std::string_view t_text;
    std::size_t t_count = 0;
    std::size_t v1_count = 0;
    const bool well_formed = visit_items(header, [&](std::string_view key, std::string_view value) {
        if (key == "t") {
            t_text = value;
            ++t_count;
        } else if (key == "v1") {
            ++v1_count;
        }
        return true;
    });
    std::int64_t t = 0;
    if (!well_formed || t_count != 1 || v1_count == 0 || !parse_timestamp(t_text, t)) {
        return invalid_signature(detail_signature_malformed);
    }
    if (!within_tolerance(t, now)) return invalid_signature(detail_timestamp_stale);
    if (secret.empty()) return invalid_signature(detail_signature_mismatch);

    crypto::HmacSha256 mac(secret);
    mac.update(t_text);
    mac.update(".");
    mac.update(body);
    const crypto::Sha256Digest digest = mac.finish();
    const std::string_view expected(reinterpret_cast<const char*>(digest.data()), digest.size());

    // Every v1 is compared, with no early exit: which item matched is not secret, but a loop
    // that stops on the first match would be one more timing signal to reason about.
    bool matched = false;
    std::string decoded;
    decoded.reserve(digest.size());
    (void)visit_items(header, [&](std::string_view key, std::string_view value) {
        if (key == "v1" && is_lower_hex_digest(value) && crypto::from_hex(value, decoded)) {
            matched |= crypto::constant_time_equal(decoded, expected);
        }
        return true;
    });
    if (!matched) return invalid_signature(detail_signature_mismatch);
    return Status();
}

Status find_webhook_header(std::span<const WebhookHeader> headers, std::string_view name,
                           std::string_view& value) {
    std::size_t found = 0;
    for (const WebhookHeader& header : headers) {
        if (equals_ignore_case(header.name, name)) {
            value = header.value;
            ++found;
        }
    }
    if (found == 0) return invalid_signature(detail_signature_missing);
    if (found > 1) return invalid_signature(detail_signature_malformed);
    return Status();
}

Status verify_webhook_input(const WebhookInput& input, std::string_view header_name) {
    std::string_view header;
    if (Status found = find_webhook_header(input.headers, header_name, header); !found.ok()) {
        return found;
    }
    return verify_webhook_signature(header, input.secret, input.body, input.now);
}

}  // namespace cashierd::providers
