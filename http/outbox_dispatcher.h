// OutboxDispatcher: one thread that hands each shard's committed outbox records to the
// notifier in id order and keeps a durable delivery cursor per shard (GlobalStore counter
// "outbox/<shard>"). At-least-once: a crash between a delivery and its cursor write delivers
// those records again; nothing committed is ever skipped.
// Thread: constructed, started and stopped by one owner thread; wake() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "http/notifier.h"
#include "ledger/catalog.h"
#include "ledger/shard_ledger.h"

namespace cashierd::http {

class OutboxDispatcher {
public:
    /// `shards[i]` is shard i's ledger; the ledgers and `global` must outlive the dispatcher
    /// (or its stop()). Only their thread-safe reads (outbox_after, counter) and put_counter
    /// are used.
    OutboxDispatcher(std::vector<ledger::ShardLedger*> shards, ledger::GlobalStore& global,
                     std::unique_ptr<Notifier> notifier);
    ~OutboxDispatcher();  // stop()s
    OutboxDispatcher(const OutboxDispatcher&) = delete;
    OutboxDispatcher& operator=(const OutboxDispatcher&) = delete;

    /// Starts the thread. Once only.
    void start();
    /// Any thread, cheap (one atomic exchange unless the thread must be woken): records were
    /// committed.
    void wake();
    /// Delivers everything committed so far (best effort, bounded: gives up after ~2 s of
    /// failures, leaving the rest for the next start), then joins. Idempotent.
    void stop();

    /// Records delivered since start.
    std::uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }

    /// Failed deliver() calls since start.
    std::uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

private:
    using Clock = std::chrono::steady_clock;

    // Dispatcher thread only (after start()).
    struct ShardState {
        bool loaded = false;           // `cursor` was read from the GlobalStore.
        bool abandoned = false;        // stop() gave up on it: the next start delivers the rest.
        std::uint64_t cursor = 0;      // The last id delivered.
        std::uint64_t saved = 0;       // The last id written to the GlobalStore.
        std::uint32_t backoff_ms = 0;  // 0 while healthy.
        std::uint32_t failed_attempts = 0;  // In the current streak of failures.
        Clock::time_point failing_since{};  // When the current streak began.
        Clock::time_point retry_at{};
    };

    enum class Step : std::uint8_t { idle, delivered, failed };

    void run();
    Step step(std::size_t shard);
    /// Schedules the shard's retry after a failure; during the final drain, past the failure
    /// budget, abandons it instead.
    void back_off(std::size_t shard, bool draining, Clock::time_point drain_start);
    void save_cursor(std::size_t shard);

    std::vector<ledger::ShardLedger*> shards_;
    ledger::GlobalStore& global_;
    std::unique_ptr<Notifier> notifier_;
    std::vector<ShardState> states_;
    bool backlog_ = false;  // Dispatcher thread: the last round delivered a full batch.
    std::thread thread_;

    std::mutex mutex_;
    std::condition_variable wakeup_;
    bool stopping_ = false;  // Guarded by mutex_.
    // Set by wake(), cleared by the thread before it scans: a wake that finds it already set
    // knows a scan is still to come and skips the lock.
    std::atomic<bool> woken_{false};
    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> failures_{0};
};

}  // namespace cashierd::http
