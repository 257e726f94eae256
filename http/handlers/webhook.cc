// POST /cashier/webhook/{provider}: where payment providers confirm, fail, refund and charge
// back payments. Public, so the provider's module verifies the raw body and headers on the
// accepting shard (signature, timestamp) before anything of the body is trusted; the verified
// event then travels to the shard that owns the transaction (its id tells the shard), which
// applies it exactly once (ShardLedger::apply_provider_event).
// Thread: the handler on the accepting shard; the job's apply() on the transaction's shard.
#include "http/handlers/webhook.h"

#include <array>
#include <memory>

#include "http/handlers/handler_support.h"
#include "http/ledger_gateway.h"
#include "reactor/base/clock.h"
#include "reactor/base/log.h"

namespace cashierd::http {

ledger::ProviderEventCommand provider_event_command(std::string_view provider,
                                                    providers::WebhookEvent&& event) {
    ledger::ProviderEventCommand command;
    command.provider = provider;
    command.event_id = std::move(event.event_id);
    command.transaction_id = event.transaction_id;
    switch (event.kind) {
        case providers::WebhookKind::succeeded:
            command.kind = ledger::ProviderEventKind::succeeded;
            break;
        case providers::WebhookKind::failed:
            command.kind = ledger::ProviderEventKind::failed;
            break;
        case providers::WebhookKind::cancelled:
            command.kind = ledger::ProviderEventKind::cancelled;
            break;
        case providers::WebhookKind::refunded:
            command.kind = ledger::ProviderEventKind::refunded;
            break;
        case providers::WebhookKind::chargeback:
            command.kind = ledger::ProviderEventKind::chargeback;
            break;
        case providers::WebhookKind::ignored:
            CASHIERD_ASSERT(false);
    }
    command.amount_text = std::move(event.amount_text);
    command.amount_minor = event.amount_minor;
    command.currency = std::move(event.currency);
    command.provider_payment_id = std::move(event.provider_payment_id);
    command.reason = std::move(event.reason);
    return command;
}

namespace {

std::string_view outcome_name(ledger::EventOutcome outcome) {
    switch (outcome) {
        case ledger::EventOutcome::applied:
            return "applied";
        case ledger::EventOutcome::replayed:
            return "replayed";
        case ledger::EventOutcome::not_applicable:
            return "not_applicable";
        case ledger::EventOutcome::amount_mismatch:
            return "amount_mismatch";
        case ledger::EventOutcome::not_found:
            return "not_found";
    }
    return "unknown";
}

}  // namespace

void write_webhook_answer(JsonWriter& json, const ledger::ProviderEventResult& result) {
    json.begin_object();
    json.field("applied", result.applied);
    json.field("outcome", outcome_name(result.outcome));
    json.key("transaction");
    write_transaction(json, result.transaction);
    json.end_object();
}

namespace {

class WebhookJob final : public LedgerJob {
public:
    ledger::ProviderEventCommand command;

    void apply(LedgerContext& context) override {
        command.now = context.now;
        Result<ledger::ProviderEventResult> result = context.ledger.apply_provider_event(command);
        if (!result.ok()) {
            status_ = result.status();
            return;
        }
        result_ = std::move(result.value());
        if (result_.outcome == ledger::EventOutcome::amount_mismatch) {
            // The back office must look at it: before crediting it waits in manual_review;
            // after crediting (a partial refund or dispute) nothing was taken automatically.
            log::warn("webhook amount mismatch",
                      {{"provider", command.provider},
                       {"transaction_id", static_cast<std::int64_t>(command.transaction_id)},
                       {"applied", result_.applied ? "true" : "false"}});
        }
    }

    void respond(Exchange& exchange) override {
        if (!status_.ok()) {
            exchange.respond_error(status_);
            return;
        }
        if (result_.outcome == ledger::EventOutcome::not_found) {
            exchange.respond_error(Status(StatusCode::not_found, "transaction_not_found"));
            return;
        }
        std::string& body = exchange.body_scratch();
        JsonWriter json(body);
        write_webhook_answer(json, result_);
        exchange.respond_json(200, body);
    }

private:
    Status status_;
    ledger::ProviderEventResult result_;
};

HandlerResult post_webhook(Exchange& exchange) {
    std::string_view code = exchange.params()[0];
    const ledger::Catalog& catalog = exchange.shard().catalog();
    auto provider = catalog.providers.find(code);
    if (provider == catalog.providers.end()) {
        exchange.respond_error(Status(StatusCode::not_found, "provider_unknown"));
        return HandlerResult::done;
    }
    // A disabled provider still settles the payments already in flight with it.
    const providers::PaymentModule* module =
            providers::find_payment_module(provider->second.module);
    if (module == nullptr) {
        exchange.respond_error(Status(StatusCode::ret_err_noservice, "provider_module_not_loaded"));
        return HandlerResult::done;
    }
    const Request& request = exchange.request();
    std::array<providers::WebhookHeader, limits::headers_count_max> headers;
    for (std::size_t i = 0; i < request.headers_count; ++i) {
        headers[i] = {request.headers[i].name, request.headers[i].value};
    }
    providers::WebhookInput input;
    input.headers = std::span(headers.data(), request.headers_count);
    input.body = request.body;
    input.secret = provider->second.webhook_secret;
    input.now = RealClock::instance().unix_seconds();
    providers::WebhookEvent event;
    Status verified = module->verify_webhook(input, event);
    if (!verified.ok()) {
        if (verified.code() == StatusCode::invalid_signature) {
            exchange.shard().metrics().webhook_signature_failures.add();
        }
        exchange.respond_error(verified);
        return HandlerResult::done;
    }
    if (event.kind == providers::WebhookKind::ignored) {
        // Acknowledged so the provider stops retrying; nothing to do with it.
        std::string& body = exchange.body_scratch();
        JsonWriter json(body);
        json.begin_object().field("applied", false).field("outcome", "ignored").end_object();
        exchange.respond_json(200, body);
        return HandlerResult::done;
    }
    if (event.event_id.empty() || event.event_id.size() > ledger::provider_event_id_bytes_max) {
        exchange.respond_error(Status(StatusCode::invalid_data, "event_id_1_to_255_bytes", "id"));
        return HandlerResult::done;
    }
    CASHIERD_ASSERT(event.transaction_id > 0);
    auto job = std::make_unique<WebhookJob>();
    job->command = provider_event_command(code, std::move(event));
    // owner_shard(x) is x mod N for transaction ids as for customer ids.
    std::uint64_t transaction_id = job->command.transaction_id;
    return submit_job(exchange, transaction_id, std::move(job));
}

}  // namespace

void add_webhook_routes(Server& server) {
    server.add_route(Method::post, "/cashier/webhook/{provider}", post_webhook);
}

}  // namespace cashierd::http
