#include "http/error_mapping.h"

#include "http/json_writer.h"

namespace cashierd::http {

std::uint16_t http_status(StatusCode code) {
    switch (code) {
        case StatusCode::ok:
            return 200;
        case StatusCode::invalid_data:
        case StatusCode::bad_request:
        case StatusCode::account_not_available:
        case StatusCode::group_not_available:
        case StatusCode::currency_conversion_required:
        case StatusCode::insufficient_funds:
        case StatusCode::invalid_code:
        case StatusCode::wizard_expired:
            return 400;
        case StatusCode::unauthorized:
        case StatusCode::invalid_signature:
            return 401;
        case StatusCode::permission_denied:
        case StatusCode::payment_method_not_available:
        case StatusCode::deposit_not_allowed:
        case StatusCode::withdrawal_not_allowed:
            return 403;
        case StatusCode::not_found:
        case StatusCode::customer_not_found:
            return 404;
        case StatusCode::method_not_allowed:
            return 405;
        case StatusCode::request_timeout:
            return 408;
        case StatusCode::ret_err_duplicate:
        case StatusCode::transition_not_allowed:
            return 409;
        case StatusCode::payload_too_large:
            return 413;
        case StatusCode::unsupported_media_type:
            return 415;
        case StatusCode::too_many_requests:
            return 429;
        case StatusCode::headers_too_large:
            return 431;
        case StatusCode::internal:
            return 500;
        case StatusCode::ret_err_noservice:
            return 503;
    }
    return 500;
}

std::string_view default_message(StatusCode code) {
    switch (code) {
        case StatusCode::ok:
            return "OK";
        case StatusCode::invalid_data:
            return "Request validation failed";
        case StatusCode::bad_request:
            return "Malformed HTTP request";
        case StatusCode::unauthorized:
            return "Missing or invalid credentials";
        case StatusCode::permission_denied:
            return "Account does not belong to the customer";
        case StatusCode::not_found:
            return "Not found";
        case StatusCode::method_not_allowed:
            return "Method not allowed for this resource";
        case StatusCode::request_timeout:
            return "Request not received in time";
        case StatusCode::payload_too_large:
            return "Request body too large";
        case StatusCode::unsupported_media_type:
            return "Content-Type must be application/json";
        case StatusCode::headers_too_large:
            return "Request header block too large";
        case StatusCode::too_many_requests:
            return "Too many requests";
        case StatusCode::ret_err_noservice:
            return "Service unavailable, retry later";
        case StatusCode::ret_err_duplicate:
            return "Idempotency key already used with a different request";
        case StatusCode::account_not_available:
            return "Account does not exist or is disabled";
        case StatusCode::group_not_available:
            return "Account group does not exist or is disabled";
        case StatusCode::currency_conversion_required:
            return "Requested currency differs from the account currency";
        case StatusCode::payment_method_not_available:
            return "Payment method is not available for this account";
        case StatusCode::customer_not_found:
            return "Customer record was not found";
        case StatusCode::deposit_not_allowed:
            return "Deposits are not allowed for this customer";
        case StatusCode::withdrawal_not_allowed:
            return "Withdrawals are not allowed for this customer";
        case StatusCode::insufficient_funds:
            return "Insufficient available funds";
        case StatusCode::invalid_signature:
            return "Invalid webhook signature";
        case StatusCode::transition_not_allowed:
            return "Transaction is not in a state that allows this action";
        case StatusCode::invalid_code:
            return "Invalid verification code";
        case StatusCode::wizard_expired:
            return "Withdrawal wizard expired";
        case StatusCode::internal:
            return "Internal error";
    }
    return "Internal error";
}

void append_error_body(std::string& out, const Status& status) {
    // Built in a small stack buffer first: detail words joined by spaces.
    char message[256];
    std::size_t length = 0;
    auto put = [&](std::string_view text) {
        for (char c : text) {
            if (length < sizeof message) message[length++] = c;
        }
    };
    put(default_message(status.code()));
    if (!status.detail().empty()) {
        put(": ");
        for (char c : status.detail())
            put(std::string_view(c == '_' ? " " : &c, 1));
    }
    JsonWriter json(out);
    json.begin_object();
    json.field("error", status.name());
    json.field("message", std::string_view(message, length));
    if (!status.field().empty()) json.field("field", status.field());
    json.end_object();
}

}  // namespace cashierd::http

namespace cashierd::http {

void append_error_body(std::string& out, const Status& status, std::string_view message) {
    JsonWriter json(out);
    json.begin_object();
    json.field("error", status.name());
    json.field("message", message);
    if (!status.field().empty()) json.field("field", status.field());
    json.end_object();
}

}  // namespace cashierd::http
