// The body of POST /cashier/deposit (seed 002) read and validated into a plain value: strict
// JSON (duplicate keys, trailing bytes, wrong types refused), the amount parsed exactly with the
// currency's decimals, every text bounded. Pure: the handler and the fuzzer call the same code.
// Thread: any (the JsonReader belongs to the caller's shard).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http/json_reader.h"
#include "reactor/base/status.h"

namespace cashierd::http {

struct DepositRequest {
    std::uint64_t login = 0;
    std::string provider;
    std::string method;       // Empty: the provider's first eligible deposit method.
    std::int64_t amount = 0;  // Minor units of `currency`, > 0.
    std::string currency;
    std::string idempotency_key;
    std::string success_url;
    std::string failure_url;
    std::string comment;
    std::string metadata_json;  // A JSON document as a string ("" when absent).
};

inline constexpr std::size_t idempotency_key_bytes_max = 128;
inline constexpr std::size_t url_bytes_max = 2048;
inline constexpr std::size_t comment_bytes_max = 1024;
inline constexpr std::size_t metadata_bytes_max = 4096;

/// Reads `body` (with `capacity` readable bytes, >= body.size() + JSON padding). Refusals are
/// INVALID_DATA naming the field.
Status parse_deposit_request(JsonReader& reader, std::string_view body, std::size_t capacity,
                             DepositRequest& out);

}  // namespace cashierd::http
