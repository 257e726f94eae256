// The outbox dispatcher's thread: per shard, read the records after the cursor, deliver them,
// then move the durable cursor. Shards are independent: one that fails backs off alone while
// the others keep delivering. Bounded: at most outbox_batch_records_max records per delivery.
// Thread: the dispatcher's own thread, except start(), stop() (owner) and wake() (any).
#include "http/outbox_dispatcher.h"

#include <algorithm>
#include <string>

#include <pthread.h>

#include "reactor/base/assert.h"
#include "reactor/base/log.h"

namespace cashierd::http {
namespace {

using namespace std::chrono_literals;

// Records per deliver() call: one fdatasync covers them all, and a read transaction never
// holds more than this many decoded records.
constexpr std::size_t outbox_batch_records_max = 256;
// How long a caught-up dispatcher lets records gather before delivering again.
constexpr std::chrono::milliseconds coalesce_interval{20};
constexpr std::uint32_t backoff_ms_min = 100;
constexpr std::uint32_t backoff_ms_max = 5000;
// A missed wake() (there is none by design, but a scan costs one read transaction per shard)
// is noticed within this.
constexpr auto idle_wait = 1s;
// How long stop() keeps retrying a failing shard before leaving its records to the next start.
constexpr auto stop_failure_budget = 2s;

std::string cursor_key(std::size_t shard) {
    return "outbox/" + std::to_string(shard);
}

}  // namespace

OutboxDispatcher::OutboxDispatcher(std::vector<ledger::ShardLedger*> shards,
                                   ledger::GlobalStore& global, std::unique_ptr<Notifier> notifier)
    : shards_(std::move(shards)),
      global_(global),
      notifier_(std::move(notifier)),
      states_(shards_.size()) {
    CASHIERD_ASSERT(notifier_ != nullptr);
    for (ledger::ShardLedger* shard : shards_)
        CASHIERD_ASSERT(shard != nullptr);
}

OutboxDispatcher::~OutboxDispatcher() {
    stop();
}

void OutboxDispatcher::start() {
    CASHIERD_ASSERT(!thread_.joinable());
    thread_ = std::thread([this] { run(); });
}

void OutboxDispatcher::wake() {
    // Already set: the thread has not begun its next scan, which will see these records.
    if (woken_.exchange(true, std::memory_order_acq_rel)) return;
    // Taking the lock orders this wake against the thread's check-then-wait, so the notify
    // cannot fall between them and be lost.
    { std::lock_guard lock(mutex_); }
    wakeup_.notify_one();
}

void OutboxDispatcher::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wakeup_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void OutboxDispatcher::run() {
    pthread_setname_np(pthread_self(), "outbox");
    bool draining = false;
    Clock::time_point drain_start{};
    for (;;) {
        // Cleared before the scan: a commit the scan misses comes with a wake() that sets it
        // again (acq_rel pairs with wake's exchange, so the scan sees that commit).
        woken_.exchange(false, std::memory_order_acq_rel);
        bool stop_requested = false;
        {
            std::lock_guard lock(mutex_);
            stop_requested = stopping_;
        }
        Clock::time_point now = Clock::now();
        if (stop_requested && !draining) {
            draining = true;
            drain_start = now;
            // One more attempt for every backing-off shard right away, then the budget rules.
            for (ShardState& state : states_)
                state.retry_at = now;
        }
        bool progressed = false;
        bool pending = false;  // Some shard may still hold undelivered records.
        Clock::time_point retry_at = Clock::time_point::max();
        for (std::size_t shard = 0; shard < shards_.size(); ++shard) {
            ShardState& state = states_[shard];
            if (state.abandoned) continue;
            if (state.backoff_ms != 0 && now < state.retry_at) {
                pending = true;
                retry_at = std::min(retry_at, state.retry_at);
                continue;
            }
            Step result = step(shard);
            if (result == Step::delivered) progressed = true;
            if (result != Step::failed) continue;
            back_off(shard, draining, drain_start);
            if (state.abandoned) continue;
            pending = true;
            retry_at = std::min(retry_at, state.retry_at);
        }
        if (progressed) {
            // Caught up: let records gather before the next delivery. Each delivery costs an
            // fdatasync and a cursor commit, which compete with the shards' own commits for the
            // disk; a few milliseconds of notification latency buys batches instead.
            if (!draining && !backlog_) {
                std::unique_lock lock(mutex_);
                wakeup_.wait_for(lock, coalesce_interval, [&] { return stopping_; });
            }
            backlog_ = false;
            continue;
        }
        if (draining && !pending) break;
        std::unique_lock lock(mutex_);
        Clock::time_point deadline = draining ? retry_at : std::min(now + idle_wait, retry_at);
        wakeup_.wait_until(lock, deadline, [&] {
            return woken_.load(std::memory_order_acquire) || (stopping_ && !draining);
        });
    }
    // A cursor write that failed is retried once more: otherwise the next start would deliver
    // those records again (harmless duplicates, but avoidable).
    for (std::size_t shard = 0; shard < shards_.size(); ++shard) {
        if (states_[shard].loaded && states_[shard].saved != states_[shard].cursor) {
            save_cursor(shard);
        }
    }
}

OutboxDispatcher::Step OutboxDispatcher::step(std::size_t shard) {
    ShardState& state = states_[shard];
    if (!state.loaded) {
        Result<std::uint64_t> cursor = global_.counter(cursor_key(shard));
        if (!cursor.ok()) {
            log::warn("outbox: reading the delivery cursor failed",
                      {{"ledger_shard", static_cast<std::int64_t>(shard)},
                       {"error", cursor.status().name()},
                       {"detail", cursor.status().detail()}});
            return Step::failed;
        }
        state.cursor = state.saved = cursor.value();
        state.loaded = true;
    }
    Result<std::vector<ledger::OutboxRecord>> records =
            shards_[shard]->outbox_after(state.cursor, outbox_batch_records_max);
    if (!records.ok()) {
        log::warn("outbox: reading records failed",
                  {{"ledger_shard", static_cast<std::int64_t>(shard)},
                   {"error", records.status().name()},
                   {"detail", records.status().detail()}});
        return Step::failed;
    }
    if (records->empty()) {
        if (state.saved != state.cursor) save_cursor(shard);
        return Step::idle;
    }
    CASHIERD_ASSERT(records->size() <= outbox_batch_records_max);
    // Ids only grow: the cursor never passes a record that was not delivered.
    CASHIERD_ASSERT(records->front().id > state.cursor);
    CASHIERD_DEBUG_ASSERT(
            std::is_sorted(records->begin(), records->end(),
                           [](const auto& left, const auto& right) { return left.id < right.id; }));
    Status delivered = notifier_->deliver(*records);
    if (!delivered.ok()) {
        failures_.fetch_add(1, std::memory_order_relaxed);
        // Ids and counts only: a 2fa_code record's payload holds the code.
        log::warn("outbox: delivery failed; retrying the same records",
                  {{"ledger_shard", static_cast<std::int64_t>(shard)},
                   {"error", delivered.name()},
                   {"detail", delivered.detail()},
                   {"first_id", static_cast<std::int64_t>(records->front().id)},
                   {"records", static_cast<std::int64_t>(records->size())},
                   {"attempt", static_cast<std::int64_t>(state.failed_attempts) + 1}});
        return Step::failed;
    }
    if (state.failed_attempts != 0) {
        log::info("outbox: delivery resumed",
                  {{"ledger_shard", static_cast<std::int64_t>(shard)},
                   {"failed_attempts", static_cast<std::int64_t>(state.failed_attempts)}});
    }
    state.backoff_ms = 0;
    state.failed_attempts = 0;
    state.cursor = records->back().id;
    if (records->size() == outbox_batch_records_max) backlog_ = true;
    delivered_.fetch_add(records->size(), std::memory_order_relaxed);
    save_cursor(shard);
    return Step::delivered;
}

void OutboxDispatcher::back_off(std::size_t shard, bool draining, Clock::time_point drain_start) {
    ShardState& state = states_[shard];
    Clock::time_point now = Clock::now();
    if (state.failed_attempts == 0) state.failing_since = now;
    ++state.failed_attempts;
    state.backoff_ms =
            state.backoff_ms == 0 ? backoff_ms_min : std::min(state.backoff_ms * 2, backoff_ms_max);
    state.retry_at = now + std::chrono::milliseconds(state.backoff_ms);
    if (!draining) return;
    // Failures before stop() do not count against its budget.
    Clock::time_point give_up_at = std::max(state.failing_since, drain_start) + stop_failure_budget;
    if (now >= give_up_at) {
        state.abandoned = true;
        log::error("outbox: stopping with records undelivered; the next start delivers them",
                   {{"ledger_shard", static_cast<std::int64_t>(shard)},
                    {"cursor", static_cast<std::int64_t>(state.cursor)},
                    {"failed_attempts", static_cast<std::int64_t>(state.failed_attempts)}});
        return;
    }
    state.retry_at = std::min(state.retry_at, give_up_at);
}

void OutboxDispatcher::save_cursor(std::size_t shard) {
    ShardState& state = states_[shard];
    Status saved = global_.put_counter(cursor_key(shard), state.cursor);
    if (!saved.ok()) {
        // The records were delivered: the cursor moves on in memory and the write is retried.
        // Until it lands, a restart would deliver them again, which receivers tolerate.
        log::warn("outbox: saving the delivery cursor failed",
                  {{"ledger_shard", static_cast<std::int64_t>(shard)},
                   {"error", saved.name()},
                   {"detail", saved.detail()}});
        return;
    }
    state.saved = state.cursor;
}

}  // namespace cashierd::http
