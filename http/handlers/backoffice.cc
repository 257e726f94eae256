// Back-office and platform routes on the ledger:
//   POST /webserv/traders/{login}/changebalance?token=   seed 000, exactly
//   GET  /admin/accounts/{login}, GET /admin/accounts/{login}/history
//   PUT/GET /admin/brands/{id}, /admin/groups/{id}        (global store, written here)
//   PUT/GET /admin/customers/{id}, /admin/accounts/{login} (owner shard, through the gateway)
// Thread: handlers run on the accepting shard; jobs' apply() on the owner shard.
#include <memory>

#include "http/handlers/handler_support.h"
#include "http/ledger_gateway.h"

namespace cashierd::http {
namespace {

using ledger::AccountRecord;
using ledger::CustomerId;
using ledger::HistoryRecord;
using ledger::HistoryType;
using ledger::Login;
using ledger::Outcome;

constexpr std::size_t text_bytes_max = 1024;
constexpr std::size_t id_text_bytes_max = 128;

std::optional<HistoryType> change_type(std::string_view name) {
    if (name == "DEPOSIT") return HistoryType::deposit;
    if (name == "WITHDRAW") return HistoryType::withdraw;
    if (name == "DEPOSIT_NONWITHDRAWABLE_BONUS") return HistoryType::deposit_nonwithdrawable_bonus;
    if (name == "WITHDRAW_NONWITHDRAWABLE_BONUS") {
        return HistoryType::withdraw_nonwithdrawable_bonus;
    }
    return std::nullopt;
}

void write_account(JsonWriter& json, const AccountRecord& account) {
    json.begin_object();
    json.key("login").uint64(account.login);
    json.key("customer_id").uint64(account.customer_id);
    json.field("group", account.group);
    json.field("currency", account.currency);
    json.field("enabled", account.enabled);
    write_amount(json, "balance", account.balance, account.currency);
    write_amount(json, "held", account.held, account.currency);
    write_amount(json, "bonus", account.bonus, account.currency);
    write_amount(json, "available", account.available(), account.currency);
    json.field("negative", account.balance < 0);
    // The flag a refund or chargeback raises when it takes the balance below zero.
    json.key("negative_since");
    if (account.negative_since != 0) {
        json.int64(account.negative_since);
    } else {
        json.null();
    }
    json.end_object();
}

void write_history(JsonWriter& json, const HistoryRecord& record, std::string_view currency) {
    json.begin_object();
    json.key("id").uint64(record.id);
    json.key("login").uint64(record.login);
    json.field("type", ledger::history_type_name(record.type));
    write_amount(json, "balance_change", record.balance_delta, currency);
    write_amount(json, "bonus_change", record.bonus_delta, currency);
    write_amount(json, "balance_after", record.balance_after, currency);
    write_amount(json, "bonus_after", record.bonus_after, currency);
    json.key("transaction_id").uint64(record.transaction_id);
    json.field("actor", record.actor);
    json.field("source", record.source);
    json.field("comment", record.comment);
    json.field("external_id", record.external_id);
    json.field("external_note", record.external_note);
    json.field("created_time", record.created_time);
    json.end_object();
}

// Who owns a login, for routing: 400 ACCOUNT_NOT_AVAILABLE when nobody does.
std::optional<CustomerId> owner_or_respond(Exchange& exchange, Login login) {
    Result<CustomerId> owner = exchange.shard().server().global().owner(login);
    if (owner.ok()) return owner.value();
    if (owner.status().code() == StatusCode::not_found) {
        exchange.respond_error(Status(StatusCode::account_not_available, "", "login"));
    } else {
        exchange.respond_error(owner.status());
    }
    return std::nullopt;
}

// POST /webserv/traders/{login}/changebalance

class ChangeBalanceJob final : public LedgerJob {
public:
    ledger::ChangeBalanceCommand command;
    std::string amount_text;

    void apply(LedgerContext& context) override {
        Result<AccountRecord> account = context.ledger.account(command.login);
        if (!account.ok()) {
            status_ = account.status().code() == StatusCode::not_found
                              ? Status(StatusCode::account_not_available, "", "login")
                              : account.status();
            return;
        }
        std::optional<ledger::Currency> currency = ledger::find_currency(account->currency);
        Result<std::int64_t> amount =
                ledger::parse_amount(amount_text, currency ? currency->exponent : 2);
        if (!amount.ok()) {
            status_ = Status(StatusCode::invalid_data, amount.status().detail(), "preciseAmount");
            return;
        }
        command.amount = amount.value();
        command.now = context.now;
        Result<ledger::ChangeBalanceResult> result = context.ledger.change_balance(command);
        if (!result.ok()) {
            status_ = result.status();
            return;
        }
        result_ = result.value();
    }

    void respond(Exchange& exchange) override {
        if (!status_.ok()) {
            exchange.respond_error(status_);
            return;
        }
        switch (result_.outcome) {
            case Outcome::created:
            case Outcome::exists: {
                std::string& body = exchange.body_scratch();
                JsonWriter json(body);
                json.begin_object().key("balanceHistoryId").uint64(result_.history_id);
                json.end_object();
                exchange.respond_json(200, body);
                return;
            }
            case Outcome::exists_with_different_request:
                exchange.respond_error(Status(StatusCode::ret_err_duplicate,
                                              "exists_with_different_request", "externalId"));
                return;
            case Outcome::account_not_found:
            case Outcome::account_disabled:
                exchange.respond_error(Status(
                        StatusCode::account_not_available,
                        result_.outcome == Outcome::account_disabled ? "account_disabled" : "",
                        "login"));
                return;
            case Outcome::insufficient_funds:
                exchange.respond_error(Status(StatusCode::insufficient_funds, "", "preciseAmount"));
                return;
        }
    }

private:
    Status status_;
    ledger::ChangeBalanceResult result_;
};

constexpr JsonField change_balance_fields[] = {
        {"comment", JsonType::string},
        {"externalId", JsonType::string},
        {"externalNote", JsonType::string},
        {"login", JsonType::uint64, true},
        {"preciseAmount", JsonType::number_text, true},
        {"source", JsonType::string},
        {"type", JsonType::string, true},
};

HandlerResult change_balance(Exchange& exchange) {
    std::optional<std::size_t> manager = authorize_manager(exchange, true);
    if (!manager) return HandlerResult::done;
    std::optional<Login> login = parse_id(exchange.params()[0]);
    if (!login) {
        exchange.respond_error(Status(StatusCode::invalid_data, "login_invalid", "login"));
        return HandlerResult::done;
    }
    JsonValue values[std::size(change_balance_fields)];
    if (!read_json_body(exchange, change_balance_fields, values)) return HandlerResult::done;
    const JsonValue& comment = values[0];
    const JsonValue& external_id = values[1];
    const JsonValue& external_note = values[2];
    const JsonValue& source = values[5];
    if (values[3].unsigned_integer != *login) {
        exchange.respond_error(Status(StatusCode::invalid_data, "login_mismatch", "login"));
        return HandlerResult::done;
    }
    std::optional<HistoryType> type = change_type(values[6].text);
    if (!type) {
        exchange.respond_error(Status(StatusCode::invalid_data, "type_unknown", "type"));
        return HandlerResult::done;
    }
    if (comment.text.size() > text_bytes_max || external_note.text.size() > text_bytes_max) {
        exchange.respond_error(
                Status(StatusCode::invalid_data, "text_too_long",
                       comment.text.size() > text_bytes_max ? "comment" : "externalNote"));
        return HandlerResult::done;
    }
    if (external_id.text.size() > id_text_bytes_max || source.text.size() > id_text_bytes_max) {
        exchange.respond_error(
                Status(StatusCode::invalid_data, "text_too_long",
                       external_id.text.size() > id_text_bytes_max ? "externalId" : "source"));
        return HandlerResult::done;
    }
    // The amount's decimals depend on the account's currency, known on the owner shard; its
    // sign and form are checked here so a bad amount never travels.
    Result<std::int64_t> shape = ledger::parse_amount(values[4].text, 18);
    if (!shape.ok() && shape.status().detail() != "amount_out_of_range") {
        exchange.respond_error(
                Status(StatusCode::invalid_data, shape.status().detail(), "preciseAmount"));
        return HandlerResult::done;
    }
    std::optional<CustomerId> owner = owner_or_respond(exchange, *login);
    if (!owner) return HandlerResult::done;
    auto job = std::make_unique<ChangeBalanceJob>();
    job->command.login = *login;
    job->command.type = *type;
    job->command.comment = comment.text;
    job->command.external_id = external_id.text;
    job->command.external_note = external_note.text;
    job->command.source = source.text;
    job->command.actor = manager_actor(*manager);
    job->amount_text = values[4].text;
    return submit_job(exchange, *owner, std::move(job));
}

// GET /admin/accounts/{login}[/history]

class AccountJob final : public LedgerJob {
public:
    Login login = 0;
    bool with_history = false;
    std::size_t limit = 50;
    ledger::HistoryId before = 0;

    void apply(LedgerContext& context) override {
        Result<AccountRecord> account = context.ledger.account(login);
        if (!account.ok()) {
            status_ = account.status().code() == StatusCode::not_found
                              ? Status(StatusCode::not_found, "account_not_found", "login")
                              : account.status();
            return;
        }
        account_ = account.value();
        if (!with_history) return;
        Result<std::vector<HistoryRecord>> history = context.ledger.history(login, limit, before);
        if (!history.ok()) {
            status_ = history.status();
            return;
        }
        history_ = std::move(history.value());
    }

    void respond(Exchange& exchange) override {
        if (!status_.ok()) {
            exchange.respond_error(status_);
            return;
        }
        std::string& body = exchange.body_scratch();
        JsonWriter json(body);
        if (!with_history) {
            write_account(json, account_);
        } else {
            json.begin_object();
            json.key("login").uint64(login);
            json.field("currency", account_.currency);
            json.key("history").begin_array();
            for (const HistoryRecord& record : history_) {
                write_history(json, record, account_.currency);
            }
            json.end_array();
            json.key("next_cursor");
            if (history_.size() == limit && !history_.empty()) {
                json.string(std::to_string(history_.back().id));
            } else {
                json.null();
            }
            json.end_object();
        }
        exchange.respond_json(200, body);
    }

private:
    Status status_;
    AccountRecord account_;
    std::vector<HistoryRecord> history_;
};

HandlerResult get_account_common(Exchange& exchange, bool with_history) {
    if (!authorize_manager(exchange, false)) return HandlerResult::done;
    std::optional<Login> login = parse_id(exchange.params()[0]);
    if (!login) {
        exchange.respond_error(Status(StatusCode::invalid_data, "login_invalid", "login"));
        return HandlerResult::done;
    }
    auto job = std::make_unique<AccountJob>();
    job->login = *login;
    job->with_history = with_history;
    if (with_history) {
        Page page;
        if (!read_page(exchange, page)) return HandlerResult::done;
        job->limit = page.limit;
        job->before = page.before;
    }
    Result<CustomerId> owner = exchange.shard().server().global().owner(*login);
    if (!owner.ok()) {
        exchange.respond_error(owner.status().code() == StatusCode::not_found
                                       ? Status(StatusCode::not_found, "account_not_found", "login")
                                       : owner.status());
        return HandlerResult::done;
    }
    return submit_job(exchange, owner.value(), std::move(job));
}

HandlerResult get_account(Exchange& exchange) {
    return get_account_common(exchange, false);
}

HandlerResult get_account_history(Exchange& exchange) {
    return get_account_common(exchange, true);
}

}  // namespace

void add_backoffice_routes(Server& server) {
    server.add_route(Method::post, "/webserv/traders/{login}/changebalance", change_balance);
    server.add_route(Method::get, "/admin/accounts/{login}", get_account);
    server.add_route(Method::get, "/admin/accounts/{login}/history", get_account_history);
}

}  // namespace cashierd::http
