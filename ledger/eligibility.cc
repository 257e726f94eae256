#include "ledger/eligibility.h"

#include <algorithm>

#include "ledger/money.h"

namespace cashierd::ledger {
namespace {

bool listed(const std::vector<std::string>& allowed, std::string_view value) {
    return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

// A stored limit in minor units of the account currency; 0 when absent or not expressible in
// that currency (stored limits were validated as decimals when the provider was saved).
std::int64_t limit_minor(const std::string& text, std::uint8_t exponent) {
    if (text.empty()) return 0;
    Result<std::int64_t> value = parse_amount(text, exponent);
    return value.ok() ? value.value() : 0;
}

const MethodOverride* find_override(const CustomerRecord& customer, std::string_view provider,
                                    std::string_view method) {
    for (const MethodOverride& o : customer.overrides) {
        if (o.provider == provider && o.method == method) return &o;
    }
    return nullptr;
}

}  // namespace

std::vector<EligibleMethod> eligible_methods(const EligibilityQuery& query) {
    std::vector<EligibleMethod> result;
    const Catalog& catalog = query.catalog;
    auto group = catalog.groups.find(query.account.group);
    if (group == catalog.groups.end()) return result;
    std::string_view brand = group->second.brand;
    std::optional<Currency> currency = find_currency(query.account.currency);
    std::uint8_t exponent = currency ? currency->exponent : 2;
    for (const auto& [code, provider] : catalog.providers) {
        if (!provider.enabled || !query.module_loaded(provider.module)) continue;
        for (const MethodRecord& method : provider.methods) {
            if (query.type && method.type != *query.type) continue;
            const MethodOverride* custom = find_override(query.customer, code, method.method);
            bool by_rules = listed(method.brands, brand) &&
                            listed(method.currencies, query.account.currency) &&
                            listed(method.countries, query.customer.country);
            // An override decides either way; without one, the rules do.
            bool eligible = custom != nullptr ? custom->enabled : by_rules;
            if (!eligible) continue;
            EligibleMethod entry{&provider, &method, limit_minor(method.min_amount, exponent),
                                 limit_minor(method.max_amount, exponent)};
            if (custom != nullptr) {
                // Narrowing only: a minimum can rise, a maximum can fall.
                std::int64_t min = limit_minor(custom->min_amount, exponent);
                std::int64_t max = limit_minor(custom->max_amount, exponent);
                if (min > entry.min_amount) entry.min_amount = min;
                if (max > 0 && (entry.max_amount == 0 || max < entry.max_amount)) {
                    entry.max_amount = max;
                }
            }
            result.push_back(entry);
        }
    }
    return result;
}

}  // namespace cashierd::ledger
