#include "http/server.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>
#include <tuple>

#include <unistd.h>

#include "http/admin_records.h"
#include "http/auth.h"
#include "http/connection.h"
#include "http/error_mapping.h"
#include "http/ledger_gateway.h"
#include "http/notifier.h"
#include "http/outbox_dispatcher.h"
#include "ledger/money.h"
#include "providers/crypto.h"
#include "reactor/base/assert.h"
#include "reactor/base/clock.h"
#include "reactor/base/log.h"
#include "reactor/listener.h"

namespace cashierd::http {
namespace {

constexpr std::uint64_t sweep_interval_ms = 250;
constexpr int listen_backlog = 4096;

// Sent to a connection over the shard's cap, before closing it.
const std::string& refused_response() {
    static const std::string response = [] {
        std::string body;
        append_error_body(body, Status(StatusCode::ret_err_noservice, "too_many_connections"));
        std::string out;
        ResponseHead head;
        head.status = 503;
        head.close = true;
        append_response(out, head, body, {{"Retry-After", "1"}});
        return out;
    }();
    return response;
}

}  // namespace

// ShardRuntime

ShardRuntime::ShardRuntime(Server& server, ShardId id)
    : server_(server),
      id_(id),
      shard_(id),
      json_(server.config().limits.body_bytes_max),
      metrics_(server.router().size()),
      mailbox_(server.config().limits.mailbox_messages_max),
      connections_(static_cast<std::uint32_t>(server.config().limits.connections_per_shard_max)) {
    std::array<std::uint8_t, 8> random{};
    crypto::random_bytes(random);
    for (std::uint8_t byte : random)
        request_id_prefix_ = (request_id_prefix_ << 8) | byte;
}

ShardRuntime::~ShardRuntime() = default;

const Config& ShardRuntime::config() const {
    return server_.config();
}

void ShardRuntime::setup(int listen_fd) {
    // Startup jobs only read the ledger and schedule work: no batch, no commit.
    for (StartupJobFactory factory : server_.startup_jobs()) {
        OwnedJob job = factory();
        LedgerContext context = ledger_context();
        job->apply(context);
        CASHIERD_ASSERT(!ledger_->batch_open());
    }
    mailbox_.start(loop(), on_message, this);
    CASHIERD_ASSERT(uv_async_init(loop(), &control_, on_control) == 0);
    control_.data = this;
    CASHIERD_ASSERT(uv_timer_init(loop(), &sweep_) == 0);
    sweep_.data = this;
    CASHIERD_ASSERT(uv_timer_start(&sweep_, on_sweep, sweep_interval_ms, sweep_interval_ms) == 0);
    listener_.data = this;
    int rc = reactor::listen_on_loop(loop(), &listener_, listen_fd, listen_backlog, on_connection);
    if (rc != 0) {
        log::error("listen failed", {{"error", uv_err_name(rc)}});
        CASHIERD_ASSERT(rc == 0);
    }
    listener_open_ = true;
    shard_.add_iteration_hook(on_iteration, this);
    committing_.reserve(server_.config().limits.mailbox_messages_max);
    refresh_date();
    server_.on_shard_ready();
}

void ShardRuntime::refresh_date() {
    std::int64_t now = RealClock::instance().unix_seconds();
    if (now != date_second_) {
        format_http_date(now, date_);
        date_second_ = now;
    }
}

std::size_t ShardRuntime::next_request_id(char* out) {
    static constexpr char hex[] = "0123456789abcdef";
    std::uint64_t counter = ++request_id_counter_;
    for (int i = 15; i >= 0; --i) {
        out[i] = hex[(request_id_prefix_ >> ((15 - i) * 4)) & 0xf];
        out[16 + i] = hex[(counter >> ((15 - i) * 4)) & 0xf];
    }
    return 32;
}

void ShardRuntime::on_connection(uv_stream_t* listener, int status) {
    auto* runtime = static_cast<ShardRuntime*>(listener->data);
    if (status < 0) {
        log::warn("accept failed", {{"error", uv_err_name(status)}});
        return;
    }
    if (runtime->connections_.full()) {
        runtime->refuse_one();
    } else {
        runtime->accept_one();
    }
}

void ShardRuntime::accept_one() {
    std::int64_t slot = connections_.acquire(
            [this](std::uint32_t index) { return std::make_unique<Connection>(*this, index); });
    CASHIERD_ASSERT(slot >= 0);
    auto index = static_cast<std::uint32_t>(slot);
    Connection* connection = connections_.resolve(index, connections_.generation(index));
    CASHIERD_ASSERT(connection != nullptr);
    connection->open(reinterpret_cast<uv_stream_t*>(&listener_));
}

void ShardRuntime::refuse_one() {
    // Over the cap: accept, answer 503 and close, so the client learns why instead of waiting
    // in the kernel's backlog. Rare and bounded by the accept rate, so it may allocate.
    auto* tcp = new uv_tcp_t;
    CASHIERD_ASSERT(uv_tcp_init(loop(), tcp) == 0);
    if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener_),
                  reinterpret_cast<uv_stream_t*>(tcp)) == 0) {
        const std::string& response = refused_response();
        uv_buf_t buffer = uv_buf_init(const_cast<char*>(response.data()),
                                      static_cast<unsigned>(response.size()));
        uv_try_write(reinterpret_cast<uv_stream_t*>(tcp), &buffer, 1);
    }
    metrics_.connections_refused.add();
    uv_close(reinterpret_cast<uv_handle_t*>(tcp),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_tcp_t*>(handle); });
}

void ShardRuntime::on_connection_closed(std::uint32_t slot) {
    connections_.release(slot);
    check_drained();
}

LedgerContext ShardRuntime::ledger_context() {
    return LedgerContext{*ledger_,
                         server_.global(),
                         catalog(),
                         RealClock::instance().unix_seconds(),
                         server_.config().public_url,
                         this};
}

void ShardRuntime::schedule(std::int64_t due_unix, OwnedJob job) {
    CASHIERD_ASSERT(job != nullptr);
    scheduled_.push_back(Scheduled{due_unix, ++scheduled_order_, std::move(job)});
    std::push_heap(scheduled_.begin(), scheduled_.end(), later_scheduled);
}

void ShardRuntime::apply_internal(OwnedJob job) {
    ShardMessage message;
    message.kind = ShardMessage::Kind::job;
    message.from = id_;
    message.internal = true;
    message.job = std::move(job);
    apply_job(message);
}

void ShardRuntime::run_due_jobs() {
    std::int64_t now = RealClock::instance().unix_seconds();
    while (!scheduled_.empty() && scheduled_.front().due <= now) {
        std::pop_heap(scheduled_.begin(), scheduled_.end(), later_scheduled);
        OwnedJob job = std::move(scheduled_.back().job);
        scheduled_.pop_back();
        apply_internal(std::move(job));
    }
}

void ShardRuntime::on_sweep(uv_timer_t* timer) {
    auto* runtime = static_cast<ShardRuntime*>(timer->data);
    runtime->refresh_date();
    if (!runtime->draining_) runtime->run_due_jobs();
    std::uint64_t now = uv_now(runtime->loop());
    runtime->connections_.for_each(
            [now](Connection& connection) { connection.check_deadline(now); });
}

void ShardRuntime::on_control(uv_async_t* async) {
    auto* runtime = static_cast<ShardRuntime*>(async->data);
    int phase = runtime->server_.phase_.load();
    if (phase >= 1 && !runtime->draining_) runtime->begin_drain();
    if (phase >= 2 && !runtime->finished_) runtime->finish();
}

void ShardRuntime::begin_drain() {
    draining_ = true;
    if (listener_open_) {
        uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
        listener_open_ = false;
    }
    connections_.for_each([](Connection& connection) { connection.drain(); });
    check_drained();
}

void ShardRuntime::check_drained() {
    if (!draining_ || reported_drained_ || connections_.in_use() != 0) return;
    reported_drained_ = true;
    server_.on_shard_drained();
}

void ShardRuntime::finish() {
    on_iteration(this);  // Commits and answers whatever the last iteration applied.
    finished_ = true;
    draining_ = true;
    if (listener_open_) {
        uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
        listener_open_ = false;
    }
    connections_.for_each([](Connection& connection) { connection.force_close(); });
    mailbox_.close();
    uv_close(reinterpret_cast<uv_handle_t*>(&control_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&sweep_), nullptr);
    shard_.close_hooks();
}

void ShardRuntime::on_message(void* context, ShardMessage& message) {
    auto* runtime = static_cast<ShardRuntime*>(context);
    switch (message.kind) {
        case ShardMessage::Kind::ping: {
            ShardMessage pong;
            pong.kind = ShardMessage::Kind::pong;
            pong.from = runtime->id_;
            pong.reply_to = message.reply_to;
            pong.exchange = message.exchange;
            runtime->server_.shard(message.from).mailbox().post_reply(std::move(pong));
            break;
        }
        case ShardMessage::Kind::job:
            runtime->apply_job(message);
            break;
        case ShardMessage::Kind::pong:
        case ShardMessage::Kind::job_done:
            runtime->deliver(message);
            break;
    }
}

void ShardRuntime::apply_job(ShardMessage& message) {
    CASHIERD_ASSERT(message.job != nullptr);
    Status status = ledger_->begin_batch();
    if (status.ok()) {
        LedgerContext context = ledger_context();
        message.job->apply(context);
    } else {
        message.job->set_commit_status(status);
    }
    // Answered after the batch's commit, with every other job of this iteration.
    committing_.push_back(std::move(message));
}

const ledger::Catalog& ShardRuntime::catalog() {
    ledger::GlobalStore& global = server_.global();
    if (!catalog_ || catalog_->generation != global.generation()) {
        Result<std::shared_ptr<const ledger::Catalog>> loaded = global.load_catalog();
        if (loaded.ok()) {
            catalog_ = std::move(loaded.value());
        } else if (!catalog_) {
            catalog_ = std::make_shared<const ledger::Catalog>();
        }
    }
    return *catalog_;
}

void ShardRuntime::on_iteration(void* context) {
    auto* runtime = static_cast<ShardRuntime*>(context);
    if (runtime->committing_.empty()) return;
    // Group commit: one write transaction, one fsync for every job applied this iteration.
    // No open batch means every job failed to begin one: nothing to commit, nothing to count.
    bool open = runtime->ledger_->batch_open();
    std::uint64_t started_ns = monotonic_nanos();
    Status status = runtime->ledger_->commit_batch();
    if (open) {
        runtime->metrics_.record_commit(runtime->committing_.size(),
                                        (monotonic_nanos() - started_ns) / 1000, status.ok());
    }
    std::uint64_t outbox = runtime->ledger_->last_outbox_id();
    if (outbox != runtime->outbox_seen_) {
        runtime->outbox_seen_ = outbox;
        runtime->server_.wake_outbox();
    }
    for (ShardMessage& message : runtime->committing_) {
        if (!status.ok()) message.job->set_commit_status(status);
        // Nobody waits on the shard's own work; a failed commit left nothing of it behind, and
        // whatever scheduled it is found again from the ledger at the next start.
        if (message.internal) continue;
        if (status.ok()) {
            std::size_t next =
                    message.job->next_shard(runtime->id_, runtime->server_.shard_count());
            if (next != LedgerJob::back_to_origin) {
                // Still the origin's job: `from` keeps naming it. Not bounded, like a reply:
                // work already accepted is never dropped half-way.
                CASHIERD_ASSERT(next < runtime->server_.shard_count() && next != runtime->id_);
                runtime->server_.shard(next).mailbox().post_reply(std::move(message));
                continue;
            }
        }
        message.kind = ShardMessage::Kind::job_done;
        ShardId origin = message.from;
        message.from = runtime->id_;
        if (origin == runtime->id_) {
            // Our own connection: answer now rather than one loop iteration later. Delivery
            // only writes responses and posts new jobs to mailboxes; it never touches
            // committing_.
            runtime->deliver(message);
        } else {
            runtime->server_.shard(origin).mailbox().post_reply(std::move(message));
        }
    }
    runtime->committing_.clear();
}

void ShardRuntime::deliver(const ShardMessage& message) {
    CASHIERD_ASSERT(message.reply_to.shard == id_);
    Connection* connection =
            connections_.resolve(message.reply_to.slot, message.reply_to.generation);
    if (connection == nullptr) {
        metrics_.replies_dropped.add();
        return;
    }
    connection->deliver(message);
}

// Server

Server::Server(Config config) : config_(std::move(config)) {}

Server::~Server() {
    if (!shards_.empty() && !stopped_) {
        request_stop();
        wait();
    }
}

void Server::add_startup_job(StartupJobFactory factory) {
    CASHIERD_ASSERT(shards_.empty());
    startup_jobs_.push_back(factory);
}

void Server::add_route(Method method, std::string_view pattern, Handler route_handler) {
    CASHIERD_ASSERT(shards_.empty());
    RouteId id = router_.add(method, pattern);
    CASHIERD_ASSERT(id == handlers_.size());
    handlers_.push_back(route_handler);
}

bool Server::apply_initial_data(const InitialData& initial,
                                std::vector<std::unique_ptr<ledger::ShardLedger>>& ledgers,
                                std::string& error) {
    ledger::GlobalStore& global = *global_;
    Status status;
    for (const ledger::BrandRecord& brand : initial.brands) {
        if (status.ok()) status = global.put_brand(brand);
    }
    for (const ledger::GroupRecord& group : initial.groups) {
        if (status.ok()) status = global.put_group(group);
    }
    for (const ledger::ProviderRecord& provider : initial.providers) {
        if (status.ok()) status = global.put_provider(provider);
    }
    std::int64_t now = RealClock::instance().unix_seconds();
    for (const ledger::CustomerRecord& customer : initial.customers) {
        if (!status.ok()) break;
        ledger::ShardLedger& ledger = *ledgers[customer.id % ledgers.size()];
        ledger::CustomerRecord stored = customer;
        stored.created_time = stored.updated_time = now;
        status = ledger.begin_batch();
        if (status.ok()) status = ledger.put_customer(stored);
        if (status.ok()) status = ledger.commit_batch();
    }
    for (const InitialAccount& entry : initial.accounts) {
        if (!status.ok()) break;
        const ledger::AccountRecord& account = entry.account;
        ledger::ShardLedger& ledger = *ledgers[account.customer_id % ledgers.size()];
        status = global.put_directory(account.login, account.customer_id);
        if (status.ok()) status = ledger.begin_batch();
        if (status.ok()) {
            ledger::AccountRecord stored = account;
            stored.created_time = stored.updated_time = now;
            status = ledger.put_account(stored);
        }
        std::uint8_t exponent = ledger::find_currency(account.currency)->exponent;
        // Seeded through the ledger like any deposit, with an external id so a repeated
        // initialisation does not seed twice.
        for (auto [text, type, external] :
             {std::tuple{&entry.balance, ledger::HistoryType::deposit, "initial-balance"},
              std::tuple{&entry.bonus, ledger::HistoryType::deposit_nonwithdrawable_bonus,
                         "initial-bonus"}}) {
            if (!status.ok() || text->empty()) continue;
            Result<std::int64_t> amount = ledger::parse_amount(*text, exponent);
            if (!amount.ok()) {
                error = "initial data: account " + std::to_string(account.login) + ": amount " +
                        *text + " is not valid for " + account.currency;
                ledger.abort_batch();
                return false;
            }
            ledger::ChangeBalanceCommand command;
            command.login = account.login;
            command.type = type;
            command.amount = amount.value();
            command.external_id = external;
            command.actor = "initial_data";
            command.source = "config";
            command.now = now;
            Result<ledger::ChangeBalanceResult> result = ledger.change_balance(command);
            if (!result.ok()) status = result.status();
        }
        if (status.ok()) status = ledger.commit_batch();
    }
    if (status.ok()) status = global.mark_initialized();
    if (!status.ok()) {
        error = "initial data: cannot store it (" + std::string(status.name()) + " " +
                std::string(status.detail()) + ")";
        return false;
    }
    log::info("initial data applied",
              {{"brands", static_cast<std::int64_t>(initial.brands.size())},
               {"customers", static_cast<std::int64_t>(initial.customers.size())},
               {"accounts", static_cast<std::int64_t>(initial.accounts.size())}});
    return true;
}

bool Server::start(std::string& error) {
    CASHIERD_ASSERT(shards_.empty());
    std::size_t count = config_.shards;
    if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
    count = std::min(count, limits::shards_max);

    std::error_code ec;
    std::filesystem::create_directories(config_.data_dir, ec);
    if (ec || ::access(config_.data_dir.c_str(), W_OK) != 0) {
        error = "data_dir " + config_.data_dir + " is not a writable directory";
        return false;
    }

    jwt_ = make_jwt_verifier(config_, error);
    if (!jwt_) return false;
    InitialData initial;
    if (!parse_initial_data(config_.initial_data_json, initial, error)) {
        error = "initial data: " + error;
        return false;
    }
    std::string store_error;
    Result<std::unique_ptr<ledger::GlobalStore>> global = ledger::GlobalStore::open(
            config_.data_dir, config_.shards, static_cast<std::uint32_t>(count),
            config_.durability == Durability::fsync, store_error);
    if (!global.ok()) {
        error = store_error.empty() ? "cannot open the data dir " + config_.data_dir : store_error;
        return false;
    }
    global_ = std::move(global.value());
    count = global_->shard_count();
    if (count > limits::shards_max) {
        error = "data dir has more shards than this build supports";
        return false;
    }
    std::vector<std::unique_ptr<ledger::ShardLedger>> ledgers;
    for (std::size_t i = 0; i < count; ++i) {
        ledger::LedgerOptions options;
        options.durable = config_.durability == Durability::fsync;
        Result<std::unique_ptr<ledger::ShardLedger>> ledger =
                ledger::ShardLedger::open(config_.data_dir, static_cast<std::uint32_t>(i),
                                          static_cast<std::uint32_t>(count), options);
        if (!ledger.ok()) {
            error = "cannot open shard " + std::to_string(i) + " of the data dir " +
                    config_.data_dir;
            return false;
        }
        ledgers.push_back(std::move(ledger.value()));
    }

    if (!global_->initialized()) {
        if (!apply_initial_data(initial, ledgers, error)) return false;
    }

    reactor::ListenSockets sockets;
    if (!reactor::open_listen_sockets(config_.listen_host, config_.listen_port, count, sockets,
                                      error)) {
        return false;
    }
    port_ = sockets.port;
    // Port 0 was resolved by the bind: links to our own pages use the real port.
    if (config_.public_url.size() > 2 &&
        config_.public_url.compare(config_.public_url.size() - 2, 2, ":0") == 0) {
        config_.public_url.replace(config_.public_url.size() - 1, 1, std::to_string(port_));
    }
    start_outbox(ledgers);
    for (std::size_t i = 0; i < count; ++i) {
        shards_.push_back(std::make_unique<ShardRuntime>(*this, static_cast<ShardId>(i)));
        shards_.back()->ledger_ = std::move(ledgers[i]);
    }
    for (std::size_t i = 0; i < count; ++i) {
        ShardRuntime* runtime = shards_[i].get();
        int fd = sockets.fds[i];
        runtime->shard_.start([runtime, fd](reactor::Shard&) { runtime->setup(fd); });
    }
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return shards_ready_ == shards_.size(); });
    return true;
}

void Server::start_outbox(const std::vector<std::unique_ptr<ledger::ShardLedger>>& ledgers) {
    if (config_.notifier.kind != "file") {
        // The webhook notifier needs the outbound HTTP client. The records stay in the
        // durable outbox and are delivered once a notifier that can reach them is configured.
        log::warn("outbox: notifier kind has no delivery in this version; records are kept",
                  {{"kind", config_.notifier.kind}});
        return;
    }
    std::string path = config_.notifier.path;
    if (path.empty() || path.front() != '/') path = config_.data_dir + "/" + path;
    std::vector<ledger::ShardLedger*> shards;
    for (const auto& ledger : ledgers)
        shards.push_back(ledger.get());
    outbox_ = std::make_unique<OutboxDispatcher>(std::move(shards), *global_,
                                                 make_file_notifier(std::move(path)));
    outbox_->start();
}

void Server::on_shard_ready() {
    std::lock_guard lock(mutex_);
    ++shards_ready_;
    changed_.notify_all();
}

void Server::on_shard_drained() {
    std::lock_guard lock(mutex_);
    ++shards_drained_;
    changed_.notify_all();
}

void Server::request_stop() {
    if (stopping_.exchange(true)) return;
    phase_.store(1);
    for (auto& runtime : shards_)
        uv_async_send(&runtime->control_);
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
    changed_.notify_all();
}

void Server::wait() {
    if (stopped_) return;
    {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return stop_requested_; });
        bool drained = changed_.wait_for(
                lock, std::chrono::milliseconds(config_.limits.shutdown_timeout_ms),
                [&] { return shards_drained_ == shards_.size(); });
        if (!drained) log::warn("shutdown timeout: closing connections still in flight");
    }
    phase_.store(2);
    for (auto& runtime : shards_)
        uv_async_send(&runtime->control_);
    for (auto& runtime : shards_)
        runtime->shard_.join();
    // Every commit is done: hand the last outbox records to the notifier before exiting.
    if (outbox_) outbox_->stop();
    stopped_ = true;
}

void Server::wake_outbox() {
    if (outbox_) outbox_->wake();
}

void Server::render_metrics_text(std::string& out) {
    std::vector<ShardMetricsView> views;
    views.reserve(shards_.size());
    for (auto& runtime : shards_) {
        views.push_back(ShardMetricsView{&runtime->metrics(), runtime->mailbox().depth()});
    }
    render_metrics(out, router_, views);
}

}  // namespace cashierd::http
