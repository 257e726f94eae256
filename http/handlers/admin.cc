// Back-office catalog and customer routes (manager token, `Authorization: Bearer`):
//   PUT/GET /admin/brands/{id}      {name, enabled}
//   PUT/GET /admin/groups/{id}      {brand, currency, enabled}
//   PUT/GET /admin/customers/{id}   {brand, country, name, email, phone, deposit_allowed,
//                                    withdrawal_allowed, two_factor, totp_secret?}
//   PUT     /admin/accounts/{login} {customer_id, group, enabled}
// Brands and groups live in the global store and are written on the accepting shard;
// customers and accounts are written by their owner shard through the gateway.
// Thread: handlers on the accepting shard; jobs' apply() on the owner shard.
#include <memory>

#include "http/admin_records.h"
#include "http/handlers/handler_support.h"
#include "http/ledger_gateway.h"

namespace cashierd::http {
namespace {

using ledger::AccountRecord;
using ledger::BrandRecord;
using ledger::CustomerId;
using ledger::CustomerRecord;
using ledger::GroupRecord;
using ledger::Login;

constexpr std::size_t text_bytes_max = 256;

bool check_string_id(Exchange& exchange, std::string_view id) {
    if (valid_string_id(id)) return true;
    exchange.respond_error(Status(StatusCode::invalid_data, "id_invalid", "id"));
    return false;
}

void respond_brand(Exchange& exchange, const BrandRecord& brand) {
    std::string& body = exchange.body_scratch();
    JsonWriter json(body);
    json.begin_object().field("id", brand.id).field("name", brand.name);
    json.field("enabled", brand.enabled).end_object();
    exchange.respond_json(200, body);
}

void respond_group(Exchange& exchange, const GroupRecord& group) {
    std::string& body = exchange.body_scratch();
    JsonWriter json(body);
    json.begin_object().field("id", group.id).field("brand", group.brand);
    json.field("currency", group.currency).field("enabled", group.enabled).end_object();
    exchange.respond_json(200, body);
}

// Absent (empty) means none.
std::optional<ledger::TwoFactor> two_factor_from(std::string_view name) {
    if (name.empty()) return ledger::TwoFactor::none;
    return ledger::parse_two_factor(name);
}

void write_customer(JsonWriter& json, const CustomerRecord& customer) {
    json.begin_object();
    json.key("id").uint64(customer.id);
    json.field("brand", customer.brand).field("country", customer.country);
    json.field("name", customer.name).field("email", customer.email);
    json.field("phone", customer.phone);
    json.field("deposit_allowed", customer.deposit_allowed);
    json.field("withdrawal_allowed", customer.withdrawal_allowed);
    json.field("two_factor", ledger::two_factor_name(customer.two_factor));
    // The TOTP secret is write-only.
    json.field("totp_secret_set", !customer.totp_secret.empty());
    json.key("overrides").begin_array();
    for (const ledger::MethodOverride& o : customer.overrides) {
        json.begin_object().field("provider", o.provider).field("method", o.method);
        json.field("enabled", o.enabled);
        json.key("min_amount");
        if (o.min_amount.empty()) {
            json.null();
        } else {
            json.raw(o.min_amount);
        }
        json.key("max_amount");
        if (o.max_amount.empty()) {
            json.null();
        } else {
            json.raw(o.max_amount);
        }
        json.end_object();
    }
    json.end_array();
    json.end_object();
}

// Brands

constexpr JsonField brand_fields[] = {{"name", JsonType::string, true},
                                      {"enabled", JsonType::boolean}};

HandlerResult put_brand(Exchange& exchange) {
    if (!authorize_manager(exchange, false)) return HandlerResult::done;
    std::string_view id = exchange.params()[0];
    if (!check_string_id(exchange, id)) return HandlerResult::done;
    JsonValue values[std::size(brand_fields)];
    if (!read_json_body(exchange, brand_fields, values)) return HandlerResult::done;
    if (values[0].text.empty() || values[0].text.size() > text_bytes_max) {
        exchange.respond_error(Status(StatusCode::invalid_data, "name_1_to_256_bytes", "name"));
        return HandlerResult::done;
    }
    BrandRecord brand{std::string(id), std::string(values[0].text),
                      !values[1].present || values[1].boolean};
    Status status = exchange.shard().server().global().put_brand(brand);
    if (!status.ok()) {
        exchange.respond_error(status);
        return HandlerResult::done;
    }
    respond_brand(exchange, brand);
    return HandlerResult::done;
}

HandlerResult get_brand(Exchange& exchange) {
    if (!authorize_manager(exchange, false)) return HandlerResult::done;
    Result<BrandRecord> brand = exchange.shard().server().global().brand(exchange.params()[0]);
    if (!brand.ok()) {
        exchange.respond_error(brand.status());
        return HandlerResult::done;
    }
    respond_brand(exchange, brand.value());
    return HandlerResult::done;
}

// Groups

constexpr JsonField group_fields[] = {{"brand", JsonType::string, true},
                                      {"currency", JsonType::string, true},
                                      {"enabled", JsonType::boolean}};

HandlerResult put_group(Exchange& exchange) {
    if (!authorize_manager(exchange, false)) return HandlerResult::done;
    std::string_view id = exchange.params()[0];
    if (!check_string_id(exchange, id)) return HandlerResult::done;
    JsonValue values[std::size(group_fields)];
    if (!read_json_body(exchange, group_fields, values)) return HandlerResult::done;
    ledger::GlobalStore& global = exchange.shard().server().global();
    if (!global.brand(values[0].text).ok()) {
        exchange.respond_error(Status(StatusCode::invalid_data, "brand_unknown", "brand"));
        return HandlerResult::done;
    }
    if (!ledger::find_currency(values[1].text)) {
        exchange.respond_error(Status(StatusCode::invalid_data, "currency_unknown", "currency"));
        return HandlerResult::done;
    }
    GroupRecord group{std::string(id), std::string(values[0].text), std::string(values[1].text),
                      !values[2].present || values[2].boolean};
    Result<GroupRecord> existing = global.group(id);
    if (existing.ok() && existing->currency != group.currency) {
        // Accounts keep the currency they were opened in; a group cannot change it under them.
        exchange.respond_error(
                Status(StatusCode::invalid_data, "currency_cannot_change", "currency"));
        return HandlerResult::done;
    }
    Status status = global.put_group(group);
    if (!status.ok()) {
        exchange.respond_error(status);
        return HandlerResult::done;
    }
    respond_group(exchange, group);
    return HandlerResult::done;
}

HandlerResult get_group(Exchange& exchange) {
    if (!authorize_manager(exchange, false)) return HandlerResult::done;
    Result<GroupRecord> group = exchange.shard().server().global().group(exchange.params()[0]);
    if (!group.ok()) {
        exchange.respond_error(group.status());
        return HandlerResult::done;
    }
    respond_group(exchange, group.value());
    return HandlerResult::done;
}

// Customers

class CustomerJob final : public LedgerJob {
public:
    bool write = false;
    CustomerRecord customer;

    void apply(LedgerContext& context) override {
        Result<CustomerRecord> existing = context.ledger.customer(customer.id);
        if (!write) {
            if (!existing.ok()) {
                status_ = existing.status().code() == StatusCode::not_found
                                  ? Status(StatusCode::customer_not_found)
                                  : existing.status();
                return;
            }
            customer = existing.value();
            return;
        }
        if (existing.ok()) {
            customer.created_time = existing->created_time;
            if (customer.totp_secret.empty()) customer.totp_secret = existing->totp_secret;
        } else {
            customer.created_time = context.now;
        }
        customer.updated_time = context.now;
        status_ = context.ledger.put_customer(customer);
    }

    void respond(Exchange& exchange) override {
        if (!status_.ok()) {
            exchange.respond_error(status_);
            return;
        }
        std::string& body = exchange.body_scratch();
        JsonWriter json(body);
        write_customer(json, customer);
        exchange.respond_json(200, body);
    }

private:
    Status status_;
};

constexpr JsonField customer_fields[] = {
        {"brand", JsonType::string, true},
        {"country", JsonType::string, true},
        {"name", JsonType::string},
        {"email", JsonType::string},
        {"phone", JsonType::string},
        {"deposit_allowed", JsonType::boolean},
        {"withdrawal_allowed", JsonType::boolean},
        {"two_factor", JsonType::string},
        {"totp_secret", JsonType::string},
        {"overrides", JsonType::array_raw},
};

HandlerResult put_customer(Exchange& exchange) {
    if (!authorize_manager(exchange, false)) return HandlerResult::done;
    std::optional<CustomerId> id = parse_id(exchange.params()[0]);
    if (!id) {
        exchange.respond_error(Status(StatusCode::invalid_data, "id_invalid", "id"));
        return HandlerResult::done;
    }
    JsonValue v[std::size(customer_fields)];
    if (!read_json_body(exchange, customer_fields, v)) return HandlerResult::done;
    if (!exchange.shard().server().global().brand(v[0].text).ok()) {
        exchange.respond_error(Status(StatusCode::invalid_data, "brand_unknown", "brand"));
        return HandlerResult::done;
    }
    std::string_view country = v[1].text;
    if (country.size() != 2 || country[0] < 'A' || country[0] > 'Z' || country[1] < 'A' ||
        country[1] > 'Z') {
        exchange.respond_error(Status(StatusCode::invalid_data, "country_iso_alpha2", "country"));
        return HandlerResult::done;
    }
    for (std::size_t i = 2; i <= 4; ++i) {
        if (v[i].text.size() > text_bytes_max) {
            exchange.respond_error(
                    Status(StatusCode::invalid_data, "text_too_long", customer_fields[i].name));
            return HandlerResult::done;
        }
    }
    std::optional<ledger::TwoFactor> two_factor = two_factor_from(v[7].text);
    if (!two_factor) {
        exchange.respond_error(
                Status(StatusCode::invalid_data, "two_factor_unknown", "two_factor"));
        return HandlerResult::done;
    }
    std::vector<ledger::MethodOverride> overrides;
    if (v[9].present) {
        std::string error;
        if (!parse_overrides(v[9].text, overrides, error)) {
            exchange.respond_error_message(Status(StatusCode::invalid_data, "", "overrides"),
                                           error);
            return HandlerResult::done;
        }
    }
    auto job = std::make_unique<CustomerJob>();
    job->write = true;
    CustomerRecord& c = job->customer;
    c.id = *id;
    c.brand = v[0].text;
    c.country = country;
    c.name = v[2].text;
    c.email = v[3].text;
    c.phone = v[4].text;
    c.deposit_allowed = !v[5].present || v[5].boolean;
    c.withdrawal_allowed = !v[6].present || v[6].boolean;
    c.two_factor = *two_factor;
    c.totp_secret = v[8].text;
    c.overrides = std::move(overrides);
    return submit_job(exchange, *id, std::move(job));
}

HandlerResult get_customer(Exchange& exchange) {
    if (!authorize_manager(exchange, false)) return HandlerResult::done;
    std::optional<CustomerId> id = parse_id(exchange.params()[0]);
    if (!id) {
        exchange.respond_error(Status(StatusCode::invalid_data, "id_invalid", "id"));
        return HandlerResult::done;
    }
    auto job = std::make_unique<CustomerJob>();
    job->customer.id = *id;
    return submit_job(exchange, *id, std::move(job));
}

// Accounts

class PutAccountJob final : public LedgerJob {
public:
    AccountRecord account;

    void apply(LedgerContext& context) override {
        if (!context.ledger.customer(account.customer_id).ok()) {
            status_ = Status(StatusCode::customer_not_found, "", "customer_id");
            return;
        }
        // The directory before the account, once the customer is known to exist: it refuses a
        // login that belongs to someone else, and a crash between the two writes leaves a
        // directory entry without an account, which reads as an unavailable account until the
        // PUT is retried (verify reports it as a warning).
        status_ = context.global.put_directory(account.login, account.customer_id);
        if (!status_.ok()) return;
        Result<AccountRecord> existing = context.ledger.account(account.login);
        if (existing.ok() && existing->currency != account.currency) {
            status_ = Status(StatusCode::invalid_data, "currency_cannot_change", "group");
            return;
        }
        account.created_time = existing.ok() ? existing->created_time : context.now;
        account.updated_time = context.now;
        status_ = context.ledger.put_account(account);
        if (!status_.ok()) return;
        Result<AccountRecord> stored = context.ledger.account(account.login);
        if (stored.ok()) account = stored.value();
    }

    void respond(Exchange& exchange) override {
        if (!status_.ok()) {
            exchange.respond_error(status_);
            return;
        }
        std::string& body = exchange.body_scratch();
        JsonWriter json(body);
        json.begin_object();
        json.key("login").uint64(account.login);
        json.key("customer_id").uint64(account.customer_id);
        json.field("group", account.group).field("currency", account.currency);
        json.field("enabled", account.enabled).end_object();
        exchange.respond_json(200, body);
    }

private:
    Status status_;
};

constexpr JsonField account_fields[] = {{"customer_id", JsonType::uint64, true},
                                        {"group", JsonType::string, true},
                                        {"enabled", JsonType::boolean}};

HandlerResult put_account(Exchange& exchange) {
    if (!authorize_manager(exchange, false)) return HandlerResult::done;
    std::optional<Login> login = parse_id(exchange.params()[0]);
    if (!login) {
        exchange.respond_error(Status(StatusCode::invalid_data, "login_invalid", "login"));
        return HandlerResult::done;
    }
    JsonValue v[std::size(account_fields)];
    if (!read_json_body(exchange, account_fields, v)) return HandlerResult::done;
    CustomerId customer = v[0].unsigned_integer;
    if (customer == 0) {
        exchange.respond_error(
                Status(StatusCode::invalid_data, "customer_id_positive", "customer_id"));
        return HandlerResult::done;
    }
    ledger::GlobalStore& global = exchange.shard().server().global();
    Result<GroupRecord> group = global.group(v[1].text);
    if (!group.ok()) {
        exchange.respond_error(Status(StatusCode::group_not_available, "", "group"));
        return HandlerResult::done;
    }
    auto job = std::make_unique<PutAccountJob>();
    job->account.login = *login;
    job->account.customer_id = customer;
    job->account.group = group->id;
    job->account.currency = group->currency;
    job->account.enabled = !v[2].present || v[2].boolean;
    return submit_job(exchange, customer, std::move(job));
}

// Providers

void write_provider(JsonWriter& json, const ledger::ProviderRecord& provider) {
    json.begin_object();
    json.field("code", provider.code).field("module", provider.module);
    json.field("enabled", provider.enabled);
    // The webhook secret is write-only.
    json.field("webhook_secret_set", !provider.webhook_secret.empty());
    json.key("settings").raw(provider.settings_json);
    json.key("methods").begin_array();
    for (const ledger::MethodRecord& m : provider.methods) {
        json.begin_object().field("method", m.method).key("method_id").uint64(m.method_id);
        json.field("type", m.type == ledger::MethodType::deposit ? "deposit" : "withdrawal");
        for (auto [name, list] :
             {std::pair{"brands", &m.brands}, std::pair{"currencies", &m.currencies},
              std::pair{"countries", &m.countries}}) {
            json.key(name).begin_array();
            for (const std::string& item : *list)
                json.string(item);
            json.end_array();
        }
        json.key("min_amount");
        m.min_amount.empty() ? json.null() : json.raw(m.min_amount);
        json.key("max_amount");
        m.max_amount.empty() ? json.null() : json.raw(m.max_amount);
        json.end_object();
    }
    json.end_array().end_object();
}

HandlerResult put_provider(Exchange& exchange) {
    if (!authorize_manager(exchange, false)) return HandlerResult::done;
    std::string_view code = exchange.params()[0];
    if (!check_string_id(exchange, code)) return HandlerResult::done;
    // Validated strictly first (duplicate keys, trailing bytes), then read into the record.
    constexpr JsonField shape[] = {{"module", JsonType::string, true},
                                   {"enabled", JsonType::boolean},
                                   {"webhook_secret", JsonType::string},
                                   {"settings", JsonType::object_raw},
                                   {"methods", JsonType::array_raw}};
    JsonValue values[std::size(shape)];
    if (!read_json_body(exchange, shape, values)) return HandlerResult::done;
    ledger::ProviderRecord provider;
    std::string error;
    if (!parse_provider(exchange.request().body, code, provider, error)) {
        exchange.respond_error_message(Status(StatusCode::invalid_data), error);
        return HandlerResult::done;
    }
    ledger::GlobalStore& global = exchange.shard().server().global();
    if (provider.webhook_secret.empty()) {
        // Omitted on update: the stored secret stays (it is never read back).
        Result<ledger::ProviderRecord> existing = global.provider(code);
        if (existing.ok()) provider.webhook_secret = existing->webhook_secret;
    }
    Status status = global.put_provider(provider);
    if (!status.ok()) {
        exchange.respond_error(status);
        return HandlerResult::done;
    }
    std::string& body = exchange.body_scratch();
    JsonWriter json(body);
    write_provider(json, provider);
    exchange.respond_json(200, body);
    return HandlerResult::done;
}

HandlerResult get_provider(Exchange& exchange) {
    if (!authorize_manager(exchange, false)) return HandlerResult::done;
    Result<ledger::ProviderRecord> provider =
            exchange.shard().server().global().provider(exchange.params()[0]);
    if (!provider.ok()) {
        exchange.respond_error(provider.status());
        return HandlerResult::done;
    }
    std::string& body = exchange.body_scratch();
    JsonWriter json(body);
    write_provider(json, provider.value());
    exchange.respond_json(200, body);
    return HandlerResult::done;
}

}  // namespace

void add_admin_routes(Server& server) {
    server.add_route(Method::put, "/admin/providers/{code}", put_provider);
    server.add_route(Method::get, "/admin/providers/{code}", get_provider);
    server.add_route(Method::put, "/admin/brands/{id}", put_brand);
    server.add_route(Method::get, "/admin/brands/{id}", get_brand);
    server.add_route(Method::put, "/admin/groups/{id}", put_group);
    server.add_route(Method::get, "/admin/groups/{id}", get_group);
    server.add_route(Method::put, "/admin/customers/{id}", put_customer);
    server.add_route(Method::get, "/admin/customers/{id}", get_customer);
    server.add_route(Method::put, "/admin/accounts/{login}", put_account);
}

}  // namespace cashierd::http
