// The sandbox provider's hosted payment page: GET /sandbox/pay/{transaction id}, where a
// sandbox deposit's REDIRECT leads. Plain HTML showing the payment and Pay / Fail / Cancel
// buttons. A button (POST /sandbox/pay/{id}/{pay|fail|cancel}) plays the sandbox provider: it
// writes the provider's webhook body, signs it with the provider config's webhook_secret and
// delivers it in-process through the same module verification and ledger event as
// POST /cashier/webhook/{provider}; then it sends the browser back to the page (or to the
// deposit's success or failure URL).
// Thread: handlers on the accepting shard; the jobs on the shard that owns the transaction
// (a transaction id, like a customer id, tells its shard by id mod N).
#include "http/handlers/sandbox.h"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "http/handlers/handler_support.h"
#include "http/handlers/webhook.h"
#include "http/ledger_gateway.h"
#include "http/payment_route.h"
#include "providers/webhook_signature.h"
#include "reactor/base/log.h"

namespace cashierd::http {
namespace {

void append_html_escaped(std::string& out, std::string_view text) {
    for (char c : text) {
        switch (c) {
            case '&':
                out.append("&amp;");
                break;
            case '<':
                out.append("&lt;");
                break;
            case '>':
                out.append("&gt;");
                break;
            case '"':
                out.append("&quot;");
                break;
            case '\'':
                out.append("&#39;");
                break;
            default:
                out.push_back(c);
        }
    }
}

bool is_sandbox_payment(const ledger::TransactionRecord& t) {
    return t.provider_payment_id == "sbx_" + std::to_string(t.id);
}

// Plays the sandbox provider for payment or payout `t`: writes its webhook body with `status`
// (succeeded | failed | cancelled), signs it with the provider's secret, and applies it exactly
// as POST /cashier/webhook/{provider} would.
Status deliver_sandbox_event(LedgerContext& context, const ledger::TransactionRecord& t,
                             std::string_view status, ledger::ProviderEventResult& out) {
    const ledger::ProviderRecord* provider = nullptr;
    const providers::PaymentModule* module =
            provider_module(context.catalog, t.provider, &provider);
    if (module == nullptr) {
        return Status(StatusCode::ret_err_noservice, "provider_module_not_loaded");
    }
    // The provider's side: its webhook body for this payment, signed now.
    std::string body;
    JsonWriter json(body);
    json.begin_object();
    json.field("id", "evt_sbx_" + std::to_string(t.id) + "_" + std::string(status));
    json.key("transaction_id").uint64(t.id);
    json.field("provider_payment_id", t.provider_payment_id);
    json.field("status", status);
    write_amount(json, "amount", t.amount, t.currency);
    json.field("currency", t.currency);
    json.end_object();
    std::string signature = providers::sign_webhook(provider->webhook_secret, context.now, body);
    // cashierd's side: exactly what POST /cashier/webhook/{provider} does with it.
    providers::WebhookHeader header{"X-Cashier-Signature", signature};
    providers::WebhookInput input;
    input.headers = std::span(&header, 1);
    input.body = body;
    input.secret = provider->webhook_secret;
    input.now = context.now;
    providers::WebhookEvent event;
    Status verified = module->verify_webhook(input, event);
    if (!verified.ok()) return verified;
    ledger::ProviderEventCommand command = provider_event_command(t.provider, std::move(event));
    command.now = context.now;
    Result<ledger::ProviderEventResult> result = context.ledger.apply_provider_event(command);
    if (!result.ok()) return result.status();
    out = std::move(result.value());
    return Status();
}

constexpr std::string_view payment_actions[] = {"pay", "fail", "cancel"};
constexpr std::string_view payout_actions[] = {"pay", "fail"};

class SandboxPageJob final : public LedgerJob {
public:
    ledger::TransactionId id = 0;

    void apply(LedgerContext& context) override {
        Result<ledger::TransactionRecord> transaction = context.ledger.transaction(id);
        // Only sandbox payments have a page here.
        found_ = transaction.ok() && is_sandbox_payment(transaction.value());
        if (found_) transaction_ = transaction.value();
    }

    void respond(Exchange& exchange) override {
        if (!found_) {
            exchange.respond_error(Status(StatusCode::not_found, "payment_not_found"));
            return;
        }
        std::string& body = exchange.body_scratch();
        const ledger::TransactionRecord& t = transaction_;
        std::optional<ledger::Currency> currency = ledger::find_currency(t.currency);
        char amount[ledger::amount_text_bytes_max];
        std::size_t length =
                ledger::format_amount(t.amount, currency ? currency->exponent : 2, amount);
        const bool payout = t.type == ledger::TxType::withdrawal;
        const std::string_view title = payout ? "Sandbox payout" : "Sandbox payment";
        body.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
        body.append(title);
        body.append("</title></head><body><h1>");
        body.append(title);
        body.append("</h1><dl><dt>Payment</dt><dd id=\"payment\">");
        append_html_escaped(body, t.provider_payment_id);
        body.append("</dd><dt>Amount</dt><dd id=\"amount\">");
        body.append(amount, length);
        body.push_back(' ');
        append_html_escaped(body, t.currency);
        body.append("</dd><dt>Account</dt><dd id=\"login\">");
        body.append(std::to_string(t.login));
        body.append("</dd><dt>Status</dt><dd id=\"status\">");
        append_html_escaped(body, ledger::tx_status_name(t.status));
        body.append("</dd></dl>");
        if (t.status == ledger::TxStatus::pending_payment) {
            // A payout is made or it fails; only a payment can be cancelled by its payer.
            const std::span<const std::string_view> actions =
                    payout ? std::span<const std::string_view>(payout_actions)
                           : std::span<const std::string_view>(payment_actions);
            for (std::string_view action : actions) {
                body.append("<form method=\"post\" action=\"/sandbox/pay/");
                body.append(std::to_string(t.id));
                body.push_back('/');
                body.append(action);
                body.append("\"><button type=\"submit\" id=\"");
                body.append(action);
                body.append("\">");
                body.append(action == "pay" ? "Pay" : action == "fail" ? "Fail" : "Cancel");
                body.append("</button></form>");
            }
        }
        body.append("</body></html>");
        exchange.respond(200, "text/html; charset=utf-8", body);
    }

private:
    bool found_ = false;
    ledger::TransactionRecord transaction_;
};

// POST /sandbox/pay/{id}/{pay|fail|cancel}

class SandboxActionJob final : public LedgerJob {
public:
    ledger::TransactionId id = 0;
    std::string_view status;  // The sandbox webhook's status: succeeded | failed | cancelled.

    void apply(LedgerContext& context) override {
        Result<ledger::TransactionRecord> found = context.ledger.transaction(id);
        if (!found.ok() || !is_sandbox_payment(found.value())) {
            status_ = Status(StatusCode::not_found, "payment_not_found");
            return;
        }
        status_ = deliver_sandbox_event(context, found.value(), status, result_);
    }

    void respond(Exchange& exchange) override {
        if (!status_.ok()) {
            exchange.respond_error(status_);
            return;
        }
        const ledger::TransactionRecord& t = result_.transaction;
        std::string location = "/sandbox/pay/" + std::to_string(t.id);
        if (result_.applied && t.status == ledger::TxStatus::credited && !t.success_url.empty()) {
            location = t.success_url;
        } else if (result_.applied && t.status != ledger::TxStatus::credited &&
                   !t.failure_url.empty()) {
            location = t.failure_url;
        }
        exchange.respond(303, "text/plain; charset=utf-8", "See Other\n", {{"Location", location}});
    }

private:
    Status status_;
    ledger::ProviderEventResult result_;
};

// The sandbox's automatic payout (setting payout_auto_complete_seconds): its success webhook,
// delivered when the delay has passed, if the payout still waits for it.
class AutoPayoutJob final : public LedgerJob {
public:
    explicit AutoPayoutJob(ledger::TransactionId id) : id_(id) {}

    void apply(LedgerContext& context) override {
        Result<ledger::TransactionRecord> found = context.ledger.transaction(id_);
        if (!found.ok() || !is_sandbox_payment(found.value()) ||
            found->type != ledger::TxType::withdrawal ||
            found->status != ledger::TxStatus::pending_payment) {
            return;  // Settled meanwhile (by the page, a webhook or the back office).
        }
        ledger::ProviderEventResult result;
        Status status = deliver_sandbox_event(context, found.value(), "succeeded", result);
        if (!status.ok()) {
            log::warn(
                    "sandbox automatic payout failed",
                    {{"transaction_id", static_cast<std::int64_t>(id_)}, {"error", status.name()}});
        }
    }

    void respond(Exchange& /*exchange*/) override {}

private:
    ledger::TransactionId id_;
};

// At start: the sandbox payouts approved before a restart are scheduled again, from the time
// they were approved (their last status change).
class RecoverPayoutsJob final : public LedgerJob {
public:
    void apply(LedgerContext& context) override {
        if (context.scheduler == nullptr) return;
        ledger::TransactionFilter filter;
        filter.type = ledger::TxType::withdrawal;
        filter.status = ledger::TxStatus::pending_payment;
        filter.limit = SIZE_MAX;
        Result<std::vector<ledger::TransactionRecord>> pending =
                context.ledger.all_transactions(filter);
        if (!pending.ok()) {
            log::warn("sandbox payouts not rescheduled", {{"error", pending.status().name()}});
            return;
        }
        for (const ledger::TransactionRecord& t : pending.value()) {
            if (!is_sandbox_payment(t)) continue;
            providers::PayoutCreation creation;
            if (!request_payout(context, t, creation).ok()) continue;
            if (creation.auto_complete_seconds < 0) continue;
            context.scheduler->schedule(t.updated_time + creation.auto_complete_seconds,
                                        make_sandbox_payout_job(t.id));
        }
    }

    void respond(Exchange& /*exchange*/) override {}
};

OwnedJob make_recover_payouts_job() {
    return OwnedJob(new RecoverPayoutsJob());
}

HandlerResult sandbox_action(Exchange& exchange) {
    std::optional<std::uint64_t> id = parse_id(exchange.params()[0]);
    std::string_view action = exchange.params()[1];
    std::string_view status = action == "pay"      ? "succeeded"
                              : action == "fail"   ? "failed"
                              : action == "cancel" ? "cancelled"
                                                   : "";
    if (!id || status.empty()) {
        exchange.respond_error(Status(StatusCode::not_found, "payment_not_found"));
        return HandlerResult::done;
    }
    auto job = std::make_unique<SandboxActionJob>();
    job->id = *id;
    job->status = status;
    return submit_job(exchange, *id, std::move(job));
}

HandlerResult sandbox_page(Exchange& exchange) {
    std::optional<std::uint64_t> id = parse_id(exchange.params()[0]);
    auto job = std::make_unique<SandboxPageJob>();
    if (!id) {
        job->respond(exchange);  // Not a transaction id: the same 404.
        return HandlerResult::done;
    }
    job->id = *id;
    // owner_shard(x) is x mod N for customer ids and transaction ids alike.
    return submit_job(exchange, *id, std::move(job));
}

}  // namespace

OwnedJob make_sandbox_payout_job(ledger::TransactionId id) {
    return OwnedJob(new AutoPayoutJob(id));
}

void add_sandbox_routes(Server& server) {
    server.add_startup_job(make_recover_payouts_job);
    server.add_route(Method::get, "/sandbox/pay/{id}", sandbox_page);
    server.add_route(Method::post, "/sandbox/pay/{id}/{action}", sandbox_action);
}

}  // namespace cashierd::http
