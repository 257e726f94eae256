// The crypto module: every call into BoringSSL (default) or OpenSSL 3 (-DCASHIERD_CRYPTO=openssl)
// goes through this file pair, using only the API both share. No other translation unit
// includes an <openssl/...> header.
// Thread: free functions are safe from any thread; an HmacSha256 belongs to one thread; an
// EcdsaP256PublicKey may be shared by every thread once built (verify is const and lock-free).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace cashierd::crypto {

using Sha256Digest = std::array<std::uint8_t, 32>;
using Sha1Digest = std::array<std::uint8_t, 20>;

/// Name of the backend compiled in: "boringssl" or "openssl".
std::string_view backend_name();

/// Constant-time equality (CRYPTO_memcmp). Different lengths compare unequal; the length is
/// not secret.
bool constant_time_equal(std::string_view a, std::string_view b);

/// SHA-256 of `data`.
Sha256Digest sha256(std::string_view data);

/// One-shot HMAC-SHA256(key, data).
Sha256Digest hmac_sha256(std::string_view key, std::string_view data);

/// One-shot HMAC-SHA1(key, data). Only for protocols that fix SHA-1, such as TOTP (RFC 6238)
/// as authenticator apps implement it; use HMAC-SHA256 for anything new.
Sha1Digest hmac_sha1(std::string_view key, std::string_view data);

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

/// base64url (RFC 4648 section 5) without padding, as JWS uses it.
std::string base64url_encode(std::string_view bytes);

/// Most bytes `encoded_chars` characters of unpadded base64url can decode to.
constexpr std::size_t base64url_decoded_bytes_max(std::size_t encoded_chars) {
    return encoded_chars / 4 * 3 + (encoded_chars % 4) * 3 / 4;
}

/// Decodes unpadded base64url into `out`, which must hold base64url_decoded_bytes_max(size);
/// sets `out_bytes`. Only the canonical encoding passes: false on '=', '+', '/', whitespace or
/// any other character outside the alphabet, on a length of 4n+1, and on non-zero unused bits
/// in the last character (so no two texts decode to the same bytes).
bool base64url_decode(std::string_view text, std::span<std::uint8_t> out, std::size_t& out_bytes);

/// As above into a string; `out` is untouched on refusal.
bool base64url_decode(std::string_view text, std::string& out);

/// Raw JWS ES256 signature: r || s, each 32 bytes big-endian.
inline constexpr std::size_t ecdsa_p256_signature_bytes = 64;

/// A P-256 (prime256v1 / secp256r1) public key for ECDSA with SHA-256.
class EcdsaP256PublicKey {
public:
    /// Parses a SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"). Null, with `error` set, for
    /// anything else, including valid keys of another type or curve.
    static std::unique_ptr<EcdsaP256PublicKey> from_pem(std::string_view pem, std::string& error);

    ~EcdsaP256PublicKey();
    EcdsaP256PublicKey(const EcdsaP256PublicKey&) = delete;
    EcdsaP256PublicKey& operator=(const EcdsaP256PublicKey&) = delete;

    /// Verifies a raw r || s signature over SHA-256(message). False for any signature length
    /// other than 64, for r or s zero or not below the group order, and for a bad signature.
    bool verify_sha256(std::string_view message, std::string_view raw_signature) const;

private:
    explicit EcdsaP256PublicKey(void* key) : key_(key) {}

    void* key_;  // EC_KEY*, opaque here so no crypto header leaks out; never mutated after build.
};

/// A P-256 private key, for tests and for minting demo tokens: the server only verifies.
class EcdsaP256PrivateKey {
public:
    /// Parses an unencrypted PKCS#8 ("BEGIN PRIVATE KEY") or SEC1 ("BEGIN EC PRIVATE KEY")
    /// PEM. Null, with `error` set, for anything else, including keys of another type or curve.
    static std::unique_ptr<EcdsaP256PrivateKey> from_pem(std::string_view pem, std::string& error);

    /// A fresh random key.
    static std::unique_ptr<EcdsaP256PrivateKey> generate();

    ~EcdsaP256PrivateKey();
    EcdsaP256PrivateKey(const EcdsaP256PrivateKey&) = delete;
    EcdsaP256PrivateKey& operator=(const EcdsaP256PrivateKey&) = delete;

    /// The matching public key as a SubjectPublicKeyInfo PEM.
    std::string public_key_pem() const;

    /// Signs SHA-256(message); returns the 64-byte raw r || s (randomized: differs per call).
    std::string sign_sha256(std::string_view message) const;

private:
    explicit EcdsaP256PrivateKey(void* key) : key_(key) {}

    void* key_;  // EC_KEY*
};

}  // namespace cashierd::crypto
