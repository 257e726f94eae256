// The gateway between a request and the ledger: the only code that touches both the reactor's
// mailboxes and ledger::ShardLedger. A LedgerJob is built on the shard that parsed the request
// (the origin), travels by mailbox to the shard that owns the customer, is applied there into
// the open batch, waits for that batch's commit (group commit, one fsync for every job of the
// iteration), and travels back to the origin, which answers the client. Ownership of the job
// moves with it; no shard ever holds a pointer into another shard's memory.
// Thread: submit() on the origin shard; apply() on the owner; respond() on the origin.
#pragma once

#include <cstdint>
#include <memory>

#include "http/server.h"
#include "ledger/catalog.h"
#include "ledger/shard_ledger.h"

namespace cashierd::http {

/// What a job sees on the owner shard.
struct LedgerContext {
    ledger::ShardLedger& ledger;
    ledger::GlobalStore& global;
    const ledger::Catalog& catalog;
    std::int64_t now;  // Unix seconds.
    std::string_view public_url;
    /// The shard's own later work (the sandbox's automatic payouts); null outside a server.
    JobScheduler* scheduler = nullptr;
};

class LedgerJob {
public:
    virtual ~LedgerJob() = default;

    /// Owner shard, inside the open batch. Records its outcome in the job's own members.
    virtual void apply(LedgerContext& context) = 0;

    /// Origin shard, after the batch committed. Must respond.
    virtual void respond(Exchange& exchange) = 0;

    static constexpr std::size_t back_to_origin = SIZE_MAX;

    /// Owner shard, after its batch committed: the next shard to apply the job on, for a job
    /// that visits several shards (a back-office listing), or back_to_origin.
    virtual std::size_t next_shard(std::size_t current, std::size_t shard_count) {
        (void)current;
        (void)shard_count;
        return back_to_origin;
    }

    /// Answers `commit_status` if the batch failed (nothing of it happened), else respond().
    void finish(Exchange& exchange);

    /// Set on the owner shard after the commit.
    void set_commit_status(Status status) { commit_status_ = status; }

private:
    Status commit_status_;
};

/// Origin shard: sends `job` to the shard owning `customer`, defers the exchange until the job
/// comes back. A full mailbox answers 503 RET_ERR_NOSERVICE ("overloaded") at once.
HandlerResult submit_job(Exchange& exchange, ledger::CustomerId customer,
                         std::unique_ptr<LedgerJob> job);

/// As submit_job, to shard `shard` itself (the first stop of a job visiting every shard).
HandlerResult submit_job_to_shard(Exchange& exchange, std::size_t shard,
                                  std::unique_ptr<LedgerJob> job);

}  // namespace cashierd::http
