// The webhook signature scheme every local module and Stripe share: a header
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>" checked against the raw
// body, the provider's secret and the clock, before any byte of the body is parsed.
// Thread: any (pure functions; one short-lived HMAC context per call).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "providers/payment_module.h"
#include "reactor/base/status.h"

namespace cashierd::providers {

/// Details of the StatusCode::invalid_signature errors below (the wire vocabulary).
inline constexpr std::string_view detail_signature_missing = "signature_missing";
inline constexpr std::string_view detail_signature_malformed = "signature_malformed";
inline constexpr std::string_view detail_timestamp_stale = "timestamp_stale";
inline constexpr std::string_view detail_signature_mismatch = "signature_mismatch";

/// "t=<unix seconds>,v1=<lowercase hex HMAC-SHA256(secret, t + "." + body)>": the header a
/// provider (or cashierd's own sandbox page) sends. `t` must not be negative.
std::string sign_webhook(std::string_view secret, std::int64_t t, std::string_view body);

/// Verifies a header of comma-separated k=v items: exactly one t (1 to 19 decimal digits that
/// fit int64), one or more v1 (several during a secret rotation: any match accepts), other keys
/// (v0, ...) ignored, spaces or tabs around items allowed. A v1 matches only as 64 lower-case hex
/// characters; digests are compared in constant time. Errors (StatusCode::invalid_signature):
///   signature_missing    the header is empty;
///   signature_malformed  an empty item, an item without '=' or with an empty key, no t, two t,
///                        a t that is not 1..19 digits or exceeds int64, no v1;
///   timestamp_stale      |now - t| > webhook_tolerance_seconds (either direction);
///   signature_mismatch   no v1 matches (an empty secret never matches).
/// The Status never carries the secret, a digest or header text.
Status verify_webhook_signature(std::string_view header, std::string_view secret,
                                std::string_view body, std::int64_t now);

/// The value of the one header named `name` (ASCII case-insensitive). Errors
/// (StatusCode::invalid_signature): signature_missing when there is none, signature_malformed
/// when there are several (which one the provider meant is unknowable).
Status find_webhook_header(std::span<const WebhookHeader> headers, std::string_view name,
                           std::string_view& value);

/// find_webhook_header(input.headers, header_name) then verify_webhook_signature over
/// input.body with input.secret at input.now: what every module runs first.
Status verify_webhook_input(const WebhookInput& input, std::string_view header_name);

}  // namespace cashierd::providers
