// The only translation unit that includes <openssl/...>: BoringSSL by default, OpenSSL 3 with
// -DCASHIERD_CRYPTO=openssl. One code path for both, using API they share; where signatures
// differ, the call says how it stays in range. One section per primitive family.
// Thread: free functions are safe from any thread; an HmacSha256 belongs to one thread; an
// EcdsaP256PublicKey is immutable after from_pem, so concurrent verify_sha256 calls are safe.

#include "providers/crypto.h"

#if defined(CASHIERD_CRYPTO_BORINGSSL) == defined(CASHIERD_CRYPTO_OPENSSL)
#error "define exactly one of CASHIERD_CRYPTO_BORINGSSL and CASHIERD_CRYPTO_OPENSSL"
#endif

#if defined(CASHIERD_CRYPTO_OPENSSL)
// OpenSSL 3 deprecates HMAC_CTX in favour of EVP_MAC, and EC_KEY/ECDSA_do_* in favour of
// EVP_PKEY providers, none of which BoringSSL has. Declaring the 1.1 API level keeps the shared
// calls free of deprecation warnings (-Werror) without changing what they do.
#define OPENSSL_API_COMPAT 0x10100000L
#endif

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
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
constexpr std::size_t sha1_block_bytes = 64;

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

Sha1Digest hmac_sha1(std::string_view key, std::string_view data) {
    // As in HmacSha256: a key longer than the block is replaced by its digest (RFC 2104, same
    // MAC), which bounds the length for OpenSSL's int and gives an empty key a non-null pointer.
    std::array<std::uint8_t, sha1_block_bytes> block{};
    std::size_t block_bytes = key.size();
    if (key.size() > block.size()) {
        Sha1Digest hashed;
        unsigned int hashed_bytes = 0;
        const int hashed_ok = EVP_Digest(key.data(), key.size(), hashed.data(), &hashed_bytes,
                                         EVP_sha1(), nullptr);
        // Fails only on allocation failure (OpenSSL): out of memory, crash (STYLE 3.4).
        CASHIERD_ASSERT(hashed_ok == 1);
        CASHIERD_ASSERT(hashed_bytes == hashed.size());
        std::copy(hashed.begin(), hashed.end(), block.begin());
        OPENSSL_cleanse(hashed.data(), hashed.size());
        block_bytes = hashed.size();
    } else if (!key.empty()) {
        std::memcpy(block.data(), key.data(), key.size());
    }
    Sha1Digest mac;
    unsigned int mac_bytes = 0;
    // HMAC() exists with the same shape in both backends; block_bytes <= 64 fits OpenSSL's int.
    // A null data pointer (empty view) is never read: data_len is 0.
    const std::uint8_t* result = HMAC(EVP_sha1(), block.data(), static_cast<int>(block_bytes),
                                      bytes_of(data), data.size(), mac.data(), &mac_bytes);
    OPENSSL_cleanse(block.data(), block.size());
    // Fails only on allocation failure: out of memory, crash (STYLE 3.4).
    CASHIERD_ASSERT(result != nullptr);
    CASHIERD_ASSERT(mac_bytes == mac.size());
    return mac;
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

// ---- base64url ------------------------------------------------------------------------------

namespace {

constexpr char base64url_digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 0..63 for an alphabet character, -1 for anything else (the padding '=' included).
constexpr std::array<std::int8_t, 256> base64url_values = [] {
    std::array<std::int8_t, 256> values{};
    values.fill(-1);
    for (int i = 0; i < 64; ++i) {
        values[static_cast<std::uint8_t>(base64url_digits[i])] = static_cast<std::int8_t>(i);
    }
    return values;
}();

int base64url_value(char c) {
    return base64url_values[static_cast<std::uint8_t>(c)];
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
    const std::uint8_t* in = bytes_of(bytes);
    const std::size_t size = bytes.size();
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        const std::uint32_t group = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) |
                                    std::uint32_t{in[i + 2]};
        out.push_back(base64url_digits[(group >> 18) & 63]);
        out.push_back(base64url_digits[(group >> 12) & 63]);
        out.push_back(base64url_digits[(group >> 6) & 63]);
        out.push_back(base64url_digits[group & 63]);
    }
    if (size - i == 1) {
        const std::uint32_t group = std::uint32_t{in[i]} << 16;
        out.push_back(base64url_digits[(group >> 18) & 63]);
        out.push_back(base64url_digits[(group >> 12) & 63]);
    } else if (size - i == 2) {
        const std::uint32_t group = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8);
        out.push_back(base64url_digits[(group >> 18) & 63]);
        out.push_back(base64url_digits[(group >> 12) & 63]);
        out.push_back(base64url_digits[(group >> 6) & 63]);
    }
    return out;
}

bool base64url_decode(std::string_view text, std::span<std::uint8_t> out, std::size_t& out_bytes) {
    const std::size_t tail_chars = text.size() % 4;
    // One character carries 6 bits, less than a byte: no encoder produces it.
    if (tail_chars == 1) return false;
    const std::size_t decoded_bytes = base64url_decoded_bytes_max(text.size());
    CASHIERD_ASSERT(out.size() >= decoded_bytes);

    std::size_t written = 0;
    std::size_t i = 0;
    for (; i + 4 <= text.size(); i += 4) {
        const int a = base64url_value(text[i]);
        const int b = base64url_value(text[i + 1]);
        const int c = base64url_value(text[i + 2]);
        const int d = base64url_value(text[i + 3]);
        if ((a | b | c | d) < 0) return false;
        const auto group = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6) | d);
        out[written++] = static_cast<std::uint8_t>(group >> 16);
        out[written++] = static_cast<std::uint8_t>(group >> 8);
        out[written++] = static_cast<std::uint8_t>(group);
    }
    if (tail_chars == 2) {
        const int a = base64url_value(text[i]);
        const int b = base64url_value(text[i + 1]);
        // The low 4 bits of the last character are not part of any byte; an encoder leaves
        // them zero, and accepting others would give one token several spellings.
        if ((a | b) < 0 || (b & 0x0f) != 0) return false;
        out[written++] = static_cast<std::uint8_t>((a << 2) | (b >> 4));
    } else if (tail_chars == 3) {
        const int a = base64url_value(text[i]);
        const int b = base64url_value(text[i + 1]);
        const int c = base64url_value(text[i + 2]);
        if ((a | b | c) < 0 || (c & 0x03) != 0) return false;
        const auto group = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6));
        out[written++] = static_cast<std::uint8_t>(group >> 16);
        out[written++] = static_cast<std::uint8_t>(group >> 8);
    }
    CASHIERD_ASSERT(written == decoded_bytes);
    out_bytes = written;
    return true;
}

bool base64url_decode(std::string_view text, std::string& out) {
    std::string decoded(base64url_decoded_bytes_max(text.size()), '\0');
    std::size_t decoded_bytes = 0;
    // std::string's storage is contiguous bytes; viewing it as uint8_t is allowed aliasing.
    const std::span<std::uint8_t> target(reinterpret_cast<std::uint8_t*>(decoded.data()),
                                         decoded.size());
    if (!base64url_decode(text, target, decoded_bytes)) return false;
    decoded.resize(decoded_bytes);
    out = std::move(decoded);
    return true;
}

// ---- ECDSA P-256 ----------------------------------------------------------------------------

namespace {

// PEM inputs come from the config file; anything larger is not a single P-256 key.
constexpr std::size_t pem_bytes_max = 16 * 1024;

constexpr std::size_t p256_scalar_bytes = 32;

struct BioDeleter {
    void operator()(BIO* bio) const { BIO_free(bio); }
};

struct EvpPkeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

struct EcKeyDeleter {
    void operator()(EC_KEY* key) const { EC_KEY_free(key); }
};

struct BignumDeleter {
    void operator()(BIGNUM* number) const { BN_free(number); }
};

struct EcdsaSigDeleter {
    void operator()(ECDSA_SIG* signature) const { ECDSA_SIG_free(signature); }
};

using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
using EcKeyPtr = std::unique_ptr<EC_KEY, EcKeyDeleter>;
using BignumPtr = std::unique_ptr<BIGNUM, BignumDeleter>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;

EC_KEY* ec_key(void* key) {
    return static_cast<EC_KEY*>(key);
}

// Without a callback, OpenSSL asks for the passphrase of an encrypted key on the terminal.
int refuse_passphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) {
    return -1;
}

// The library leaves a record of every failure in the thread's error queue. SSL_get_error reads
// that queue, so a stale entry left by a refused key or signature on a shard thread would turn
// an unrelated TLS read into a fatal error.
void discard_library_errors() {
    ERR_clear_error();
}

BioPtr memory_bio(std::string_view pem) {
    CASHIERD_ASSERT(pem.size() <= pem_bytes_max);
    // OpenSSL takes the length as int, BoringSSL as ssize_t: pem_bytes_max fits both.
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    CASHIERD_ASSERT(bio != nullptr);
    return bio;
}

// Takes the EC_KEY out of `key` if it is one on P-256; sets `error` otherwise.
EcKeyPtr p256_key_of(EvpPkeyPtr key, std::string& error) {
    if (EVP_PKEY_id(key.get()) != EVP_PKEY_EC) {
        error = "not an EC key (ES256 needs P-256)";
        return nullptr;
    }
    EcKeyPtr ec(EVP_PKEY_get1_EC_KEY(key.get()));
    const EC_GROUP* group = ec == nullptr ? nullptr : EC_KEY_get0_group(ec.get());
    if (group == nullptr || EC_GROUP_get_curve_name(group) != NID_X9_62_prime256v1) {
        error = "EC key is not on curve P-256 (prime256v1)";
        return nullptr;
    }
    if (EC_KEY_get0_public_key(ec.get()) == nullptr) {
        error = "EC key has no public point";
        return nullptr;
    }
    return ec;
}

}  // namespace

std::unique_ptr<EcdsaP256PublicKey> EcdsaP256PublicKey::from_pem(std::string_view pem,
                                                                 std::string& error) {
    if (pem.size() > pem_bytes_max) {
        error = "PEM longer than " + std::to_string(pem_bytes_max) + " bytes";
        return nullptr;
    }
    const BioPtr bio = memory_bio(pem);
    EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, refuse_passphrase, nullptr));
    if (key == nullptr) {
        discard_library_errors();
        error = "not a PEM public key (expected BEGIN PUBLIC KEY, SubjectPublicKeyInfo)";
        return nullptr;
    }
    EcKeyPtr ec = p256_key_of(std::move(key), error);
    discard_library_errors();
    if (ec == nullptr) return nullptr;
    return std::unique_ptr<EcdsaP256PublicKey>(new EcdsaP256PublicKey(ec.release()));
}

EcdsaP256PublicKey::~EcdsaP256PublicKey() {
    EC_KEY_free(ec_key(key_));
}

bool EcdsaP256PublicKey::verify_sha256(std::string_view message,
                                       std::string_view raw_signature) const {
    if (raw_signature.size() != ecdsa_p256_signature_bytes) return false;
    const std::uint8_t* raw = bytes_of(raw_signature);
    BignumPtr r(BN_bin2bn(raw, p256_scalar_bytes, nullptr));
    BignumPtr s(BN_bin2bn(raw + p256_scalar_bytes, p256_scalar_bytes, nullptr));
    CASHIERD_ASSERT(r != nullptr);
    CASHIERD_ASSERT(s != nullptr);
    // ECDSA_do_verify refuses these too; checking here keeps the rule independent of the
    // backend's version.
    const BIGNUM* order = EC_GROUP_get0_order(EC_KEY_get0_group(ec_key(key_)));
    CASHIERD_ASSERT(order != nullptr);
    if (BN_is_zero(r.get()) || BN_is_zero(s.get()) || BN_cmp(r.get(), order) >= 0 ||
        BN_cmp(s.get(), order) >= 0) {
        return false;
    }
    EcdsaSigPtr signature(ECDSA_SIG_new());
    CASHIERD_ASSERT(signature != nullptr);
    // ECDSA_SIG_set0 takes ownership of r and s on success.
    const int set = ECDSA_SIG_set0(signature.get(), r.get(), s.get());
    CASHIERD_ASSERT(set == 1);
    static_cast<void>(r.release());
    static_cast<void>(s.release());

    const Sha256Digest digest = sha256(message);
    // Returns 1 for a valid signature, 0 for an invalid one and -1 on an internal error; only 1
    // accepts.
    const int verified =
            ECDSA_do_verify(digest.data(), digest.size(), signature.get(), ec_key(key_));
    if (verified != 1) {
        discard_library_errors();
        return false;
    }
    return true;
}

std::unique_ptr<EcdsaP256PrivateKey> EcdsaP256PrivateKey::from_pem(std::string_view pem,
                                                                   std::string& error) {
    if (pem.size() > pem_bytes_max) {
        error = "PEM longer than " + std::to_string(pem_bytes_max) + " bytes";
        return nullptr;
    }
    const BioPtr bio = memory_bio(pem);
    // Reads both PKCS#8 "PRIVATE KEY" and the SEC1 "EC PRIVATE KEY" form.
    EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
    if (key == nullptr) {
        discard_library_errors();
        error = "not an unencrypted PEM private key (expected BEGIN PRIVATE KEY or BEGIN EC "
                "PRIVATE KEY)";
        return nullptr;
    }
    EcKeyPtr ec = p256_key_of(std::move(key), error);
    if (ec != nullptr &&
        (EC_KEY_get0_private_key(ec.get()) == nullptr || EC_KEY_check_key(ec.get()) != 1)) {
        error = "EC private key is inconsistent";
        ec.reset();
    }
    discard_library_errors();
    if (ec == nullptr) return nullptr;
    return std::unique_ptr<EcdsaP256PrivateKey>(new EcdsaP256PrivateKey(ec.release()));
}

std::unique_ptr<EcdsaP256PrivateKey> EcdsaP256PrivateKey::generate() {
    EcKeyPtr ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
    CASHIERD_ASSERT(ec != nullptr);
    const int ok = EC_KEY_generate_key(ec.get());
    CASHIERD_ASSERT(ok == 1);
    return std::unique_ptr<EcdsaP256PrivateKey>(new EcdsaP256PrivateKey(ec.release()));
}

EcdsaP256PrivateKey::~EcdsaP256PrivateKey() {
    EC_KEY_free(ec_key(key_));
}

std::string EcdsaP256PrivateKey::public_key_pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    CASHIERD_ASSERT(bio != nullptr);
    const int ok = PEM_write_bio_EC_PUBKEY(bio.get(), ec_key(key_));
    CASHIERD_ASSERT(ok == 1);
    std::string pem;
    std::array<char, 256> chunk;
    while (true) {
        const int read = BIO_read(bio.get(), chunk.data(), static_cast<int>(chunk.size()));
        if (read <= 0) break;
        pem.append(chunk.data(), static_cast<std::size_t>(read));
    }
    // An empty memory BIO reports "retry" through the error-free path, but leave nothing behind.
    discard_library_errors();
    return pem;
}

std::string EcdsaP256PrivateKey::sign_sha256(std::string_view message) const {
    const Sha256Digest digest = sha256(message);
    EcdsaSigPtr signature(ECDSA_do_sign(digest.data(), digest.size(), ec_key(key_)));
    CASHIERD_ASSERT(signature != nullptr);
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(signature.get(), &r, &s);
    std::string raw(ecdsa_p256_signature_bytes, '\0');
    auto* out = reinterpret_cast<std::uint8_t*>(raw.data());
    // Fixed-width big-endian: a value with leading zero bytes still fills its 32 bytes.
    const int r_ok = BN_bn2binpad(r, out, p256_scalar_bytes);
    const int s_ok = BN_bn2binpad(s, out + p256_scalar_bytes, p256_scalar_bytes);
    CASHIERD_ASSERT(r_ok == static_cast<int>(p256_scalar_bytes));
    CASHIERD_ASSERT(s_ok == static_cast<int>(p256_scalar_bytes));
    return raw;
}

}  // namespace cashierd::crypto
