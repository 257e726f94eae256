// The only place a StatusCode becomes an HTTP status and the error JSON of SPEC §4:
// {"error":"CODE","message":"human text","field":"amount"} (field only when one is at fault).
// Thread: any.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "reactor/base/status.h"

namespace cashierd::http {

/// HTTP status for a code (INVALID_DATA 400, UNAUTHORIZED 401, ... RET_ERR_NOSERVICE 503).
std::uint16_t http_status(StatusCode code);

/// Human text for a code, used when a Status carries no more specific detail.
std::string_view default_message(StatusCode code);

/// Appends the error JSON for `status`. The message is the default text, followed by the
/// status detail with underscores as spaces ("Request validation failed: amount too many
/// decimals").
void append_error_body(std::string& out, const Status& status);

/// The same with a message of the caller's (a config-style "methods[1].currencies: ..." line).
void append_error_body(std::string& out, const Status& status, std::string_view message);

}  // namespace cashierd::http
