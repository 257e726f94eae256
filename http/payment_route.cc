#include "http/payment_route.h"

#include <vector>

#include <simdjson.h>

#include "ledger/money.h"
#include "providers/payment_module.h"

namespace cashierd::http {

using ledger::AccountRecord;
using ledger::CustomerRecord;
using ledger::MethodType;
using ledger::TransactionRecord;

bool module_loaded(std::string_view name) {
    const providers::PaymentModule* module = providers::find_payment_module(name);
    return module != nullptr && module->creates_payments();
}

Status load_payer(LedgerContext& context, ledger::CustomerId customer_id, ledger::Login login,
                  CustomerRecord& customer, AccountRecord& account) {
    Result<CustomerRecord> found_customer = context.ledger.customer(customer_id);
    if (!found_customer.ok()) return Status(StatusCode::customer_not_found);
    Result<AccountRecord> found_account = context.ledger.account(login);
    if (!found_account.ok()) return Status(StatusCode::account_not_available, "", "login");
    if (found_account->customer_id != customer_id) {
        return Status(StatusCode::permission_denied, "", "login");
    }
    customer = std::move(found_customer.value());
    account = std::move(found_account.value());
    return Status();
}

Status find_replay(LedgerContext& context, const TransactionRecord& request,
                   std::optional<TransactionRecord>& replay) {
    if (request.idempotency_key.empty()) return Status();
    auto found =
            context.ledger.find_by_idempotency_key(request.customer_id, request.idempotency_key);
    if (!found.ok()) return found.status();
    if (!found.value()) return Status();
    ledger::IdempotencyMatch match = ledger::compare_request(*found.value(), request);
    if (match != ledger::IdempotencyMatch::same) {
        return Status(StatusCode::ret_err_duplicate, ledger::idempotency_match_name(match),
                      "idempotency_key");
    }
    replay = std::move(*found.value());
    return Status();
}

Result<ledger::EligibleMethod> choose_method(LedgerContext& context, const CustomerRecord& customer,
                                             const AccountRecord& account,
                                             const TransactionRecord& request, MethodType type) {
    const ledger::Catalog& catalog = context.catalog;
    if (!account.enabled) {
        return Status(StatusCode::account_not_available, "account_disabled", "login");
    }
    auto group = catalog.groups.find(account.group);
    if (group == catalog.groups.end() || !group->second.enabled) {
        return Status(StatusCode::group_not_available);
    }
    if (type == MethodType::deposit && !customer.deposit_allowed) {
        return Status(StatusCode::deposit_not_allowed);
    }
    if (type == MethodType::withdrawal && !customer.withdrawal_allowed) {
        return Status(StatusCode::withdrawal_not_allowed);
    }
    if (request.currency != account.currency) {
        return Status(StatusCode::currency_conversion_required, "", "currency");
    }
    auto provider = catalog.providers.find(request.provider);
    if (provider == catalog.providers.end() || !provider->second.enabled) {
        return Status(StatusCode::payment_method_not_available, "", "provider");
    }
    if (!module_loaded(provider->second.module)) {
        return Status(StatusCode::ret_err_noservice, "provider_module_not_loaded");
    }
    ledger::EligibilityQuery query{catalog, customer, account, type, module_loaded};
    std::vector<ledger::EligibleMethod> eligible = ledger::eligible_methods(query);
    for (const ledger::EligibleMethod& m : eligible) {
        if (m.provider->code != request.provider) continue;
        if (!request.method.empty() && m.method->method != request.method) continue;
        if (m.min_amount > 0 && request.amount < m.min_amount) {
            return Status(StatusCode::invalid_data, "amount_below_minimum", "amount");
        }
        if (m.max_amount > 0 && request.amount > m.max_amount) {
            return Status(StatusCode::invalid_data, "amount_above_maximum", "amount");
        }
        return m;
    }
    return Status(StatusCode::payment_method_not_available, "", "method");
}

std::map<std::string, std::string, std::less<>> provider_settings(
        const std::string& settings_json) {
    std::map<std::string, std::string, std::less<>> settings;
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    if (parser.parse(settings_json).get_object().get(object) != simdjson::SUCCESS) {
        return settings;
    }
    for (auto field : object) {
        std::string_view text;
        std::int64_t integer = 0;
        if (field.value.get_string().get(text) == simdjson::SUCCESS) {
            settings.emplace(std::string(field.key), std::string(text));
        } else if (field.value.get_int64().get(integer) == simdjson::SUCCESS) {
            settings.emplace(std::string(field.key), std::to_string(integer));
        }
    }
    return settings;
}

const providers::PaymentModule* provider_module(const ledger::Catalog& catalog,
                                                std::string_view code,
                                                const ledger::ProviderRecord** provider) {
    auto found = catalog.providers.find(code);
    if (found == catalog.providers.end()) return nullptr;
    *provider = &found->second;
    return providers::find_payment_module(found->second.module);
}

Status request_payout(LedgerContext& context, const TransactionRecord& t,
                      providers::PayoutCreation& out) {
    const ledger::ProviderRecord* provider = nullptr;
    const providers::PaymentModule* module =
            provider_module(context.catalog, t.provider, &provider);
    if (module == nullptr) {
        return Status(StatusCode::ret_err_noservice, "provider_module_not_loaded");
    }
    std::map<std::string, std::string, std::less<>> settings =
            provider_settings(provider->settings_json);
    std::optional<ledger::Currency> currency = ledger::find_currency(t.currency);
    char amount_text[ledger::amount_text_bytes_max];
    std::size_t amount_length =
            ledger::format_amount(t.amount, currency ? currency->exponent : 2, amount_text);
    providers::PayoutRequest request;
    request.transaction_id = t.id;
    request.customer_id = t.customer_id;
    request.login = t.login;
    request.method = t.method;
    request.amount_text = std::string_view(amount_text, amount_length);
    request.currency = t.currency;
    request.details_json = t.metadata_json;
    request.public_url = context.public_url;
    request.settings = &settings;
    return module->request_payout(request, out);
}

}  // namespace cashierd::http
