// JwtVerifier: one strict pass over a compact JWS. The header is decoded and parsed first (alg,
// kid, typ, crit), the key is chosen by kid and its configured algorithm compared with the
// header's, the signature is checked, and only then is the payload decoded and its claims read.
// Thread: verify() from any thread. Decoding buffers, the simdjson parser and keyed HMAC
// contexts are thread_local, so the shared verifier is never written after create().
#include "providers/jwt.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <limits>
#include <span>
#include <utility>

#include <simdjson.h>

#include "reactor/base/assert.h"

namespace cashierd::providers {
namespace {

namespace ondemand = simdjson::ondemand;

// A segment is at most the whole token, and decodes to at most 3/4 of it.
constexpr std::size_t decoded_bytes_max = crypto::base64url_decoded_bytes_max(jwt_token_bytes_max);

constexpr std::size_t hs256_signature_bytes = 32;
constexpr std::size_t signature_bytes_max = crypto::ecdsa_p256_signature_bytes;
constexpr std::size_t signature_chars_max = (signature_bytes_max * 4 + 2) / 3;
static_assert(crypto::base64url_decoded_bytes_max(signature_chars_max) == signature_bytes_max);

// Real headers carry three or four members and payloads a handful of claims; the caps keep the
// duplicate check a short scan over a fixed array.
constexpr std::size_t header_members_max = 16;
constexpr std::size_t payload_members_max = 64;

// Nesting inside claims nobody reads; a payload that deep is not a customer token.
constexpr int nesting_max = 16;

constexpr std::string_view detail_token_too_large = "token_too_large";
constexpr std::string_view detail_token_malformed = "token_malformed";
constexpr std::string_view detail_alg_none = "alg_none";
constexpr std::string_view detail_kid_missing = "kid_missing";
constexpr std::string_view detail_unknown_kid = "unknown_kid";
constexpr std::string_view detail_alg_mismatch = "alg_mismatch";
constexpr std::string_view detail_bad_signature = "bad_signature";
constexpr std::string_view detail_exp_missing = "exp_missing";
constexpr std::string_view detail_claim_invalid = "claim_invalid";
constexpr std::string_view detail_sub_invalid = "sub_invalid";
constexpr std::string_view detail_expired = "expired";
constexpr std::string_view detail_not_yet_valid = "not_yet_valid";

Status unauthorized(std::string_view detail) {
    return Status(StatusCode::unauthorized, detail);
}

std::atomic<std::uint64_t> next_verifier_id{1};

struct Scratch {
    Scratch() {
        // Sized once per thread for the largest segment: parsing never allocates afterwards.
        const simdjson::error_code error = parser.allocate(decoded_bytes_max);
        CASHIERD_ASSERT(error == simdjson::SUCCESS);
    }

    ondemand::parser parser{decoded_bytes_max};
    std::array<std::uint8_t, decoded_bytes_max + simdjson::SIMDJSON_PADDING> json{};
};

Scratch& scratch() {
    thread_local Scratch instance;
    return instance;
}

// Keyed contexts per key of the verifier this thread used last. Re-keying HMAC costs two
// SHA-256 compressions plus an allocation per token; reset() restores the saved pads instead.
struct HmacCache {
    std::uint64_t verifier_id = 0;
    std::vector<std::unique_ptr<crypto::HmacSha256>> contexts;
};

HmacCache& hmac_cache() {
    thread_local HmacCache instance;
    return instance;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::string_view trim_trailing_whitespace(std::string_view text) {
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                             text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return text;
}

// The RFC 8259 number grammar on the source text, for numbers in claims nobody reads: simdjson
// would otherwise skip them unchecked.
bool is_json_number(std::string_view text) {
    std::size_t i = 0;
    const std::size_t size = text.size();
    if (i < size && text[i] == '-') ++i;
    if (i == size) return false;
    if (text[i] == '0') {
        ++i;
    } else if (text[i] >= '1' && text[i] <= '9') {
        while (i < size && is_digit(text[i])) {
            ++i;
        }
    } else {
        return false;
    }
    if (i < size && text[i] == '.') {
        ++i;
        const std::size_t digits_start = i;
        while (i < size && is_digit(text[i])) {
            ++i;
        }
        if (i == digits_start) return false;
    }
    if (i < size && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < size && (text[i] == '+' || text[i] == '-')) ++i;
        const std::size_t digits_start = i;
        while (i < size && is_digit(text[i])) {
            ++i;
        }
        if (i == digits_start) return false;
    }
    return i == size;
}

// Visits every value below `value` so that a malformed value fails even in a member nobody
// reads (On-Demand skips those unchecked).
bool valid_json_value(ondemand::value& value, int depth) {
    ondemand::json_type type{};
    if (value.type().get(type) != simdjson::SUCCESS) return false;
    switch (type) {
        case ondemand::json_type::object: {
            if (depth > nesting_max) return false;
            ondemand::object object;
            if (value.get_object().get(object) != simdjson::SUCCESS) return false;
            for (auto member : object) {
                ondemand::field field;
                if (std::move(member).get(field) != simdjson::SUCCESS) return false;
                std::string_view key;
                if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
                if (!valid_json_value(field.value(), depth + 1)) return false;
            }
            return true;
        }
        case ondemand::json_type::array: {
            if (depth > nesting_max) return false;
            ondemand::array array;
            if (value.get_array().get(array) != simdjson::SUCCESS) return false;
            for (auto element : array) {
                ondemand::value child;
                if (element.get(child) != simdjson::SUCCESS) return false;
                if (!valid_json_value(child, depth + 1)) return false;
            }
            return true;
        }
        case ondemand::json_type::string: {
            std::string_view text;
            return value.get_string().get(text) == simdjson::SUCCESS;
        }
        case ondemand::json_type::number:
            return is_json_number(trim_trailing_whitespace(value.raw_json_token()));
        case ondemand::json_type::boolean: {
            bool boolean = false;
            return value.get_bool().get(boolean) == simdjson::SUCCESS;
        }
        case ondemand::json_type::null: {
            bool is_null = false;
            return value.is_null().get(is_null) == simdjson::SUCCESS && is_null;
        }
    }
    return false;
}

// The keys of one object, to refuse a repeated one: On-Demand would return the first and a
// second "alg" or "sub" could mean something else to another JWT library.
template <std::size_t Capacity>
class KeySet {
public:
    // False if `key` was seen before or the object has more members than Capacity.
    bool insert(std::string_view key) {
        if (count_ == Capacity) return false;
        for (std::size_t i = 0; i < count_; ++i) {
            if (keys_[i] == key) return false;
        }
        keys_[count_++] = key;
        return true;
    }

private:
    std::array<std::string_view, Capacity> keys_{};
    std::size_t count_ = 0;
};

// Decodes one base64url segment into the thread's JSON buffer and starts a document on it.
// The returned document, and every string read from it, is valid until the next call.
Status start_document(Scratch& scratch, std::string_view segment, ondemand::document& document) {
    std::size_t json_bytes = 0;
    // The token is at most jwt_token_bytes_max, so no segment can overflow the buffer.
    CASHIERD_ASSERT(crypto::base64url_decoded_bytes_max(segment.size()) <= decoded_bytes_max);
    if (!crypto::base64url_decode(segment, std::span(scratch.json.data(), decoded_bytes_max),
                                  json_bytes)) {
        return unauthorized(detail_token_malformed);
    }
    // simdjson may read (never use) the padding after the document; keep it deterministic.
    std::memset(scratch.json.data() + json_bytes, 0, simdjson::SIMDJSON_PADDING);
    if (scratch.parser.iterate(scratch.json.data(), json_bytes, scratch.json.size())
                .get(document) != simdjson::SUCCESS) {
        return unauthorized(detail_token_malformed);
    }
    return Status();
}

// True if the document ended right after its root value: a location still inside it means a
// second value follows.
bool at_document_end(ondemand::document& document) {
    const char* rest = nullptr;
    return document.current_location().get(rest) != simdjson::SUCCESS;
}

enum class HeaderAlg : std::uint8_t { absent, none, hs256, es256, other };

struct Header {
    HeaderAlg alg = HeaderAlg::absent;
    bool has_kid = false;
    std::string_view kid;  // Valid until the payload is parsed.
};

HeaderAlg classify_alg(std::string_view alg) {
    if (alg == "HS256") return HeaderAlg::hs256;
    if (alg == "ES256") return HeaderAlg::es256;
    if (equals_ignoring_ascii_case(alg, "none")) return HeaderAlg::none;
    return HeaderAlg::other;
}

// RFC 7515 §4.1.9: media type names are case-insensitive and "application/" may be omitted.
bool is_jwt_typ(std::string_view typ) {
    return equals_ignoring_ascii_case(typ, "JWT") ||
           equals_ignoring_ascii_case(typ, "application/jwt");
}

Status parse_header(Scratch& scratch, std::string_view segment, Header& header) {
    ondemand::document document;
    const Status started = start_document(scratch, segment, document);
    if (!started.ok()) return started;
    ondemand::object object;
    if (document.get_object().get(object) != simdjson::SUCCESS) {
        return unauthorized(detail_token_malformed);
    }
    KeySet<header_members_max> keys;
    for (auto member : object) {
        ondemand::field field;
        std::string_view key;
        if (std::move(member).get(field) != simdjson::SUCCESS ||
            field.unescaped_key().get(key) != simdjson::SUCCESS || !keys.insert(key)) {
            return unauthorized(detail_token_malformed);
        }
        ondemand::value value = field.value();
        if (key == "alg" || key == "kid" || key == "typ") {
            std::string_view text;
            if (value.get_string().get(text) != simdjson::SUCCESS) {
                return unauthorized(detail_token_malformed);
            }
            if (key == "alg") {
                header.alg = classify_alg(text);
            } else if (key == "kid") {
                header.has_kid = true;
                header.kid = text;
            } else if (!is_jwt_typ(text)) {
                return unauthorized(detail_token_malformed);
            }
        } else if (key == "crit") {
            // RFC 7515 §4.1.11: an extension the recipient does not understand must be refused,
            // and this verifier understands none (b64:false would change what was signed).
            return unauthorized(detail_token_malformed);
        } else if (!valid_json_value(value, 2)) {
            // jwk, jku, x5u, x5c and the like are ignored: keys come from the config only.
            return unauthorized(detail_token_malformed);
        }
    }
    if (!at_document_end(document)) return unauthorized(detail_token_malformed);
    if (header.alg == HeaderAlg::absent) return unauthorized(detail_token_malformed);
    return Status();
}

// A positive customer id up to INT64_MAX, as canonical decimal digits.
bool parse_customer_id(std::string_view digits, std::uint64_t& id) {
    constexpr std::size_t digits_max = 19;  // INT64_MAX has 19 digits.
    if (digits.empty() || digits.size() > digits_max || digits[0] == '0') return false;
    std::uint64_t value = 0;
    for (const char c : digits) {
        if (!is_digit(c)) return false;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    // 19 digits fit in uint64 without wrapping (max 9999999999999999999 < 2^64).
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return false;
    }
    id = value;
    return true;
}

Status read_sub(ondemand::value& value, std::uint64_t& id) {
    ondemand::json_type type{};
    if (value.type().get(type) != simdjson::SUCCESS) return unauthorized(detail_token_malformed);
    if (type == ondemand::json_type::string) {
        std::string_view text;
        if (value.get_string().get(text) != simdjson::SUCCESS) {
            return unauthorized(detail_token_malformed);
        }
        return parse_customer_id(text, id) ? Status() : unauthorized(detail_sub_invalid);
    }
    if (type == ondemand::json_type::number) {
        std::int64_t number = 0;
        // Fractions, exponents and values beyond int64 all fail here.
        if (value.get_int64().get(number) != simdjson::SUCCESS || number <= 0) {
            return unauthorized(detail_sub_invalid);
        }
        id = static_cast<std::uint64_t>(number);
        return Status();
    }
    return unauthorized(detail_sub_invalid);
}

Status read_numeric_date(ondemand::value& value, std::int64_t& out) {
    ondemand::json_type type{};
    if (value.type().get(type) != simdjson::SUCCESS) return unauthorized(detail_token_malformed);
    if (type != ondemand::json_type::number || value.get_int64().get(out) != simdjson::SUCCESS) {
        return unauthorized(detail_claim_invalid);
    }
    return Status();
}

struct Payload {
    bool has_sub = false;
    bool has_exp = false;
    bool has_nbf = false;
    std::uint64_t customer_id = 0;
    std::int64_t exp = 0;
    std::int64_t nbf = 0;
    std::int64_t iat = 0;
};

Status parse_payload(Scratch& scratch, std::string_view segment, Payload& payload) {
    ondemand::document document;
    const Status started = start_document(scratch, segment, document);
    if (!started.ok()) return started;
    ondemand::object object;
    if (document.get_object().get(object) != simdjson::SUCCESS) {
        return unauthorized(detail_token_malformed);
    }
    KeySet<payload_members_max> keys;
    for (auto member : object) {
        ondemand::field field;
        std::string_view key;
        if (std::move(member).get(field) != simdjson::SUCCESS ||
            field.unescaped_key().get(key) != simdjson::SUCCESS || !keys.insert(key)) {
            return unauthorized(detail_token_malformed);
        }
        ondemand::value value = field.value();
        Status status;
        if (key == "sub") {
            payload.has_sub = true;
            status = read_sub(value, payload.customer_id);
        } else if (key == "exp") {
            payload.has_exp = true;
            status = read_numeric_date(value, payload.exp);
        } else if (key == "nbf") {
            payload.has_nbf = true;
            status = read_numeric_date(value, payload.nbf);
        } else if (key == "iat") {
            status = read_numeric_date(value, payload.iat);
        } else if (!valid_json_value(value, 2)) {
            status = unauthorized(detail_token_malformed);
        }
        if (!status.ok()) return status;
    }
    if (!at_document_end(document)) return unauthorized(detail_token_malformed);
    return Status();
}

// A JSON string literal with the short escapes Python's json.dumps uses, so that a minted token
// can be checked byte for byte against a reference computed there.
std::string json_string(std::string_view text) {
    static constexpr char hex_digits[] = "0123456789abcdef";
    std::string out = "\"";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\b') {
            out += "\\b";
        } else if (c == '\f') {
            out += "\\f";
        } else if (byte < 0x20) {
            out += "\\u00";
            out.push_back(hex_digits[byte >> 4]);
            out.push_back(hex_digits[byte & 0x0f]);
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
    return out;
}

// The signing input of a token: base64url(header) "." base64url(payload).
std::string signing_input(std::string_view alg, std::string_view kid, std::uint64_t customer_id,
                          std::int64_t iat, std::int64_t exp) {
    const std::string header = "{\"alg\":\"" + std::string(alg) +
                               "\",\"typ\":\"JWT\",\"kid\":" + json_string(kid) + "}";
    const std::string payload = "{\"sub\":\"" + std::to_string(customer_id) +
                                "\",\"iat\":" + std::to_string(iat) +
                                ",\"exp\":" + std::to_string(exp) + "}";
    return crypto::base64url_encode(header) + "." + crypto::base64url_encode(payload);
}

std::string_view as_text(const crypto::Sha256Digest& digest) {
    return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

}  // namespace

std::optional<JwtKeySpec::Algorithm> parse_jwt_algorithm(std::string_view name) {
    if (name == "HS256") return JwtKeySpec::Algorithm::hs256;
    if (name == "ES256") return JwtKeySpec::Algorithm::es256;
    return std::nullopt;
}

std::string_view jwt_algorithm_name(JwtKeySpec::Algorithm alg) {
    switch (alg) {
        case JwtKeySpec::Algorithm::hs256:
            return "HS256";
        case JwtKeySpec::Algorithm::es256:
            return "ES256";
    }
    return "HS256";
}

std::unique_ptr<JwtVerifier> JwtVerifier::create(std::vector<JwtKeySpec> specs,
                                                 std::string& error) {
    std::vector<Key> keys;
    keys.reserve(specs.size());
    for (JwtKeySpec& spec : specs) {
        const std::string where = "jwt key \"" + spec.kid + "\": ";
        if (spec.kid.empty()) {
            error = "jwt key: kid must not be empty";
            return nullptr;
        }
        const bool duplicate = std::any_of(keys.begin(), keys.end(),
                                           [&](const Key& key) { return key.kid == spec.kid; });
        if (duplicate) {
            error = where + "duplicate kid";
            return nullptr;
        }
        Key key{spec.kid, spec.alg, {}, nullptr};
        switch (spec.alg) {
            case JwtKeySpec::Algorithm::hs256:
                if (!spec.public_key_pem.empty()) {
                    error = where + "HS256 takes a secret, not public_key_pem";
                    return nullptr;
                }
                if (spec.secret.size() < jwt_hs256_secret_bytes_min) {
                    error = where + "HS256 secret must be at least " +
                            std::to_string(jwt_hs256_secret_bytes_min) + " bytes";
                    return nullptr;
                }
                key.secret = std::move(spec.secret);
                break;
            case JwtKeySpec::Algorithm::es256: {
                if (!spec.secret.empty()) {
                    error = where + "ES256 takes public_key_pem, not a secret";
                    return nullptr;
                }
                std::string problem;
                key.public_key = crypto::EcdsaP256PublicKey::from_pem(spec.public_key_pem, problem);
                if (key.public_key == nullptr) {
                    error = where + "public_key_pem: " + problem;
                    return nullptr;
                }
                break;
            }
        }
        keys.push_back(std::move(key));
    }
    return std::unique_ptr<JwtVerifier>(new JwtVerifier(std::move(keys)));
}

JwtVerifier::JwtVerifier(std::vector<Key> keys)
    : keys_(std::move(keys)), id_(next_verifier_id.fetch_add(1, std::memory_order_relaxed)) {}

JwtVerifier::~JwtVerifier() = default;

bool JwtVerifier::signature_valid(std::size_t key_index, std::string_view signing_input,
                                  std::string_view signature) const {
    const Key& key = keys_[key_index];
    switch (key.alg) {
        case JwtKeySpec::Algorithm::hs256: {
            if (signature.size() != hs256_signature_bytes) return false;
            HmacCache& cache = hmac_cache();
            if (cache.verifier_id != id_) {
                cache.contexts.clear();
                cache.contexts.resize(keys_.size());
                cache.verifier_id = id_;
            }
            std::unique_ptr<crypto::HmacSha256>& hmac = cache.contexts[key_index];
            if (hmac == nullptr) {
                hmac = std::make_unique<crypto::HmacSha256>(key.secret);
            } else {
                hmac->reset();
            }
            hmac->update(signing_input);
            const crypto::Sha256Digest expected = hmac->finish();
            return crypto::constant_time_equal(as_text(expected), signature);
        }
        case JwtKeySpec::Algorithm::es256:
            return key.public_key->verify_sha256(signing_input, signature);
    }
    return false;
}

Result<JwtClaims> JwtVerifier::verify(std::string_view token, std::int64_t now_unix) const {
    if (token.size() > jwt_token_bytes_max) return unauthorized(detail_token_too_large);
    const std::size_t first_dot = token.find('.');
    if (first_dot == std::string_view::npos) return unauthorized(detail_token_malformed);
    const std::size_t second_dot = token.find('.', first_dot + 1);
    if (second_dot == std::string_view::npos ||
        token.find('.', second_dot + 1) != std::string_view::npos) {
        return unauthorized(detail_token_malformed);
    }
    const std::string_view header_segment = token.substr(0, first_dot);
    const std::string_view payload_segment =
            token.substr(first_dot + 1, second_dot - first_dot - 1);
    const std::string_view signature_segment = token.substr(second_dot + 1);

    Scratch& thread_scratch = scratch();
    Header header;
    const Status header_status = parse_header(thread_scratch, header_segment, header);
    if (!header_status.ok()) return header_status;
    if (header.alg == HeaderAlg::none) return unauthorized(detail_alg_none);
    if (!header.has_kid) return unauthorized(detail_kid_missing);
    std::size_t key_index = 0;
    while (key_index < keys_.size() && keys_[key_index].kid != header.kid) {
        ++key_index;
    }
    if (key_index == keys_.size()) return unauthorized(detail_unknown_kid);
    // The key's configured algorithm decides; the header only has to agree with it.
    const HeaderAlg expected_alg = keys_[key_index].alg == JwtKeySpec::Algorithm::hs256
                                           ? HeaderAlg::hs256
                                           : HeaderAlg::es256;
    if (header.alg != expected_alg) return unauthorized(detail_alg_mismatch);

    // Longer than any signature this verifier knows: not worth decoding.
    if (signature_segment.size() > signature_chars_max) return unauthorized(detail_bad_signature);
    std::array<std::uint8_t, signature_bytes_max> signature_bytes{};
    std::size_t signature_size = 0;
    if (!crypto::base64url_decode(signature_segment, signature_bytes, signature_size)) {
        return unauthorized(detail_token_malformed);
    }
    const std::string_view signature(reinterpret_cast<const char*>(signature_bytes.data()),
                                     signature_size);
    if (!signature_valid(key_index, token.substr(0, second_dot), signature)) {
        return unauthorized(detail_bad_signature);
    }

    Payload payload;
    const Status payload_status = parse_payload(thread_scratch, payload_segment, payload);
    if (!payload_status.ok()) return payload_status;
    if (!payload.has_exp) return unauthorized(detail_exp_missing);
    if (!payload.has_sub) return unauthorized(detail_sub_invalid);
    // Written as subtractions from now so that an exp or nbf near the int64 limits cannot
    // overflow; now is a real clock, nowhere near them.
    if (now_unix - jwt_leeway_seconds >= payload.exp) return unauthorized(detail_expired);
    if (payload.has_nbf && now_unix + jwt_leeway_seconds < payload.nbf) {
        return unauthorized(detail_not_yet_valid);
    }
    CASHIERD_ASSERT(payload.customer_id > 0);
    return JwtClaims{payload.customer_id, payload.exp, payload.iat};
}

std::string mint_hs256(std::string_view kid, std::string_view secret, std::uint64_t customer_id,
                       std::int64_t iat, std::int64_t exp) {
    const std::string input = signing_input("HS256", kid, customer_id, iat, exp);
    return input + "." + crypto::base64url_encode(as_text(crypto::hmac_sha256(secret, input)));
}

std::string mint_es256(std::string_view kid, const crypto::EcdsaP256PrivateKey& key,
                       std::uint64_t customer_id, std::int64_t iat, std::int64_t exp) {
    const std::string input = signing_input("ES256", kid, customer_id, iat, exp);
    return input + "." + crypto::base64url_encode(key.sign_sha256(input));
}

}  // namespace cashierd::providers
