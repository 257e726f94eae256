// The customer-facing Cashier API (seeds 003 and 002), customer JWT on every route:
//   GET  /cashier/methods?login=N[&type=deposit|withdrawal]
//   POST /cashier/deposit
//   GET  /cashier/transactions?login=&type=&status=&limit=&cursor=
// The accepting shard authenticates, validates and checks the login's owner; the customer's
// shard decides everything that needs the ledger (eligibility recheck, idempotency, creation).
// Thread: handlers on the accepting shard; jobs' apply() on the customer's shard.
#include <memory>

#include "http/auth.h"
#include "http/deposit_request.h"
#include "http/handlers/handler_support.h"
#include "http/ledger_gateway.h"
#include "http/payment_route.h"
#include "ledger/eligibility.h"
#include "providers/payment_module.h"
#include "reactor/base/clock.h"

namespace cashierd::http {
namespace {

using ledger::AccountRecord;
using ledger::CustomerId;
using ledger::CustomerRecord;
using ledger::Login;
using ledger::TransactionRecord;
using ledger::TxStatus;
using ledger::TxType;

// A limit as a JSON number, or null when there is none.
void write_limit(JsonWriter& json, std::string_view key, std::int64_t amount,
                 std::string_view currency) {
    if (amount > 0) {
        write_amount(json, key, amount, currency);
    } else {
        json.key(key).null();
    }
}

// GET /cashier/methods

class MethodsJob final : public LedgerJob {
public:
    CustomerId customer_id = 0;
    Login login = 0;
    std::optional<ledger::MethodType> type;

    void apply(LedgerContext& context) override {
        Result<CustomerRecord> customer = context.ledger.customer(customer_id);
        if (!customer.ok()) {
            status_ = Status(StatusCode::customer_not_found);
            return;
        }
        Result<AccountRecord> account = context.ledger.account(login);
        if (!account.ok() || !account->enabled) {
            status_ = Status(StatusCode::account_not_available, "", "login");
            return;
        }
        customer_ = customer.value();
        account_ = account.value();
        ledger::EligibilityQuery query{context.catalog, customer_, account_, type, module_loaded};
        for (const ledger::EligibleMethod& m : ledger::eligible_methods(query)) {
            Method method;
            method.provider = m.provider->code;
            method.method = m.method->method;
            method.method_id = m.method->method_id;
            method.type = m.method->type;
            method.min = m.min_amount;
            method.max = m.max_amount;
            methods_.push_back(std::move(method));
        }
    }

    void respond(Exchange& exchange) override {
        if (!status_.ok()) {
            exchange.respond_error(status_);
            return;
        }
        std::string& body = exchange.body_scratch();
        JsonWriter json(body);
        json.begin_object();
        json.key("login").uint64(login);
        json.field("currency", account_.currency);
        json.field("deposit_allowed", customer_.deposit_allowed);
        json.field("withdrawal_allowed", customer_.withdrawal_allowed);
        json.key("methods").begin_array();
        for (const Method& m : methods_) {
            json.begin_object().field("provider", m.provider).field("method", m.method);
            json.key("method_id").uint64(m.method_id);
            json.field("type", m.type == ledger::MethodType::deposit ? "deposit" : "withdrawal");
            json.key("currencies").begin_array().string(account_.currency).end_array();
            write_limit(json, "min_amount", m.min, account_.currency);
            write_limit(json, "max_amount", m.max, account_.currency);
            json.end_object();
        }
        json.end_array().end_object();
        exchange.respond_json(200, body);
    }

private:
    struct Method {
        std::string provider;
        std::string method;
        std::uint64_t method_id = 0;
        ledger::MethodType type = ledger::MethodType::deposit;
        std::int64_t min = 0;
        std::int64_t max = 0;
    };

    Status status_;
    CustomerRecord customer_;
    AccountRecord account_;
    std::vector<Method> methods_;
};

HandlerResult get_methods(Exchange& exchange) {
    std::optional<CustomerId> customer = authenticate_customer(exchange);
    if (!customer) return HandlerResult::done;
    const Request& request = exchange.request();
    std::optional<Login> login = parse_id(request.query_param("login"));
    if (!login) {
        exchange.respond_error(Status(StatusCode::invalid_data, "login_required", "login"));
        return HandlerResult::done;
    }
    auto job = std::make_unique<MethodsJob>();
    if (request.has_query_param("type")) {
        std::optional<TxType> type = parse_tx_type(request.query_param("type"));
        if (!type) {
            exchange.respond_error(Status(StatusCode::invalid_data, "type_unknown", "type"));
            return HandlerResult::done;
        }
        job->type = *type == TxType::deposit ? ledger::MethodType::deposit
                                             : ledger::MethodType::withdrawal;
    }
    if (!authorize_login(exchange, *customer, *login)) return HandlerResult::done;
    job->customer_id = *customer;
    job->login = *login;
    return submit_job(exchange, *customer, std::move(job));
}

// POST /cashier/deposit (seed 002)

class DepositJob final : public LedgerJob {
public:
    TransactionRecord request;  // id, status and payment fields are set here.

    void apply(LedgerContext& context) override {
        CustomerRecord customer;
        AccountRecord account;
        status_ = load_payer(context, request.customer_id, request.login, customer, account);
        if (!status_.ok()) return;
        // A retry answers with the original transaction whatever changed since (a provider
        // disabled, a limit moved): the money question was settled the first time.
        std::optional<TransactionRecord> replay;
        status_ = find_replay(context, request, replay);
        if (!status_.ok()) return;
        if (replay) {
            transaction_ = std::move(*replay);
            replayed_ = true;
            return;
        }
        Result<ledger::EligibleMethod> route =
                choose_method(context, customer, account, request, ledger::MethodType::deposit);
        if (!route.ok()) {
            status_ = route.status();
            return;
        }
        const ledger::EligibleMethod* chosen = &route.value();
        const providers::PaymentModule* module =
                providers::find_payment_module(chosen->provider->module);

        TransactionRecord& t = request;
        t.id = context.ledger.next_transaction_id();
        t.type = TxType::deposit;
        t.method = chosen->method->method;
        t.account_currency = account.currency;
        t.converted_amount = t.amount;
        t.conversion_rate = "1.0";
        t.created_time = t.updated_time = context.now;

        std::map<std::string, std::string, std::less<>> settings =
                provider_settings(chosen->provider->settings_json);
        char amount_text[ledger::amount_text_bytes_max];
        std::optional<ledger::Currency> currency = ledger::find_currency(t.currency);
        std::size_t amount_length =
                ledger::format_amount(t.amount, currency ? currency->exponent : 2, amount_text);
        providers::PaymentRequest payment;
        payment.transaction_id = t.id;
        payment.customer_id = t.customer_id;
        payment.login = t.login;
        payment.method = t.method;
        payment.amount_text = std::string_view(amount_text, amount_length);
        payment.currency = t.currency;
        payment.success_url = t.success_url;
        payment.failure_url = t.failure_url;
        payment.public_url = context.public_url;
        payment.settings = &settings;
        providers::PaymentCreation creation;
        Status created = module->create_payment(payment, creation);
        if (!created.ok()) {
            status_ = created;
            return;
        }
        t.provider_payment_id = creation.provider_payment_id;
        t.redirect_url = creation.redirect_url;
        t.instructions_json.clear();
        JsonWriter instructions(t.instructions_json);
        instructions.begin_object();
        for (const auto& [key, value] : creation.instructions)
            instructions.field(key, value);
        instructions.end_object();
        // Created (0) and pending_payment (1) in one commit: the provider payment exists.
        t.status = TxStatus::pending_payment;
        status_ = context.ledger.put_new_transaction(t);
        transaction_ = t;
    }

    void respond(Exchange& exchange) override {
        if (!status_.ok()) {
            exchange.respond_error(status_);
            return;
        }
        const TransactionRecord& t = transaction_;
        std::string& body = exchange.body_scratch();
        JsonWriter json(body);
        json.begin_object();
        json.key("transaction");
        write_transaction(json, t);
        json.key("payment").begin_object();
        json.field("provider_payment_id", t.provider_payment_id);
        json.field("redirect_url", t.redirect_url);
        json.field("instructions_json", t.instructions_json.empty() ? "{}" : t.instructions_json);
        json.field("raw_response_json", "{}");
        json.field("status",
                   static_cast<std::int64_t>(t.status == TxStatus::failed
                                                     ? providers::PaymentStatus::failed
                                                     : providers::PaymentStatus::pending));
        json.field("failure_reason", t.failure_reason);
        json.end_object();
        json.field("next_action", t.redirect_url.empty() ? "WAIT_PROVIDER_PAYMENT" : "REDIRECT");
        json.end_object();
        if (replayed_) {
            exchange.respond_json(200, body, {{"Idempotent-Replayed", "true"}});
        } else {
            exchange.respond_json(200, body);
        }
    }

private:
    Status status_;
    TransactionRecord transaction_;
    bool replayed_ = false;
};

HandlerResult post_deposit(Exchange& exchange) {
    std::optional<CustomerId> customer = authenticate_customer(exchange);
    if (!customer) return HandlerResult::done;
    const Request& request = exchange.request();
    std::string_view media = request.content_type.substr(0, request.content_type.find(';'));
    if (!equals_ignore_case(media, "application/json")) {
        exchange.respond_error(Status(StatusCode::unsupported_media_type));
        return HandlerResult::done;
    }
    DepositRequest parsed;
    Status status = parse_deposit_request(exchange.shard().json(), request.body,
                                          request.body_capacity, parsed);
    if (!status.ok()) {
        exchange.respond_error(status);
        return HandlerResult::done;
    }
    if (!authorize_login(exchange, *customer, parsed.login)) return HandlerResult::done;
    auto job = std::make_unique<DepositJob>();
    TransactionRecord& t = job->request;
    t.customer_id = *customer;
    t.login = parsed.login;
    t.type = TxType::deposit;
    t.provider = std::move(parsed.provider);
    t.method = std::move(parsed.method);
    t.amount = parsed.amount;
    t.currency = std::move(parsed.currency);
    t.idempotency_key = std::move(parsed.idempotency_key);
    t.success_url = std::move(parsed.success_url);
    t.failure_url = std::move(parsed.failure_url);
    t.comment = std::move(parsed.comment);
    t.metadata_json = std::move(parsed.metadata_json);
    return submit_job(exchange, *customer, std::move(job));
}

// GET /cashier/transactions

class TransactionsJob final : public LedgerJob {
public:
    CustomerId customer_id = 0;
    ledger::TransactionFilter filter;

    void apply(LedgerContext& context) override {
        if (!context.ledger.customer(customer_id).ok()) {
            status_ = Status(StatusCode::customer_not_found);
            return;
        }
        auto listed = context.ledger.transactions(customer_id, filter);
        if (!listed.ok()) {
            status_ = listed.status();
            return;
        }
        transactions_ = std::move(listed.value());
    }

    void respond(Exchange& exchange) override {
        if (!status_.ok()) {
            exchange.respond_error(status_);
            return;
        }
        std::string& body = exchange.body_scratch();
        JsonWriter json(body);
        json.begin_object().key("transactions").begin_array();
        for (const TransactionRecord& t : transactions_)
            write_transaction(json, t);
        json.end_array().key("next_cursor");
        if (transactions_.size() == filter.limit && !transactions_.empty()) {
            json.string(std::to_string(transactions_.back().id));
        } else {
            json.null();
        }
        json.end_object();
        exchange.respond_json(200, body);
    }

private:
    Status status_;
    std::vector<TransactionRecord> transactions_;
};

HandlerResult get_transactions(Exchange& exchange) {
    std::optional<CustomerId> customer = authenticate_customer(exchange);
    if (!customer) return HandlerResult::done;
    const Request& request = exchange.request();
    auto job = std::make_unique<TransactionsJob>();
    job->customer_id = *customer;
    if (request.has_query_param("login")) {
        std::optional<Login> login = parse_id(request.query_param("login"));
        if (!login) {
            exchange.respond_error(Status(StatusCode::invalid_data, "login_invalid", "login"));
            return HandlerResult::done;
        }
        if (!authorize_login(exchange, *customer, *login)) return HandlerResult::done;
        job->filter.login = *login;
    }
    if (!read_transaction_filters(exchange, job->filter.type, job->filter.status)) {
        return HandlerResult::done;
    }
    Page page;
    if (!read_page(exchange, page)) return HandlerResult::done;
    job->filter.limit = page.limit;
    job->filter.before = page.before;
    return submit_job(exchange, *customer, std::move(job));
}

}  // namespace

void add_cashier_routes(Server& server) {
    server.add_route(Method::get, "/cashier/methods", get_methods);
    server.add_route(Method::post, "/cashier/deposit", post_deposit);
    server.add_route(Method::get, "/cashier/transactions", get_transactions);
}

}  // namespace cashierd::http
