// Customer withdrawals (SPEC §4, seed 003), customer JWT:
//   POST /cashier/withdrawal                 a request: hold placed, manual_review (9)
//   POST /cashier/withdrawal/{id}/cancel     the customer takes it back while in review
// The accepting shard authenticates, reads the body and checks the login's owner; the
// customer's shard decides (http/withdrawal.h: gates, eligibility, available balance and the
// hold in one step of its batch).
// Thread: handlers on the accepting shard; jobs' apply() on the customer's shard.
#include "http/withdrawal.h"

#include <memory>

#include "http/handlers/handler_support.h"
#include "http/ledger_gateway.h"

namespace cashierd::http {
namespace {

using ledger::CustomerId;
using ledger::TransactionRecord;
using ledger::TxStatus;
using ledger::TxType;

constexpr std::size_t idempotency_key_bytes_max = 128;
constexpr std::size_t comment_bytes_max = 1024;
constexpr std::size_t details_bytes_max = 4096;

class WithdrawalJob final : public LedgerJob {
public:
    TransactionRecord request;

    void apply(LedgerContext& context) override {
        status_ = place_withdrawal(context, request, false, placement_);
    }

    void respond(Exchange& exchange) override {
        if (!status_.ok()) {
            exchange.respond_error(status_);
            return;
        }
        std::string& body = exchange.body_scratch();
        JsonWriter json(body);
        json.begin_object().key("transaction");
        write_transaction(json, request);
        json.field("next_action", "WAIT_MANUAL_REVIEW");
        json.end_object();
        if (placement_.replayed) {
            exchange.respond_json(200, body, {{"Idempotent-Replayed", "true"}});
        } else {
            exchange.respond_json(200, body);
        }
    }

private:
    Status status_;
    WithdrawalPlacement placement_;
};

constexpr JsonField withdrawal_fields[] = {
        {"login", JsonType::uint64, true},    {"provider", JsonType::string, true},
        {"method", JsonType::string},         {"amount", JsonType::number_text, true},
        {"currency", JsonType::string, true}, {"idempotency_key", JsonType::string},
        {"details", JsonType::object_raw},    {"comment", JsonType::string},
};

HandlerResult post_withdrawal(Exchange& exchange) {
    std::optional<CustomerId> customer = authenticate_customer(exchange);
    if (!customer) return HandlerResult::done;
    JsonValue v[std::size(withdrawal_fields)];
    if (!read_json_body(exchange, withdrawal_fields, v)) return HandlerResult::done;
    auto refuse = [&exchange](std::string_view detail, std::string_view field) {
        exchange.respond_error(Status(StatusCode::invalid_data, detail, field));
        return HandlerResult::done;
    };
    if (v[0].unsigned_integer == 0 || v[0].unsigned_integer > INT64_MAX) {
        return refuse("login_invalid", "login");
    }
    if (!valid_string_id(v[1].text)) return refuse("provider_invalid", "provider");
    if (v[2].present && !valid_string_id(v[2].text)) return refuse("method_invalid", "method");
    std::optional<ledger::Currency> currency = ledger::find_currency(v[4].text);
    if (!currency) return refuse("currency_unknown", "currency");
    Result<std::int64_t> amount = ledger::parse_amount(v[3].text, currency->exponent);
    if (!amount.ok()) return refuse(amount.status().detail(), "amount");
    if (v[5].text.size() > idempotency_key_bytes_max) return refuse("too_long", "idempotency_key");
    if (v[6].text.size() > details_bytes_max) return refuse("too_long", "details");
    if (v[7].text.size() > comment_bytes_max) return refuse("too_long", "comment");
    if (!authorize_login(exchange, *customer, v[0].unsigned_integer)) return HandlerResult::done;

    auto job = std::make_unique<WithdrawalJob>();
    TransactionRecord& t = job->request;
    t.customer_id = *customer;
    t.login = v[0].unsigned_integer;
    t.type = TxType::withdrawal;
    t.provider = v[1].text;
    t.method = v[2].text;
    t.amount = amount.value();
    t.currency = v[4].text;
    t.idempotency_key = v[5].text;
    t.metadata_json = v[6].text;
    t.comment = v[7].text;
    return submit_job(exchange, *customer, std::move(job));
}

// POST /cashier/withdrawal/{id}/cancel

class CancelJob final : public LedgerJob {
public:
    CustomerId customer_id = 0;
    ledger::TransactionId id = 0;

    void apply(LedgerContext& context) override {
        Result<TransactionRecord> found = context.ledger.transaction(id);
        if (!found.ok() && found.status().code() != StatusCode::not_found) {
            status_ = found.status();
            return;
        }
        // Another customer's transaction is not found, so its existence is not revealed.
        if (!found.ok() || found->customer_id != customer_id || found->type != TxType::withdrawal) {
            status_ = Status(StatusCode::not_found, "transaction_not_found");
            return;
        }
        ledger::TransitionCommand command;
        command.id = id;
        command.to = TxStatus::cancelled;
        command.actor = "customer";
        command.comment = "cancelled by the customer";
        command.reason = "cancelled_by_customer";
        command.now = context.now;
        // Only a withdrawal still in review can be taken back (the lifecycle's one edge to
        // cancelled): once approved, the money left.
        Result<ledger::TransitionResult> moved = context.ledger.transition(command);
        if (!moved.ok()) {
            status_ = moved.status();
            return;
        }
        if (moved->outcome != ledger::TransitionOutcome::applied) {
            status_ = Status(StatusCode::transition_not_allowed,
                             ledger::tx_status_name(found->status), "status");
            return;
        }
        transaction_ = std::move(moved->transaction);
    }

    void respond(Exchange& exchange) override {
        respond_transaction(exchange, status_, transaction_);
    }

private:
    Status status_;
    TransactionRecord transaction_;
};

HandlerResult post_cancel(Exchange& exchange) {
    std::optional<CustomerId> customer = authenticate_customer(exchange);
    if (!customer) return HandlerResult::done;
    std::optional<std::uint64_t> id = parse_id(exchange.params()[0]);
    if (!id) {
        exchange.respond_error(Status(StatusCode::not_found, "transaction_not_found"));
        return HandlerResult::done;
    }
    auto job = std::make_unique<CancelJob>();
    job->customer_id = *customer;
    job->id = *id;
    // A transaction id tells its shard like a customer id does (id mod N).
    return submit_job(exchange, *id, std::move(job));
}

}  // namespace

void add_withdrawal_routes(Server& server) {
    server.add_route(Method::post, "/cashier/withdrawal", post_withdrawal);
    server.add_route(Method::post, "/cashier/withdrawal/{id}/cancel", post_cancel);
}

}  // namespace cashierd::http
