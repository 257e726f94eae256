#include "http/admin_records.h"

#include <map>
#include <set>

#include <simdjson.h>

#include "http/handlers/handler_support.h"
#include "ledger/money.h"

namespace cashierd::http {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Reads members of one object with a path prefix for messages.
class Fields {
public:
    Fields(element object, std::string path) : object_(object), path_(std::move(path)) {}

    bool string(const char* key, std::string& out, bool required, std::string& error) const {
        element value;
        if (object_[key].get(value) != simdjson::SUCCESS) {
            if (required) error = path_ + "." + key + ": required";
            return !required;
        }
        std::string_view text;
        if (value.get_string().get(text) != simdjson::SUCCESS) {
            error = path_ + "." + key + ": must be a string";
            return false;
        }
        out = text;
        return true;
    }

    bool boolean(const char* key, bool& out, std::string& error) const {
        element value;
        if (object_[key].get(value) != simdjson::SUCCESS) return true;
        if (value.get_bool().get(out) != simdjson::SUCCESS) {
            error = path_ + "." + key + ": must be true or false";
            return false;
        }
        return true;
    }

    bool id(const char* key, std::uint64_t& out, std::string& error) const {
        element value;
        if (object_[key].get(value) != simdjson::SUCCESS ||
            value.get_uint64().get(out) != simdjson::SUCCESS || out == 0) {
            error = path_ + "." + key + ": must be a positive integer";
            return false;
        }
        return true;
    }

    // A decimal amount given as a JSON number or a decimal string; kept as text.
    bool amount(const char* key, std::string& out, std::string& error) const {
        element value;
        if (object_[key].get(value) != simdjson::SUCCESS) return true;
        std::string_view text;
        if (value.get_string().get(text) == simdjson::SUCCESS) {
            out = text;
        } else if (value.is_number()) {
            out = simdjson::minify(value);
        } else {
            error = path_ + "." + key + ": must be a decimal number";
            return false;
        }
        if (ledger::parse_amount(out, 18).status().detail() == "amount_malformed") {
            error = path_ + "." + key + ": must be a decimal number";
            return false;
        }
        return true;
    }

    bool strings(const char* key, std::vector<std::string>& out, std::string& error) const {
        element value;
        if (object_[key].get(value) != simdjson::SUCCESS) return true;
        simdjson::dom::array array;
        if (value.get_array().get(array) != simdjson::SUCCESS) {
            error = path_ + "." + key + ": must be an array of strings";
            return false;
        }
        for (element item : array) {
            std::string_view text;
            if (item.get_string().get(text) != simdjson::SUCCESS) {
                error = path_ + "." + key + ": must be an array of strings";
                return false;
            }
            out.emplace_back(text);
        }
        return true;
    }

    element object() const { return object_; }

    const std::string& path() const { return path_; }

private:
    element object_;
    std::string path_;
};

bool check_string_id(const std::string& id, const std::string& path, std::string& error) {
    if (valid_string_id(id)) return true;
    error = path + ": must be 1-64 characters of [A-Za-z0-9_-]";
    return false;
}

bool parse_method(const Fields& f, ledger::MethodRecord& m, std::string& error) {
    std::string type = "deposit";
    if (!f.string("method", m.method, true, error) || !f.id("method_id", m.method_id, error) ||
        !f.string("type", type, false, error) || !f.strings("brands", m.brands, error) ||
        !f.strings("currencies", m.currencies, error) ||
        !f.strings("countries", m.countries, error) ||
        !f.amount("min_amount", m.min_amount, error) ||
        !f.amount("max_amount", m.max_amount, error)) {
        return false;
    }
    if (type != "deposit" && type != "withdrawal") {
        error = f.path() + ".type: must be \"deposit\" or \"withdrawal\"";
        return false;
    }
    m.type = type == "deposit" ? ledger::MethodType::deposit : ledger::MethodType::withdrawal;
    for (const std::string& currency : m.currencies) {
        if (!ledger::find_currency(currency)) {
            error = f.path() + ".currencies: unknown currency " + currency;
            return false;
        }
    }
    return check_string_id(m.method, f.path() + ".method", error);
}

bool parse_provider_object(element object, const std::string& path, std::string_view id,
                           ledger::ProviderRecord& out, std::string& error) {
    Fields f(object, path);
    if (object.type() != element_type::OBJECT) {
        error = path + ": must be an object";
        return false;
    }
    if (id.empty()) {
        if (!f.string("code", out.code, true, error)) return false;
    } else {
        out.code = id;
    }
    if (!check_string_id(out.code, path + ".code", error) ||
        !f.string("module", out.module, true, error) || !f.boolean("enabled", out.enabled, error) ||
        !f.string("webhook_secret", out.webhook_secret, false, error)) {
        return false;
    }
    element settings;
    if (object["settings"].get(settings) == simdjson::SUCCESS) {
        if (settings.type() != element_type::OBJECT) {
            error = path + ".settings: must be an object";
            return false;
        }
        out.settings_json = simdjson::minify(settings);
    } else {
        out.settings_json = "{}";
    }
    element methods;
    if (object["methods"].get(methods) == simdjson::SUCCESS) {
        simdjson::dom::array array;
        if (methods.get_array().get(array) != simdjson::SUCCESS) {
            error = path + ".methods: must be an array";
            return false;
        }
        std::set<std::uint64_t> ids;
        std::size_t index = 0;
        for (element item : array) {
            std::string item_path = path + ".methods[" + std::to_string(index++) + "]";
            if (item.type() != element_type::OBJECT) {
                error = item_path + ": must be an object";
                return false;
            }
            ledger::MethodRecord method;
            if (!parse_method(Fields(item, item_path), method, error)) return false;
            if (!ids.insert(method.method_id).second) {
                error = item_path + ".method_id: duplicate";
                return false;
            }
            out.methods.push_back(std::move(method));
        }
    }
    return true;
}

bool parse_overrides_array(element value, const std::string& path,
                           std::vector<ledger::MethodOverride>& out, std::string& error) {
    simdjson::dom::array array;
    if (value.get_array().get(array) != simdjson::SUCCESS) {
        error = path + ": must be an array";
        return false;
    }
    std::size_t index = 0;
    for (element item : array) {
        std::string item_path = path + "[" + std::to_string(index++) + "]";
        if (item.type() != element_type::OBJECT) {
            error = item_path + ": must be an object";
            return false;
        }
        Fields f(item, item_path);
        ledger::MethodOverride o;
        element enabled;
        if (item["enabled"].get(enabled) != simdjson::SUCCESS) {
            error = item_path + ".enabled: required";
            return false;
        }
        if (!f.string("provider", o.provider, true, error) ||
            !f.string("method", o.method, true, error) || !f.boolean("enabled", o.enabled, error) ||
            !f.amount("min_amount", o.min_amount, error) ||
            !f.amount("max_amount", o.max_amount, error)) {
            return false;
        }
        out.push_back(std::move(o));
    }
    return true;
}

}  // namespace

bool parse_overrides(std::string_view json, std::vector<ledger::MethodOverride>& out,
                     std::string& error) {
    simdjson::dom::parser parser;
    element root;
    if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
        error = "overrides: malformed JSON";
        return false;
    }
    return parse_overrides_array(root, "overrides", out, error);
}

bool parse_provider(std::string_view json, std::string_view id, ledger::ProviderRecord& out,
                    std::string& error) {
    simdjson::dom::parser parser;
    element root;
    if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
        error = "body: malformed JSON";
        return false;
    }
    return parse_provider_object(root, "body", id, out, error);
}

bool parse_initial_data(std::string_view json, InitialData& out, std::string& error) {
    simdjson::dom::parser parser;
    element root;
    if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
        error = "initial data: malformed";
        return false;
    }
    auto each = [&](const char* section, auto&& parse_one) {
        simdjson::dom::array array;
        if (root[section].get_array().get(array) != simdjson::SUCCESS) return true;
        std::size_t index = 0;
        for (element item : array) {
            std::string path = std::string(section) + "[" + std::to_string(index++) + "]";
            if (item.type() != element_type::OBJECT) {
                error = path + ": must be an object";
                return false;
            }
            if (!parse_one(Fields(item, path))) return false;
        }
        return true;
    };
    std::set<std::string> brands;
    std::map<std::string, std::string> group_currency;
    std::set<std::uint64_t> customers;
    bool ok = each("brands", [&](const Fields& f) {
        ledger::BrandRecord brand;
        if (!f.string("id", brand.id, true, error) ||
            !check_string_id(brand.id, f.path() + ".id", error) ||
            !f.string("name", brand.name, true, error) ||
            !f.boolean("enabled", brand.enabled, error)) {
            return false;
        }
        brands.insert(brand.id);
        out.brands.push_back(std::move(brand));
        return true;
    });
    ok = ok && each("groups", [&](const Fields& f) {
             ledger::GroupRecord group;
             if (!f.string("id", group.id, true, error) ||
                 !check_string_id(group.id, f.path() + ".id", error) ||
                 !f.string("brand", group.brand, true, error) ||
                 !f.string("currency", group.currency, true, error) ||
                 !f.boolean("enabled", group.enabled, error)) {
                 return false;
             }
             if (brands.count(group.brand) == 0) {
                 error = f.path() + ".brand: unknown brand " + group.brand;
                 return false;
             }
             if (!ledger::find_currency(group.currency)) {
                 error = f.path() + ".currency: unknown currency " + group.currency;
                 return false;
             }
             group_currency[group.id] = group.currency;
             out.groups.push_back(std::move(group));
             return true;
         });
    ok = ok && each("providers", [&](const Fields& f) {
             ledger::ProviderRecord provider;
             if (!parse_provider_object(f.object(), f.path(), {}, provider, error)) return false;
             out.providers.push_back(std::move(provider));
             return true;
         });
    ok = ok && each("customers", [&](const Fields& f) {
             ledger::CustomerRecord customer;
             std::string two_factor = "none";
             if (!f.id("id", customer.id, error) ||
                 !f.string("brand", customer.brand, true, error) ||
                 !f.string("country", customer.country, true, error) ||
                 !f.string("name", customer.name, false, error) ||
                 !f.string("email", customer.email, false, error) ||
                 !f.string("phone", customer.phone, false, error) ||
                 !f.boolean("deposit_allowed", customer.deposit_allowed, error) ||
                 !f.boolean("withdrawal_allowed", customer.withdrawal_allowed, error) ||
                 !f.string("two_factor", two_factor, false, error) ||
                 !f.string("totp_secret", customer.totp_secret, false, error)) {
                 return false;
             }
             if (brands.count(customer.brand) == 0) {
                 error = f.path() + ".brand: unknown brand " + customer.brand;
                 return false;
             }
             element overrides;
             if (f.object()["overrides"].get(overrides) == simdjson::SUCCESS &&
                 !parse_overrides_array(overrides, f.path() + ".overrides", customer.overrides,
                                        error)) {
                 return false;
             }
             std::optional<ledger::TwoFactor> method = ledger::parse_two_factor(two_factor);
             if (!method) {
                 error = f.path() + ".two_factor: must be none, email, sms or google";
                 return false;
             }
             customer.two_factor = *method;
             customers.insert(customer.id);
             out.customers.push_back(std::move(customer));
             return true;
         });
    ok = ok && each("accounts", [&](const Fields& f) {
             InitialAccount entry;
             ledger::AccountRecord& account = entry.account;
             if (!f.id("login", account.login, error) ||
                 !f.id("customer_id", account.customer_id, error) ||
                 !f.string("group", account.group, true, error) ||
                 !f.boolean("enabled", account.enabled, error) ||
                 !f.amount("balance", entry.balance, error) ||
                 !f.amount("bonus", entry.bonus, error)) {
                 return false;
             }
             if (customers.count(account.customer_id) == 0) {
                 error = f.path() + ".customer_id: unknown customer";
                 return false;
             }
             auto group = group_currency.find(account.group);
             if (group == group_currency.end()) {
                 error = f.path() + ".group: unknown group " + account.group;
                 return false;
             }
             account.currency = group->second;
             out.accounts.push_back(std::move(entry));
             return true;
         });
    return ok;
}

}  // namespace cashierd::http
