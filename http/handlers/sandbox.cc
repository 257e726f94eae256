// The sandbox provider's hosted payment page: GET /sandbox/pay/{transaction id}, where a
// sandbox deposit's REDIRECT leads. Plain HTML showing the payment; its Pay / Fail / Cancel
// buttons and the signed webhooks they deliver come with the webhook lifecycle.
// Thread: handler on the accepting shard; the job on the shard that owns the transaction
// (a transaction id, like a customer id, tells its shard by id mod N).
#include <memory>

#include "http/handlers/handler_support.h"
#include "http/ledger_gateway.h"

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

class SandboxPageJob final : public LedgerJob {
public:
    ledger::TransactionId id = 0;

    void apply(LedgerContext& context) override {
        Result<ledger::TransactionRecord> transaction = context.ledger.transaction(id);
        // Only sandbox payments have a page here.
        found_ =
                transaction.ok() && transaction->provider_payment_id == "sbx_" + std::to_string(id);
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
        body.append(
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<title>Sandbox payment</title></head><body><h1>Sandbox payment</h1><dl>"
                "<dt>Payment</dt><dd id=\"payment\">");
        append_html_escaped(body, t.provider_payment_id);
        body.append("</dd><dt>Amount</dt><dd id=\" amount\">");
        body.append(amount, length);
        body.push_back(' ');
        append_html_escaped(body, t.currency);
        body.append("</dd><dt>Account</dt><dd id=\" login\">");
        body.append(std::to_string(t.login));
        body.append("</dd><dt>Status</dt><dd id=\" status\">");
        append_html_escaped(body, ledger::tx_status_name(t.status));
        body.append("</dd></dl></body></html>");
        exchange.respond(200, "text/html; charset=utf-8", body);
    }

private:
    bool found_ = false;
    ledger::TransactionRecord transaction_;
};

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

void add_sandbox_routes(Server& server) {
    server.add_route(Method::get, "/sandbox/pay/{id}", sandbox_page);
}

}  // namespace cashierd::http
