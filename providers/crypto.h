// The crypto module: every call into BoringSSL (default) or OpenSSL 3 (-DCASHIERD_CRYPTO=openssl)
// goes through this file pair, using only the API both share. No other translation unit
// includes an <openssl/...> header.
// Thread: free functions are safe from any thread; an HmacSha256 belongs to one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace cashierd::crypto {

using Sha256Digest = std::array<std::uint8_t, 32>;

/// Name of the backend compiled in: "boringssl" or "openssl".
std::string_view backend_name();

/// Constant-time equality (CRYPTO_memcmp). Different lengths compare unequal; the length is
/// not secret.
bool constant_time_equal(std::string_view a, std::string_view b);

/// SHA-256 of `data`.
Sha256Digest sha256(std::string_view data);

/// One-shot HMAC-SHA256(key, data).
Sha256Digest hmac_sha256(std::string_view key, std::string_view data);

/// A keyed HMAC-SHA256 context that is reset, not re-keyed, for each message: keep one per
/// secret per shard on hot paths.
class HmacSha256 {
public:
    explicit HmacSha256(std::string_view key);
    ~HmacSha256();
    HmacSha256(const HmacSha256&) = delete;
    HmacSha256& operator=(const HmacSha256&) = delete;

    /// Starts a new message with the same key.
    void reset();
    void update(std::string_view data);
    Sha256Digest finish();

private:
    void* ctx_;              // HMAC_CTX*, opaque here so no crypto header leaks out.
    bool finished_ = false;  // finish() ran; update()/finish() need reset() first.
};

/// Fills `out` with cryptographically secure random bytes; aborts if the RNG fails.
void random_bytes(std::span<std::uint8_t> out);

/// Lower-case hex of `bytes`.
std::string to_hex(std::span<const std::uint8_t> bytes);

/// Decodes hex (either case); false on odd length or a non-hex character.
bool from_hex(std::string_view hex, std::string& out);

}  // namespace cashierd::crypto
