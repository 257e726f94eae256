// The back office's view of transactions and its actions on them (manager token):
//   GET  /admin/transactions?status=&type=&login=&limit=&cursor=
//   GET  /admin/transactions/{id}            the transaction and its status changes (who, why)
//   POST /admin/transactions/{id}/{action}   approve | reject | recredit | refund | chargeback |
//                                            confirm_payout | fail_payout
// Approving a withdrawal asks its provider module for the payout in the same step.
// A listing without a login visits every shard in turn (LedgerJob::next_shard) and merges;
// everything else runs on the one shard that owns the transaction or the login's customer.
// Thread: handlers on the accepting shard; jobs' apply() on the owning shard(s).
#include <algorithm>
#include <memory>

#include "http/handlers/handler_support.h"
#include "http/handlers/sandbox.h"
#include "http/ledger_gateway.h"
#include "http/payment_route.h"
#include "ledger/lifecycle.h"

namespace cashierd::http {
namespace {

using ledger::TransactionRecord;
using ledger::TxStatus;
using ledger::TxType;

// GET /admin/transactions

class ListJob final : public LedgerJob {
public:
    ledger::TransactionFilter filter;
    bool one_shard = false;  // The login's customer lives on one shard.

    void apply(LedgerContext& context) override {
        if (!status_.ok()) return;
        Result<std::vector<TransactionRecord>> listed = context.ledger.all_transactions(filter);
        if (!listed.ok()) {
            status_ = listed.status();
            return;
        }
        for (TransactionRecord& t : listed.value())
            found_.push_back(std::move(t));
    }

    std::size_t next_shard(std::size_t current, std::size_t shard_count) override {
        if (one_shard || current + 1 >= shard_count) return back_to_origin;
        return current + 1;
    }

    void respond(Exchange& exchange) override {
        if (!status_.ok()) {
            exchange.respond_error(status_);
            return;
        }
        // Each shard gave its newest `limit` below the cursor, so the newest `limit` of the
        // union are the page.
        std::sort(
                found_.begin(), found_.end(),
                [](const TransactionRecord& a, const TransactionRecord& b) { return a.id > b.id; });
        bool full = found_.size() >= filter.limit;
        if (found_.size() > filter.limit) found_.resize(filter.limit);
        std::string& body = exchange.body_scratch();
        JsonWriter json(body);
        json.begin_object().key("transactions").begin_array();
        for (const TransactionRecord& t : found_)
            write_transaction(json, t);
        json.end_array().key("next_cursor");
        if (full && !found_.empty()) {
            json.string(std::to_string(found_.back().id));
        } else {
            json.null();
        }
        json.end_object();
        exchange.respond_json(200, body);
    }

private:
    Status status_;
    std::vector<TransactionRecord> found_;
};

HandlerResult list_transactions(Exchange& exchange) {
    if (!authorize_manager(exchange, false)) return HandlerResult::done;
    auto job = std::make_unique<ListJob>();
    if (!read_transaction_filters(exchange, job->filter.type, job->filter.status)) {
        return HandlerResult::done;
    }
    Page page;
    if (!read_page(exchange, page)) return HandlerResult::done;
    job->filter.limit = page.limit;
    job->filter.before = page.before;
    const Request& request = exchange.request();
    if (request.has_query_param("login")) {
        std::optional<ledger::Login> login = parse_id(request.query_param("login"));
        if (!login) {
            exchange.respond_error(Status(StatusCode::invalid_data, "login_invalid", "login"));
            return HandlerResult::done;
        }
        Result<ledger::CustomerId> owner = exchange.shard().server().global().owner(*login);
        if (!owner.ok()) {
            exchange.respond_error(
                    owner.status().code() == StatusCode::not_found
                            ? Status(StatusCode::not_found, "account_not_found", "login")
                            : owner.status());
            return HandlerResult::done;
        }
        job->filter.login = *login;
        job->one_shard = true;
        return submit_job(exchange, owner.value(), std::move(job));
    }
    return submit_job_to_shard(exchange, 0, std::move(job));
}

// GET /admin/transactions/{id}

class DetailJob final : public LedgerJob {
public:
    ledger::TransactionId id = 0;

    void apply(LedgerContext& context) override {
        Result<TransactionRecord> found = context.ledger.transaction(id);
        if (!found.ok()) {
            status_ = found.status().code() == StatusCode::not_found
                              ? Status(StatusCode::not_found, "transaction_not_found")
                              : found.status();
            return;
        }
        transaction_ = std::move(found.value());
        Result<std::vector<ledger::OutboxRecord>> changes = context.ledger.status_changes(id);
        if (!changes.ok()) {
            status_ = changes.status();
            return;
        }
        changes_ = std::move(changes.value());
    }

    void respond(Exchange& exchange) override {
        if (!status_.ok()) {
            exchange.respond_error(status_);
            return;
        }
        std::string& body = exchange.body_scratch();
        JsonWriter json(body);
        json.begin_object().key("transaction");
        write_transaction(json, transaction_);
        json.key("status_changes").begin_array();
        for (const ledger::OutboxRecord& change : changes_) {
            json.begin_object();
            json.field("sequence", static_cast<std::int64_t>(change.sequence));
            json.field("previous_status", static_cast<std::int64_t>(change.previous_status));
            json.field("status", static_cast<std::int64_t>(change.status));
            json.field("actor", change.actor).field("comment", change.comment);
            json.field("time", change.created_time);
            json.end_object();
        }
        json.end_array().end_object();
        exchange.respond_json(200, body);
    }

private:
    Status status_;
    TransactionRecord transaction_;
    std::vector<ledger::OutboxRecord> changes_;
};

HandlerResult get_transaction(Exchange& exchange) {
    if (!authorize_manager(exchange, false)) return HandlerResult::done;
    std::optional<std::uint64_t> id = parse_id(exchange.params()[0]);
    if (!id) {
        exchange.respond_error(Status(StatusCode::not_found, "transaction_not_found"));
        return HandlerResult::done;
    }
    auto job = std::make_unique<DetailJob>();
    job->id = *id;
    return submit_job(exchange, *id, std::move(job));
}

// POST /admin/transactions/{id}/{action}

enum class Action : std::uint8_t {
    approve,
    reject,
    recredit,
    refund,
    chargeback,
    confirm_payout,
    fail_payout
};

std::optional<Action> parse_action(std::string_view text) {
    if (text == "approve") return Action::approve;
    if (text == "reject") return Action::reject;
    if (text == "recredit") return Action::recredit;
    if (text == "refund") return Action::refund;
    if (text == "chargeback") return Action::chargeback;
    if (text == "confirm_payout") return Action::confirm_payout;
    if (text == "fail_payout") return Action::fail_payout;
    return std::nullopt;
}

struct ActionEdge {
    TxStatus from;
    TxStatus to;
};

// Each action is one edge of the lifecycle for each type, or none: the back office cannot
// reach any other transition (approve on credit_failed is not a recredit).
std::optional<ActionEdge> action_edge(Action action, TxType type) {
    bool deposit = type == TxType::deposit;
    switch (action) {
        case Action::approve:
            return deposit ? ActionEdge{TxStatus::manual_review, TxStatus::credited}
                           : ActionEdge{TxStatus::manual_review, TxStatus::pending_payment};
        case Action::reject:
            return deposit ? ActionEdge{TxStatus::manual_review, TxStatus::failed}
                           : ActionEdge{TxStatus::manual_review, TxStatus::cancelled};
        case Action::recredit:
            if (deposit) return ActionEdge{TxStatus::credit_failed, TxStatus::credited};
            return std::nullopt;
        case Action::refund:
            if (deposit) return ActionEdge{TxStatus::credited, TxStatus::refunded};
            return std::nullopt;
        case Action::chargeback:
            if (deposit) return ActionEdge{TxStatus::credited, TxStatus::chargeback};
            return std::nullopt;
        // A payout the provider does not report by itself (a bank transfer the broker's bank
        // sent), or one the back office settles by hand.
        case Action::confirm_payout:
            if (!deposit)
                return ActionEdge{TxStatus::pending_payment, TxStatus::provider_confirmed};
            return std::nullopt;
        case Action::fail_payout:
            if (!deposit) return ActionEdge{TxStatus::pending_payment, TxStatus::failed};
            return std::nullopt;
    }
    return std::nullopt;
}

// Status details must be static text: the status a refused action started from.
std::string_view from_status(TxStatus status) {
    static constexpr std::string_view names[] = {
            "from_created",      "from_pending_payment", "from_provider_confirmed",
            "from_credited",     "from_credit_failed",   "from_failed",
            "from_cancelled",    "from_refunded",        "from_chargeback",
            "from_manual_review"};
    static_assert(std::size(names) == ledger::tx_status_max + 1);
    return names[static_cast<std::size_t>(status)];
}

class ActionJob final : public LedgerJob {
public:
    ledger::TransactionId id = 0;
    Action action = Action::approve;
    std::string actor;
    std::string comment;

    void apply(LedgerContext& context) override {
        Result<TransactionRecord> found = context.ledger.transaction(id);
        if (!found.ok()) {
            status_ = found.status().code() == StatusCode::not_found
                              ? Status(StatusCode::not_found, "transaction_not_found")
                              : found.status();
            return;
        }
        std::optional<ActionEdge> edge = action_edge(action, found->type);
        if (!edge || found->status != edge->from) {
            status_ = Status(StatusCode::transition_not_allowed, from_status(found->status));
            return;
        }
        // An approved withdrawal is paid out: the provider module is asked first, so a module
        // that refuses leaves the withdrawal in review with its hold.
        bool payout = found->type == TxType::withdrawal && edge->to == TxStatus::pending_payment;
        providers::PayoutCreation creation;
        if (payout) {
            status_ = request_payout(context, found.value(), creation);
            if (!status_.ok()) return;
        }
        std::string_view reason = action == Action::fail_payout ? "payout_failed" : "";
        ledger::TransitionCommand command{id,         edge->to, actor, comment, std::string(reason),
                                          context.now};
        Result<ledger::TransitionResult> moved =
                context.ledger.transition(command, creation.provider_payment_id);
        if (!moved.ok()) {
            status_ = moved.status();
            return;
        }
        switch (moved->outcome) {
            case ledger::TransitionOutcome::applied:
                transaction_ = std::move(moved->transaction);
                if (payout) schedule_payout(context, creation);
                return;
            case ledger::TransitionOutcome::account_unavailable:
                status_ = Status(StatusCode::account_not_available, "account_disabled", "login");
                return;
            case ledger::TransitionOutcome::not_found:
            case ledger::TransitionOutcome::not_allowed:
                // Checked above in this same batch.
                CASHIERD_ASSERT(false);
        }
    }

    void respond(Exchange& exchange) override {
        respond_transaction(exchange, status_, transaction_);
    }

private:
    // A module that reports the payout by itself (the sandbox's automatic delay) is asked to.
    void schedule_payout(LedgerContext& context, const providers::PayoutCreation& creation) {
        if (creation.auto_complete_seconds >= 0 && context.scheduler != nullptr) {
            context.scheduler->schedule(context.now + creation.auto_complete_seconds,
                                        make_sandbox_payout_job(transaction_.id));
        }
    }

    Status status_;
    TransactionRecord transaction_;
};

constexpr std::size_t comment_bytes_max = 1024;

HandlerResult post_action(Exchange& exchange) {
    std::optional<std::size_t> manager = authorize_manager(exchange, false);
    if (!manager) return HandlerResult::done;
    std::optional<std::uint64_t> id = parse_id(exchange.params()[0]);
    if (!id) {
        exchange.respond_error(Status(StatusCode::not_found, "transaction_not_found"));
        return HandlerResult::done;
    }
    std::optional<Action> action = parse_action(exchange.params()[1]);
    if (!action) {
        exchange.respond_error(Status(StatusCode::not_found, "action_unknown"));
        return HandlerResult::done;
    }
    static constexpr JsonField fields[] = {{"comment", JsonType::string, true}};
    JsonValue values[std::size(fields)];
    if (!read_json_body(exchange, fields, values)) return HandlerResult::done;
    if (values[0].text.empty() || values[0].text.size() > comment_bytes_max) {
        exchange.respond_error(
                Status(StatusCode::invalid_data, "comment_1_to_1024_bytes", "comment"));
        return HandlerResult::done;
    }
    auto job = std::make_unique<ActionJob>();
    job->id = *id;
    job->action = *action;
    job->actor = manager_actor(*manager);
    job->comment = values[0].text;
    return submit_job(exchange, *id, std::move(job));
}

}  // namespace

void add_transaction_routes(Server& server) {
    server.add_route(Method::get, "/admin/transactions", list_transactions);
    server.add_route(Method::get, "/admin/transactions/{id}", get_transaction);
    server.add_route(Method::post, "/admin/transactions/{id}/{action}", post_action);
}

}  // namespace cashierd::http
