#include "http/deposit_request.h"

#include <simdjson.h>

#include "ledger/money.h"

namespace cashierd::http {
namespace {

constexpr JsonField deposit_fields[] = {
        {"login", JsonType::uint64, true},
        {"provider", JsonType::string, true},
        {"amount", JsonType::number_text, true},
        {"currency", JsonType::string, true},
        {"method", JsonType::string},
        {"idempotency_key", JsonType::string},
        {"success_url", JsonType::string},
        {"failure_url", JsonType::string},
        {"comment", JsonType::string},
        {"metadata_json", JsonType::string},
};

bool string_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

Status parse_deposit_request(JsonReader& reader, std::string_view body, std::size_t capacity,
                             DepositRequest& out) {
    JsonValue v[std::size(deposit_fields)];
    Status status = reader.read_object(body, capacity, deposit_fields, v);
    if (!status.ok()) return status;
    if (v[0].unsigned_integer == 0 || v[0].unsigned_integer > INT64_MAX) {
        return Status(StatusCode::invalid_data, "login_invalid", "login");
    }
    if (!string_id(v[1].text))
        return Status(StatusCode::invalid_data, "provider_invalid", "provider");
    std::optional<ledger::Currency> currency = ledger::find_currency(v[3].text);
    if (!currency) return Status(StatusCode::invalid_data, "currency_unknown", "currency");
    Result<std::int64_t> amount = ledger::parse_amount(v[2].text, currency->exponent);
    if (!amount.ok()) return Status(StatusCode::invalid_data, amount.status().detail(), "amount");
    if (!v[4].text.empty() && !string_id(v[4].text)) {
        return Status(StatusCode::invalid_data, "method_invalid", "method");
    }

    struct Bound {
        const JsonValue& value;
        std::size_t max;
        const char* field;
    };

    for (Bound bound :
         {Bound{v[5], idempotency_key_bytes_max, "idempotency_key"},
          Bound{v[6], url_bytes_max, "success_url"}, Bound{v[7], url_bytes_max, "failure_url"},
          Bound{v[8], comment_bytes_max, "comment"},
          Bound{v[9], metadata_bytes_max, "metadata_json"}}) {
        if (bound.value.text.size() > bound.max) {
            return Status(StatusCode::invalid_data, "too_long", bound.field);
        }
    }
    if (!v[9].text.empty()) {
        // metadata_json is a string that must itself hold one JSON document.
        simdjson::dom::parser parser;
        simdjson::dom::element ignored;
        if (parser.parse(simdjson::padded_string(v[9].text)).get(ignored) != simdjson::SUCCESS) {
            return Status(StatusCode::invalid_data, "not_json", "metadata_json");
        }
    }
    out.login = v[0].unsigned_integer;
    out.provider = v[1].text;
    out.amount = amount.value();
    out.currency = v[3].text;
    out.method = v[4].text;
    out.idempotency_key = v[5].text;
    out.success_url = v[6].text;
    out.failure_url = v[7].text;
    out.comment = v[8].text;
    out.metadata_json = v[9].text;
    return Status();
}

}  // namespace cashierd::http
