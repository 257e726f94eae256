// JwtVerifier: customer bearer tokens (SPEC §3). HS256 or ES256, the key chosen by `kid` and the
// algorithm pinned by that key's config, never by the token; `sub` is the customer id; `exp` is
// required; 30 s leeway on `exp` and `nbf`. Also mints tokens for tests and `cashierd token`.
// Thread: built once on the main thread; verify() is const and may run on every shard at once
// (per-thread scratch lives in thread_local storage, never in the verifier).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "providers/crypto.h"
#include "reactor/base/result.h"

namespace cashierd::providers {

/// Longer tokens are refused before any decoding: they bound the per-thread scratch.
inline constexpr std::size_t jwt_token_bytes_max = 8192;

/// Clock skew tolerated on `exp` and `nbf` (SPEC §3).
inline constexpr std::int64_t jwt_leeway_seconds = 30;

/// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
inline constexpr std::size_t jwt_hs256_secret_bytes_min = 32;

struct JwtKeySpec {
    enum class Algorithm : std::uint8_t { hs256, es256 };

    std::string kid;
    Algorithm alg = Algorithm::hs256;
    std::string secret;          // HS256: the raw key bytes (the config's UTF-8 string).
    std::string public_key_pem;  // ES256: SubjectPublicKeyInfo PEM of a P-256 key.
};

/// "HS256" or "ES256", spelled exactly as JWA does; nullopt for anything else.
std::optional<JwtKeySpec::Algorithm> parse_jwt_algorithm(std::string_view name);

/// The JWA name of `alg`.
std::string_view jwt_algorithm_name(JwtKeySpec::Algorithm alg);

struct JwtClaims {
    std::uint64_t customer_id = 0;  // 1 .. INT64_MAX.
    std::int64_t exp = 0;
    std::int64_t iat = 0;  // 0 when absent.
};

class JwtVerifier {
public:
    /// Builds the verifier. Null, with `error` naming the kid at fault (never a secret), for an
    /// empty or duplicate kid, an HS256 secret shorter than jwt_hs256_secret_bytes_min, an ES256
    /// key that is not a P-256 public key PEM, or material of the other algorithm being set.
    static std::unique_ptr<JwtVerifier> create(std::vector<JwtKeySpec> keys, std::string& error);

    ~JwtVerifier();
    JwtVerifier(const JwtVerifier&) = delete;
    JwtVerifier& operator=(const JwtVerifier&) = delete;

    /// Verifies a compact JWS (without the "Bearer " prefix) at `now_unix`. Refusals are
    /// Status(StatusCode::unauthorized, detail), detail one of:
    ///   token_too_large  more than jwt_token_bytes_max bytes
    ///   token_malformed  not three segments; a segment that is not canonical unpadded
    ///                    base64url; header or payload not exactly one JSON object; a duplicated
    ///                    key in either; header without alg, with typ other than JWT, or with
    ///                    crit (no extension is understood)
    ///   alg_none         alg "none" in any letter case
    ///   kid_missing      header without kid
    ///   unknown_kid      kid names no configured key
    ///   alg_mismatch     header alg differs from the configured alg of that kid
    ///   bad_signature    signature of the wrong length or that does not verify
    ///   exp_missing      no exp claim
    ///   claim_invalid    exp, nbf or iat not a JSON integer within int64
    ///   sub_invalid      sub absent, or not a positive integer up to INT64_MAX written as
    ///                    a JSON integer or a string of digits without leading zeros
    ///   expired          now_unix >= exp + jwt_leeway_seconds
    ///   not_yet_valid    now_unix < nbf - jwt_leeway_seconds
    /// The signature is checked before any claim is read.
    Result<JwtClaims> verify(std::string_view token, std::int64_t now_unix) const;

    std::size_t key_count() const { return keys_.size(); }

private:
    struct Key {
        std::string kid;
        JwtKeySpec::Algorithm alg;
        std::string secret;
        std::unique_ptr<crypto::EcdsaP256PublicKey> public_key;
    };

    explicit JwtVerifier(std::vector<Key> keys);

    bool signature_valid(std::size_t key_index, std::string_view signing_input,
                         std::string_view signature) const;

    std::vector<Key> keys_;
    // Distinguishes this verifier from any earlier one at the same address in the per-thread
    // HMAC context cache (a reload builds a new verifier).
    std::uint64_t id_;
};

/// A signed HS256 token: header {"alg":"HS256","typ":"JWT","kid":kid}, payload
/// {"sub":"<customer_id>","iat":iat,"exp":exp}. For tests and `cashierd token`.
std::string mint_hs256(std::string_view kid, std::string_view secret, std::uint64_t customer_id,
                       std::int64_t iat, std::int64_t exp);

/// As mint_hs256 with alg ES256, signed by `key`.
std::string mint_es256(std::string_view kid, const crypto::EcdsaP256PrivateKey& key,
                       std::uint64_t customer_id, std::int64_t iat, std::int64_t exp);

}  // namespace cashierd::providers
