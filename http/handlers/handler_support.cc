#include "http/handlers/handler_support.h"

#include "http/auth.h"
#include "reactor/base/clock.h"

namespace cashierd::http {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Query values are percent-encoded; tokens are compared decoded. False on a bad escape.
bool percent_decode(std::string_view text, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%') {
            if (i + 2 >= text.size()) return false;
            int high = hex_value(text[i + 1]);
            int low = hex_value(text[i + 2]);
            if (high < 0 || low < 0) return false;
            out.push_back(static_cast<char>(high * 16 + low));
            i += 2;
        } else if (text[i] == '+') {
            out.push_back(' ');
        } else {
            out.push_back(text[i]);
        }
    }
    return true;
}

}  // namespace

std::optional<std::size_t> authorize_manager(Exchange& exchange, bool query) {
    const Config& config = exchange.shard().config();
    std::optional<std::size_t> match;
    if (query) {
        std::string decoded;
        if (percent_decode(exchange.request().query_param("token"), decoded)) {
            match = match_manager_token(config, decoded);
        }
    } else {
        match = match_manager_token(config, bearer_token(exchange.request()));
    }
    if (!match) {
        exchange.respond_error(Status(StatusCode::unauthorized, "manager_token_required"),
                               {{"WWW-Authenticate", "Bearer"}});
    }
    return match;
}

bool read_json_body(Exchange& exchange, std::span<const JsonField> fields,
                    std::span<JsonValue> out) {
    const Request& request = exchange.request();
    std::string_view type = request.content_type;
    std::string_view media = type.substr(0, type.find(';'));
    while (!media.empty() && media.back() == ' ')
        media.remove_suffix(1);
    if (!equals_ignore_case(media, "application/json")) {
        exchange.respond_error(Status(StatusCode::unsupported_media_type));
        return false;
    }
    Status status =
            exchange.shard().json().read_object(request.body, request.body_capacity, fields, out);
    if (!status.ok()) {
        exchange.respond_error(status);
        return false;
    }
    return true;
}

std::optional<std::uint64_t> parse_id(std::string_view text) {
    if (text.empty() || text.size() > 19 || text.front() == '0') return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
}

bool valid_string_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

void write_amount(JsonWriter& json, std::string_view key, std::int64_t amount,
                  std::string_view currency) {
    std::optional<ledger::Currency> found = ledger::find_currency(currency);
    char text[ledger::amount_text_bytes_max];
    std::size_t length = ledger::format_amount(amount, found ? found->exponent : 2, text);
    json.key(key).raw(std::string_view(text, length));
}

std::string manager_actor(std::size_t index) {
    return "manager#" + std::to_string(index);
}

void write_transaction(JsonWriter& json, const ledger::TransactionRecord& t) {
    json.begin_object();
    json.key("id").uint64(t.id);
    json.key("customer_id").uint64(t.customer_id);
    json.key("login").uint64(t.login);
    json.field("type", static_cast<std::int64_t>(t.type));
    json.field("provider", t.provider).field("method", t.method);
    json.field("provider_payment_id", t.provider_payment_id);
    write_amount(json, "amount", t.amount, t.currency);
    json.field("currency", t.currency).field("account_currency", t.account_currency);
    write_amount(json, "converted_amount", t.converted_amount, t.account_currency);
    json.key("conversion_rate").raw(t.conversion_rate.empty() ? "1.0" : t.conversion_rate);
    json.field("status", static_cast<std::int64_t>(t.status));
    json.field("failure_reason", t.failure_reason);
    json.field("idempotency_key", t.idempotency_key);
    json.field("comment", t.comment);
    json.field("metadata_json", t.metadata_json.empty() ? "{}" : t.metadata_json);
    json.field("created_time", t.created_time).field("updated_time", t.updated_time);
    json.end_object();
}

std::optional<ledger::TxType> parse_tx_type(std::string_view text) {
    if (text == "deposit" || text == "0") return ledger::TxType::deposit;
    if (text == "withdrawal" || text == "1") return ledger::TxType::withdrawal;
    return std::nullopt;
}

std::optional<ledger::TxStatus> parse_tx_status(std::string_view text) {
    for (std::uint8_t i = 0; i <= ledger::tx_status_max; ++i) {
        auto status = static_cast<ledger::TxStatus>(i);
        if (text == ledger::tx_status_name(status) || text == std::to_string(i)) return status;
    }
    return std::nullopt;
}

bool read_page(Exchange& exchange, Page& page) {
    const Request& request = exchange.request();
    if (request.has_query_param("limit")) {
        std::optional<std::uint64_t> limit = parse_id(request.query_param("limit"));
        if (!limit || *limit > 200) {
            exchange.respond_error(Status(StatusCode::invalid_data, "limit_1_to_200", "limit"));
            return false;
        }
        page.limit = *limit;
    }
    if (request.has_query_param("cursor")) {
        std::optional<std::uint64_t> cursor = parse_id(request.query_param("cursor"));
        if (!cursor) {
            exchange.respond_error(Status(StatusCode::invalid_data, "cursor_invalid", "cursor"));
            return false;
        }
        page.before = *cursor;
    }
    return true;
}

bool read_transaction_filters(Exchange& exchange, std::optional<ledger::TxType>& type,
                              std::optional<ledger::TxStatus>& status) {
    const Request& request = exchange.request();
    if (request.has_query_param("type")) {
        type = parse_tx_type(request.query_param("type"));
        if (!type) {
            exchange.respond_error(Status(StatusCode::invalid_data, "type_unknown", "type"));
            return false;
        }
    }
    if (request.has_query_param("status")) {
        status = parse_tx_status(request.query_param("status"));
        if (!status) {
            exchange.respond_error(Status(StatusCode::invalid_data, "status_unknown", "status"));
            return false;
        }
    }
    return true;
}

std::optional<ledger::CustomerId> authenticate_customer(Exchange& exchange) {
    std::string_view token = bearer_token(exchange.request());
    if (token.empty()) {
        exchange.respond_error(Status(StatusCode::unauthorized, "bearer_token_required"),
                               {{"WWW-Authenticate", "Bearer"}});
        return std::nullopt;
    }
    Result<providers::JwtClaims> claims =
            exchange.shard().server().jwt().verify(token, RealClock::instance().unix_seconds());
    if (!claims.ok()) {
        exchange.respond_error(claims.status(), {{"WWW-Authenticate", "Bearer"}});
        return std::nullopt;
    }
    return claims->customer_id;
}

bool authorize_login(Exchange& exchange, ledger::CustomerId customer, ledger::Login login,
                     std::string_view field) {
    Result<ledger::CustomerId> owner = exchange.shard().server().global().owner(login);
    if (!owner.ok()) {
        exchange.respond_error(owner.status().code() == StatusCode::not_found
                                       ? Status(StatusCode::account_not_available, "", field)
                                       : owner.status());
        return false;
    }
    if (owner.value() != customer) {
        exchange.respond_error(Status(StatusCode::permission_denied, "", field));
        return false;
    }
    return true;
}

void respond_transaction(Exchange& exchange, Status status, const ledger::TransactionRecord& t) {
    if (!status.ok()) {
        exchange.respond_error(status);
        return;
    }
    std::string& body = exchange.body_scratch();
    JsonWriter json(body);
    json.begin_object().key("transaction");
    write_transaction(json, t);
    json.end_object();
    exchange.respond_json(200, body);
}

}  // namespace cashierd::http
