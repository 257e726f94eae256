// Fuzz target: a POST /cashier/deposit body -> DepositRequest (strict JSON reader and the exact
// money parser). Properties checked on every accepted body, not just "no crash": the amount is
// positive, within amount_minor_max, and survives format -> parse unchanged; the currency is
// known; every text is within its bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "http/deposit_request.h"
#include "ledger/money.h"
#include "reactor/base/limits.h"

using cashierd::http::DepositRequest;

namespace {

void check(bool condition) {
    if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static cashierd::http::JsonReader reader(cashierd::limits::request_body_bytes_max);
    if (size > cashierd::limits::request_body_bytes_max) return 0;
    std::vector<char> body(size + cashierd::limits::json_padding_bytes, '\0');
    if (size != 0) std::memcpy(body.data(), data, size);
    DepositRequest request;
    cashierd::Status status = cashierd::http::parse_deposit_request(
            reader, std::string_view(body.data(), size), body.size(), request);
    if (!status.ok()) {
        check(status.code() == cashierd::StatusCode::invalid_data);
        return 0;
    }
    check(request.login > 0);
    check(request.amount > 0);
    check(request.amount <= cashierd::ledger::amount_minor_max);
    std::optional<cashierd::ledger::Currency> currency =
            cashierd::ledger::find_currency(request.currency);
    check(currency.has_value());
    char text[cashierd::ledger::amount_text_bytes_max];
    std::size_t length = cashierd::ledger::format_amount(request.amount, currency->exponent, text);
    auto again = cashierd::ledger::parse_amount(std::string_view(text, length), currency->exponent);
    check(again.ok() && again.value() == request.amount);
    check(!request.provider.empty() && request.provider.size() <= 64);
    check(request.idempotency_key.size() <= cashierd::http::idempotency_key_bytes_max);
    check(request.metadata_json.size() <= cashierd::http::metadata_bytes_max);
    return 0;
}
