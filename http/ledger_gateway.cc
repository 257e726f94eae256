#include "http/ledger_gateway.h"

#include "reactor/base/assert.h"

namespace cashierd::http {
namespace {

void on_job_done(Exchange& exchange, const ShardMessage& message) {
    CASHIERD_ASSERT(message.job != nullptr);
    message.job->finish(exchange);
}

}  // namespace

void LedgerJobDeleter::operator()(LedgerJob* job) const {
    delete job;
}

void LedgerJob::finish(Exchange& exchange) {
    if (!commit_status_.ok()) {
        exchange.respond_error(commit_status_);
        return;
    }
    respond(exchange);
}

HandlerResult submit_job(Exchange& exchange, ledger::CustomerId customer,
                         std::unique_ptr<LedgerJob> job) {
    return submit_job_to_shard(exchange, exchange.shard().server().owner_shard(customer),
                               std::move(job));
}

HandlerResult submit_job_to_shard(Exchange& exchange, std::size_t owner,
                                  std::unique_ptr<LedgerJob> job) {
    Server& server = exchange.shard().server();
    CASHIERD_ASSERT(owner < server.shard_count());
    ShardMessage message;
    message.kind = ShardMessage::Kind::job;
    message.from = exchange.shard().id();
    message.reply_to = exchange.connection_ref();
    message.exchange = exchange.id();
    message.job.reset(job.release());
    if (!server.shard(owner).mailbox().post(std::move(message))) {
        exchange.shard().metrics().mailbox_refused.add();
        exchange.respond_error(Status(StatusCode::ret_err_noservice, "overloaded"));
        return HandlerResult::done;
    }
    exchange.defer(1, on_job_done);
    return HandlerResult::deferred;
}

}  // namespace cashierd::http
