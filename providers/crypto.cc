// The only translation unit that includes <openssl/...>: BoringSSL by default, OpenSSL 3 with
// -DCASHIERD_CRYPTO=openssl. One code path for both, using API they share; where signatures
// differ, the call says how it stays in range. One section per primitive family.
// Thread: free functions are safe from any thread; an HmacSha256 belongs to one thread.

#include "providers/crypto.h"

#if defined(CASHIERD_CRYPTO_BORINGSSL) == defined(CASHIERD_CRYPTO_OPENSSL)
#error "define exactly one of CASHIERD_CRYPTO_BORINGSSL and CASHIERD_CRYPTO_OPENSSL"
#endif

#if defined(CASHIERD_CRYPTO_OPENSSL)
// OpenSSL 3 deprecates HMAC_CTX in favour of EVP_MAC, which BoringSSL does not have. Declaring
// the 1.1 API level keeps the shared HMAC_CTX calls free of deprecation warnings (-Werror)
// without changing what they do.
#define OPENSSL_API_COMPAT 0x10100000L
#endif

#include <algorithm>
#include <cstring>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "reactor/base/assert.h"

// Both backends install headers under the same <openssl/...> names, so a wrong include path
// would silently compile against the other library: refuse that here rather than at link time.
#if defined(CASHIERD_CRYPTO_BORINGSSL) && !defined(OPENSSL_IS_BORINGSSL)
#error "CASHIERD_CRYPTO=boringssl but the <openssl/...> headers are not BoringSSL's"
#endif
#if defined(CASHIERD_CRYPTO_OPENSSL) && (defined(OPENSSL_IS_BORINGSSL) || OPENSSL_VERSION_MAJOR < 3)
#error "CASHIERD_CRYPTO=openssl but the <openssl/...> headers are not OpenSSL 3's"
#endif

namespace cashierd::crypto {

namespace {

constexpr std::size_t sha256_block_bytes = 64;

const std::uint8_t* bytes_of(std::string_view text) {
    return reinterpret_cast<const std::uint8_t*>(text.data());
}

HMAC_CTX* hmac_ctx(void* ctx) {
    return static_cast<HMAC_CTX*>(ctx);
}

}  // namespace

// ---- Backend identity -----------------------------------------------------------------------

std::string_view backend_name() {
#if defined(CASHIERD_CRYPTO_BORINGSSL)
    return "boringssl";
#else
    return "openssl";
#endif
}

// ---- Comparison -----------------------------------------------------------------------------

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    // An empty view may carry a null pointer; there is nothing to compare anyway.
    if (a.empty()) return true;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// ---- Digests and MACs -----------------------------------------------------------------------

Sha256Digest sha256(std::string_view data) {
    Sha256Digest digest;
    unsigned int digest_bytes = 0;
    // EVP_Digest rather than SHA256(): in OpenSSL 3, SHA256() is EVP_Digest plus a by-name
    // algorithm fetch on every call (measured ~20% slower on 1 KiB); in BoringSSL they match.
    const int ok = EVP_Digest(data.data(), data.size(), digest.data(), &digest_bytes, EVP_sha256(),
                              nullptr);
    // Fails only on allocation failure (OpenSSL): out of memory, crash (STYLE 3.4).
    CASHIERD_ASSERT(ok == 1);
    CASHIERD_ASSERT(digest_bytes == digest.size());
    return digest;
}

Sha256Digest hmac_sha256(std::string_view key, std::string_view data) {
    HmacSha256 hmac(key);
    hmac.update(data);
    return hmac.finish();
}

HmacSha256::HmacSha256(std::string_view key) : ctx_(HMAC_CTX_new()) {
    // Allocation failure at this size means the process is out of memory: crash (STYLE 3.4).
    CASHIERD_ASSERT(ctx_ != nullptr);
    // RFC 2104 replaces a key longer than the block by its digest, so doing that here gives the
    // same MAC while bounding the length: OpenSSL takes it as int, BoringSSL as size_t. The copy
    // also gives a non-null pointer for an empty key, which OpenSSL would read as "reuse key".
    std::array<std::uint8_t, sha256_block_bytes> block{};
    std::size_t block_bytes = key.size();
    if (key.size() > block.size()) {
        const Sha256Digest hashed = sha256(key);
        std::copy(hashed.begin(), hashed.end(), block.begin());
        block_bytes = hashed.size();
    } else if (!key.empty()) {
        std::memcpy(block.data(), key.data(), key.size());
    }
    const int ok = HMAC_Init_ex(hmac_ctx(ctx_), block.data(), block_bytes, EVP_sha256(), nullptr);
    OPENSSL_cleanse(block.data(), block.size());
    CASHIERD_ASSERT(ok == 1);
}

HmacSha256::~HmacSha256() {
    HMAC_CTX_free(hmac_ctx(ctx_));
}

void HmacSha256::reset() {
    // A null key and digest restart from the saved inner/outer pads: no re-keying cost.
    const int ok = HMAC_Init_ex(hmac_ctx(ctx_), nullptr, 0, nullptr, nullptr);
    CASHIERD_ASSERT(ok == 1);
    finished_ = false;
}

void HmacSha256::update(std::string_view data) {
    // After finish() the digest state is spent; updating it would MAC garbage.
    CASHIERD_ASSERT(!finished_);
    if (data.empty()) return;
    const int ok = HMAC_Update(hmac_ctx(ctx_), bytes_of(data), data.size());
    CASHIERD_ASSERT(ok == 1);
}

Sha256Digest HmacSha256::finish() {
    CASHIERD_ASSERT(!finished_);
    Sha256Digest mac;
    unsigned int mac_bytes = 0;
    const int ok = HMAC_Final(hmac_ctx(ctx_), mac.data(), &mac_bytes);
    CASHIERD_ASSERT(ok == 1);
    CASHIERD_ASSERT(mac_bytes == mac.size());
    finished_ = true;
    return mac;
}

// ---- Randomness -----------------------------------------------------------------------------

void random_bytes(std::span<std::uint8_t> out) {
    // OpenSSL takes the length as int, BoringSSL as size_t: chunks keep it in range for both.
    constexpr std::size_t chunk_bytes_max = 1 << 16;
    while (!out.empty()) {
        const std::size_t chunk_bytes = std::min(out.size(), chunk_bytes_max);
        // A failing system RNG leaves nothing safe to hand out as tokens or nonces.
        const int ok = RAND_bytes(out.data(), chunk_bytes);
        CASHIERD_ASSERT(ok == 1);
        out = out.subspan(chunk_bytes);
    }
}

// ---- Encoding -------------------------------------------------------------------------------

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex(bytes.size() * 2, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    return hex;
}

namespace {

// -1 for a character that is not a hex digit.
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

bool from_hex(std::string_view hex, std::string& out) {
    if (hex.size() % 2 != 0) return false;
    // Validate first so `out` is untouched on refusal rather than left half-decoded.
    for (const char c : hex) {
        if (hex_value(c) < 0) return false;
    }
    out.resize(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = static_cast<char>((hex_value(hex[2 * i]) << 4) | hex_value(hex[2 * i + 1]));
    }
    return true;
}

}  // namespace cashierd::crypto
