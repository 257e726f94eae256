#include "http/auth.h"

#include "providers/crypto.h"

namespace cashierd::http {

std::string_view bearer_token(const Request& request) {
    std::string_view value = request.authorization;
    constexpr std::string_view scheme = "Bearer ";
    if (value.size() <= scheme.size() || !equals_ignore_case(value.substr(0, 6), "Bearer") ||
        value[6] != ' ') {
        return {};
    }
    value.remove_prefix(scheme.size());
    while (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
    return value;
}

std::unique_ptr<providers::JwtVerifier> make_jwt_verifier(const Config& config,
                                                          std::string& error) {
    std::vector<providers::JwtKeySpec> keys;
    for (const JwtKeyConfig& key : config.jwt_keys) {
        providers::JwtKeySpec spec;
        spec.kid = key.kid;
        spec.alg = key.alg == "ES256" ? providers::JwtKeySpec::Algorithm::es256
                                      : providers::JwtKeySpec::Algorithm::hs256;
        spec.secret = key.secret;
        spec.public_key_pem = key.public_key_pem;
        keys.push_back(std::move(spec));
    }
    std::unique_ptr<providers::JwtVerifier> verifier =
            providers::JwtVerifier::create(std::move(keys), error);
    if (!verifier) error = "jwt.keys: " + error;
    return verifier;
}

std::optional<std::size_t> match_manager_token(const Config& config, std::string_view token) {
    std::optional<std::size_t> match;
    if (token.empty()) return match;
    for (std::size_t i = 0; i < config.manager_tokens.size(); ++i) {
        // No early exit: every token is compared.
        if (crypto::constant_time_equal(config.manager_tokens[i], token) && !match) match = i;
    }
    return match;
}

}  // namespace cashierd::http
