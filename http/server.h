// Server: the composition of shards, listeners, mailboxes, connections and routes. main() and
// the in-process tests build one from a Config, add routes, start() it and stop() it.
// Thread: construct, add_route, start, request_stop and wait on the main thread;
// request_stop is also safe from a signal-handling thread. Each ShardRuntime is shard-owned.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <uv.h>

#include "http/config.h"
#include "http/json_reader.h"
#include "http/metrics.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "ledger/catalog.h"
#include "ledger/shard_ledger.h"
#include "providers/jwt.h"
#include "reactor/base/ids.h"
#include "reactor/base/status.h"
#include "reactor/buffer_pool.h"
#include "reactor/mailbox.h"
#include "reactor/shard.h"
#include "reactor/slot_table.h"

namespace cashierd::http {

class Connection;
class Exchange;
struct InitialData;
class LedgerJob;
struct LedgerContext;
class OutboxDispatcher;
class Server;
class ShardRuntime;

/// Deletes a LedgerJob (defined in ledger_gateway.cc, where the type is complete).
struct LedgerJobDeleter {
    void operator()(LedgerJob* job) const;
};

/// A message between shards, carried by value. Replies name their connection by ConnectionRef
/// and the exchange they belong to by `exchange`, so a reply that arrives after its connection
/// closed, or after its request was answered, is dropped.
struct ShardMessage {
    enum class Kind : std::uint8_t {
        ping,  // Any shard -> any shard: answer with pong (readiness).
        pong,
        job,       // Origin -> owner: apply the job into the owner's batch.
        job_done,  // Owner -> origin: the job's batch committed (or failed); respond.
    };
    Kind kind = Kind::ping;
    ShardId from = 0;
    ConnectionRef reply_to;
    std::uint64_t exchange = 0;
    std::unique_ptr<LedgerJob, LedgerJobDeleter> job;  // With job and job_done.
    /// A job the shard gave itself (JobScheduler): applied and committed, never answered.
    bool internal = false;
};

using OwnedJob = std::unique_ptr<LedgerJob, LedgerJobDeleter>;

/// Work a shard does for its own ledger later, with no request waiting on it: the sandbox's
/// automatic payouts. Owning shard only. In memory: what must survive a restart is found again
/// from the ledger by a startup job (Server::add_startup_job).
class JobScheduler {
public:
    virtual ~JobScheduler() = default;
    /// Applies `job` into this shard's batch at the first sweep at or after `due_unix`. Its
    /// respond() is never called; a job whose moment has passed must find that out itself.
    virtual void schedule(std::int64_t due_unix, OwnedJob job) = 0;
};

/// Makes a job every shard applies once when it starts, before it accepts connections, outside
/// any batch: it may read the ledger and schedule work, never write.
using StartupJobFactory = OwnedJob (*)();

enum class HandlerResult : std::uint8_t {
    done,      // The handler responded.
    deferred,  // A reply from another shard will complete the exchange (Exchange::defer).
};

using Handler = HandlerResult (*)(Exchange& exchange);
using Continuation = void (*)(Exchange& exchange, const ShardMessage& reply);

/// One request and its response, as a handler sees it. Lives inside its Connection; valid from
/// dispatch until the response is appended.
class Exchange {
public:
    const Request& request() const { return *request_; }

    const PathParams& params() const { return params_; }

    ShardRuntime& shard() const { return *shard_; }

    std::string_view request_id() const { return {request_id_, request_id_length_}; }

    ConnectionRef connection_ref() const { return ref_; }

    std::uint64_t id() const { return id_; }

    /// A per-shard string to build a response body in; empty on return.
    std::string& body_scratch();

    /// Responds with a body of `content_type`.
    void respond(std::uint16_t status, std::string_view content_type, std::string_view body,
                 std::initializer_list<ExtraHeader> extra = {});

    void respond_json(std::uint16_t status, std::string_view body,
                      std::initializer_list<ExtraHeader> extra = {}) {
        respond(status, "application/json", body, extra);
    }

    /// Responds with the error JSON of `status` and its HTTP status.
    void respond_error(const Status& status, std::initializer_list<ExtraHeader> extra = {});

    /// The same with a message of the caller's instead of the code's default text.
    void respond_error_message(const Status& status, std::string_view message);

    /// Waits for `replies` cross-shard replies; `continuation` runs for each, on this shard,
    /// until one of them responds. The handler returns HandlerResult::deferred.
    void defer(std::uint32_t replies, Continuation continuation);

    /// Replies still awaited.
    std::uint32_t awaiting() const { return awaiting_; }

    bool responded() const { return responded_; }

private:
    friend class Connection;

    const Request* request_ = nullptr;
    PathParams params_;
    ShardRuntime* shard_ = nullptr;
    Connection* connection_ = nullptr;
    ConnectionRef ref_;
    std::uint64_t id_ = 0;
    RouteId route_ = 0;
    bool routed_ = false;
    bool responded_ = false;
    std::uint16_t status_ = 0;
    std::uint32_t awaiting_ = 0;
    Continuation continuation_ = nullptr;
    std::uint64_t started_ns_ = 0;
    char request_id_[limits::request_id_bytes_max] = {};
    std::size_t request_id_length_ = 0;
};

/// Everything one shard owns. Only that shard's thread touches it, except `mailbox.post()`,
/// the metrics' relaxed reads and `control_` (uv_async_send).
class ShardRuntime final : public JobScheduler {
public:
    ShardRuntime(Server& server, ShardId id);
    ~ShardRuntime();
    ShardRuntime(const ShardRuntime&) = delete;
    ShardRuntime& operator=(const ShardRuntime&) = delete;

    ShardId id() const { return id_; }

    Server& server() const { return server_; }

    reactor::Shard& shard() { return shard_; }

    uv_loop_t* loop() { return shard_.loop(); }

    const Config& config() const;

    reactor::BufferPool& pool() { return pool_; }

    JsonReader& json() { return json_; }

    ShardMetrics& metrics() { return metrics_; }

    const ShardMetrics& metrics() const { return metrics_; }

    reactor::Mailbox<ShardMessage>& mailbox() { return mailbox_; }

    std::string& body_scratch() { return body_scratch_; }

    /// The Date header value, refreshed by the sweep timer (so at most a sweep interval late)
    /// rather than by a clock read per request.
    std::string_view http_date() const { return {date_, sizeof date_}; }

    /// Writes a fresh request id (32 hex digits) into `out`; returns its length.
    std::size_t next_request_id(char* out);

    bool draining() const { return draining_; }

    /// Delivers a reply to the connection it names, if it still lives (else counts a drop).
    void deliver(const ShardMessage& message);

    // Connection bookkeeping (Connection calls these).
    void on_connection_closed(std::uint32_t slot);

    reactor::SlotTable<Connection>& connections() { return connections_; }

    /// A buffer to read into and throw away (lingering close).
    char* discard_buffer() { return discard_; }

    /// This shard's ledger (the customers it owns). Owning shard only.
    ledger::ShardLedger& ledger() { return *ledger_; }

    /// The catalog as of the global store's latest generation (reloaded when it moved).
    /// Owning shard only; valid until the next call.
    const ledger::Catalog& catalog();

    void schedule(std::int64_t due_unix, OwnedJob job) override;

private:
    friend class Server;

    struct Scheduled {
        std::int64_t due = 0;
        std::uint64_t order = 0;  // Ties leave in the order they came.
        OwnedJob job;
    };

    /// The heap order: the earliest due (then the first scheduled) on top.
    static bool later_scheduled(const Scheduled& a, const Scheduled& b) {
        return a.due != b.due ? a.due > b.due : a.order > b.order;
    }

    /// Applies, as internal jobs, the scheduled jobs that are due.
    void run_due_jobs();
    void apply_internal(OwnedJob job);
    /// What a job sees of this shard, as of now.
    LedgerContext ledger_context();

    void setup(int listen_fd);
    void refresh_date();
    void begin_drain();
    void finish();
    void check_drained();
    static void on_connection(uv_stream_t* listener, int status);
    static void on_sweep(uv_timer_t* timer);
    static void on_control(uv_async_t* async);
    static void on_message(void* context, ShardMessage& message);
    static void on_iteration(void* context);
    void apply_job(ShardMessage& message);
    void accept_one();
    void refuse_one();

    Server& server_;
    ShardId id_;
    reactor::Shard shard_;
    std::unique_ptr<ledger::ShardLedger> ledger_;
    std::vector<ShardMessage> committing_;  // Jobs applied to the open batch.
    std::vector<Scheduled> scheduled_;      // A min-heap on (due, order).
    std::uint64_t scheduled_order_ = 0;
    std::uint64_t outbox_seen_ = 0;  // The last outbox id the dispatcher was told of.
    std::shared_ptr<const ledger::Catalog> catalog_;
    reactor::BufferPool pool_;
    JsonReader json_;
    ShardMetrics metrics_;
    reactor::Mailbox<ShardMessage> mailbox_;
    reactor::SlotTable<Connection> connections_;
    std::string body_scratch_;
    uv_tcp_t listener_{};
    uv_timer_t sweep_{};
    uv_async_t control_{};
    bool listener_open_ = false;
    bool draining_ = false;
    bool finished_ = false;
    bool reported_drained_ = false;
    std::int64_t date_second_ = -1;
    char date_[29] = {};
    std::uint64_t request_id_prefix_ = 0;
    std::uint64_t request_id_counter_ = 0;
    char discard_[4096] = {};
};

class Server {
public:
    explicit Server(Config config);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Registers a route before start().
    void add_route(Method method, std::string_view pattern, Handler route_handler);

    /// Registers, before start(), a job every shard applies once as it starts.
    void add_startup_job(StartupJobFactory factory);

    /// Binds the listening sockets and starts every shard; returns once all shards listen.
    /// False with `error` set when the address cannot be bound or the data dir is unusable.
    bool start(std::string& error);

    /// Any thread: stop accepting, finish in-flight requests, then stop the shards.
    void request_stop();

    /// Blocks until the shards have stopped (after request_stop).
    void wait();

    const Config& config() const { return config_; }

    const Router& router() const { return router_; }

    Handler handler(RouteId route) const { return handlers_[route]; }

    const std::vector<StartupJobFactory>& startup_jobs() const { return startup_jobs_; }

    std::uint16_t port() const { return port_; }

    std::size_t shard_count() const { return shards_.size(); }

    ShardRuntime& shard(std::size_t index) { return *shards_[index]; }

    /// The shard that owns a customer: customer_id mod N, N fixed when the data dir was made.
    std::size_t owner_shard(std::uint64_t customer_id) const {
        return static_cast<std::size_t>(customer_id % shards_.size());
    }

    /// Data that is not per customer. Safe from any shard.
    ledger::GlobalStore& global() { return *global_; }

    /// Customer JWT verification (jwt.keys). Read-only, shared by every shard.
    const providers::JwtVerifier& jwt() const { return *jwt_; }

    /// True between start() and the beginning of shutdown.
    bool accepting() const { return !stopping_.load(std::memory_order_relaxed); }

    /// Renders /metrics for every shard.
    void render_metrics_text(std::string& out);

    /// Any shard: outbox records were committed (nothing happens without a notifier).
    void wake_outbox();

private:
    friend class ShardRuntime;

    void on_shard_ready();
    void on_shard_drained();
    void start_outbox(const std::vector<std::unique_ptr<ledger::ShardLedger>>& ledgers);
    bool apply_initial_data(const InitialData& initial,
                            std::vector<std::unique_ptr<ledger::ShardLedger>>& ledgers,
                            std::string& error);

    Config config_;
    Router router_;
    std::vector<Handler> handlers_;
    std::vector<StartupJobFactory> startup_jobs_;
    std::unique_ptr<ledger::GlobalStore> global_;
    std::unique_ptr<providers::JwtVerifier> jwt_;
    std::vector<std::unique_ptr<ShardRuntime>> shards_;
    // Reads the shards' ledgers: declared after shards_, so destroyed (stopped) before them.
    std::unique_ptr<OutboxDispatcher> outbox_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> phase_{0};  // 0 running, 1 draining, 2 finishing.

    std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t shards_ready_ = 0;    // Guarded by mutex_.
    std::size_t shards_drained_ = 0;  // Guarded by mutex_.
    bool stop_requested_ = false;     // Guarded by mutex_.
    bool stopped_ = false;
};

/// Adds /healthz, /readyz and /metrics.
void add_health_routes(Server& server);

/// Adds /openapi.json and /docs (docs/openapi.yaml and its rendered page, compiled in).
void add_docs_routes(Server& server);

/// Adds the back-office and platform routes on balances (changebalance, /admin/accounts).
void add_backoffice_routes(Server& server);

/// Adds the back-office catalog and customer routes (/admin/brands, groups, customers,
/// accounts).
void add_admin_routes(Server& server);

/// Adds the customer Cashier API (/cashier/methods, deposit, transactions).
void add_cashier_routes(Server& server);

/// Adds the customer's withdrawal routes (/cashier/withdrawal, .../{id}/cancel).
void add_withdrawal_routes(Server& server);

/// Adds the sandbox provider's hosted payment page (/sandbox/pay/{id}) and its buttons.
void add_sandbox_routes(Server& server);

/// Adds the provider webhook route (/cashier/webhook/{provider}).
void add_webhook_routes(Server& server);

/// Adds the back office's transaction routes (/admin/transactions...).
void add_transaction_routes(Server& server);

/// Adds the withdrawal wizard with 2FA (seed 001: /api/v2/my/withdrawals[/wizard]).
void add_wizard_routes(Server& server);

}  // namespace cashierd::http
