// Credentials that are not customer JWTs: the back office's manager tokens, given as
// `Authorization: Bearer <token>` (/admin/*, /ctid2/*) or `?token=` (/webserv/*, seed 000).
// Every comparison is constant-time and runs against every configured token, so timing tells
// neither which token matched nor how much of one did. Tokens never reach a log.
// Thread: any (reads the immutable config).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/config.h"
#include "http/request.h"
#include "providers/jwt.h"

namespace cashierd::http {

/// The token of an `Authorization: Bearer <token>` header, or empty.
std::string_view bearer_token(const Request& request);

/// The customer JWT verifier for the config's jwt.keys; null with `error` naming the kid at
/// fault (never a secret).
std::unique_ptr<providers::JwtVerifier> make_jwt_verifier(const Config& config, std::string& error);

/// Index of the manager token equal to `token`, or nothing.
std::optional<std::size_t> match_manager_token(const Config& config, std::string_view token);

}  // namespace cashierd::http
