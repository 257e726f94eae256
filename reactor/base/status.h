// Status codes: the one list of error names cashierd puts on the wire, and Status, the value
// every fallible function returns. Append only: clients and providers match on these names.
// Thread: any. A Status never allocates; its detail points at static storage.
#pragma once

#include <cstdint>
#include <string_view>

namespace cashierd {

// X(enumerator, wire name). The enumerator is the wire name lower-cased.
#define CASHIERD_STATUS_CODES(X)                                    \
    X(ok, "OK")                                                     \
    X(invalid_data, "INVALID_DATA")                                 \
    X(bad_request, "BAD_REQUEST")                                   \
    X(unauthorized, "UNAUTHORIZED")                                 \
    X(permission_denied, "PERMISSION_DENIED")                       \
    X(not_found, "NOT_FOUND")                                       \
    X(method_not_allowed, "METHOD_NOT_ALLOWED")                     \
    X(request_timeout, "REQUEST_TIMEOUT")                           \
    X(payload_too_large, "PAYLOAD_TOO_LARGE")                       \
    X(unsupported_media_type, "UNSUPPORTED_MEDIA_TYPE")             \
    X(headers_too_large, "HEADERS_TOO_LARGE")                       \
    X(too_many_requests, "TOO_MANY_REQUESTS")                       \
    X(ret_err_noservice, "RET_ERR_NOSERVICE")                       \
    X(ret_err_duplicate, "RET_ERR_DUPLICATE")                       \
    X(account_not_available, "ACCOUNT_NOT_AVAILABLE")               \
    X(group_not_available, "GROUP_NOT_AVAILABLE")                   \
    X(currency_conversion_required, "CURRENCY_CONVERSION_REQUIRED") \
    X(payment_method_not_available, "PAYMENT_METHOD_NOT_AVAILABLE") \
    X(customer_not_found, "CUSTOMER_NOT_FOUND")                     \
    X(deposit_not_allowed, "DEPOSIT_NOT_ALLOWED")                   \
    X(withdrawal_not_allowed, "WITHDRAWAL_NOT_ALLOWED")             \
    X(insufficient_funds, "INSUFFICIENT_FUNDS")                     \
    X(invalid_signature, "INVALID_SIGNATURE")                       \
    X(transition_not_allowed, "TRANSITION_NOT_ALLOWED")             \
    X(invalid_code, "INVALID_CODE")                                 \
    X(wizard_expired, "WIZARD_EXPIRED")                             \
    X(internal, "INTERNAL")

enum class StatusCode : std::uint16_t {
#define CASHIERD_X(name, text) name,
    CASHIERD_STATUS_CODES(CASHIERD_X)
#undef CASHIERD_X
};

constexpr std::string_view status_code_name(StatusCode code) {
    switch (code) {
#define CASHIERD_X(name, text) \
    case StatusCode::name:     \
        return text;
        CASHIERD_STATUS_CODES(CASHIERD_X)
#undef CASHIERD_X
    }
    return "INTERNAL";
}

class [[nodiscard]] Status {
public:
    constexpr Status() = default;

    /// `detail` must point at static storage (or outlive every copy of this Status); `field`
    /// names the request field at fault, when one is.
    constexpr explicit Status(StatusCode code, std::string_view detail = {},
                              std::string_view field = {})
        : code_(code), detail_(detail), field_(field) {}

    constexpr bool ok() const { return code_ == StatusCode::ok; }

    constexpr StatusCode code() const { return code_; }

    constexpr std::string_view name() const { return status_code_name(code_); }

    constexpr std::string_view detail() const { return detail_; }

    constexpr std::string_view field() const { return field_; }

private:
    StatusCode code_ = StatusCode::ok;
    std::string_view detail_;
    std::string_view field_;
};

}  // namespace cashierd
