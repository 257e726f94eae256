// Per-shard metrics and their Prometheus text exposition. Each shard writes only its own
// counters (single writer: relaxed load + store, no locked instructions); /metrics, on any
// shard, reads every shard's counters with relaxed loads.
// Thread: a ShardMetrics is written by its shard; render_metrics from any shard.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "http/router.h"

namespace cashierd::http {

class Counter {
public:
    void add(std::uint64_t delta = 1) {
        value_.store(value_.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
    }

    void sub(std::uint64_t delta = 1) {
        value_.store(value_.load(std::memory_order_relaxed) - delta, std::memory_order_relaxed);
    }

    std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

/// Status codes counted one by one; anything else lands in "other" by class.
inline constexpr std::array<std::uint16_t, 18> metric_statuses = {
        200, 201, 202, 204, 400, 401, 403, 404, 405, 408, 409, 413, 415, 429, 431, 500, 503, 0};

/// Upper bounds of the latency histogram buckets, in microseconds (+Inf is implicit).
inline constexpr std::array<std::uint64_t, 14> latency_bounds_us = {
        50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000};

/// Upper bounds of the commit batch-size histogram buckets, in jobs per commit (+Inf implicit).
inline constexpr std::array<std::uint64_t, 10> commit_batch_bounds = {1,  2,  4,   8,   16,
                                                                      32, 64, 128, 256, 512};

/// Upper bounds of the commit-duration histogram buckets, in microseconds: an fsync'd commit
/// takes ~0.1-10 ms, so the request latency bounds (50 us .. 1 s) fit it as well.
inline constexpr std::array<std::uint64_t, 14> commit_duration_bounds_us = latency_bounds_us;

struct RouteMetrics {
    std::array<Counter, metric_statuses.size()> by_status;              // Last: any other status.
    std::array<Counter, latency_bounds_us.size() + 1> latency_buckets;  // Not cumulative.
    Counter latency_sum_us;
    Counter latency_count;
};

/// The shard's group commits: one per loop iteration that applied at least one job.
struct CommitMetrics {
    std::array<Counter, commit_batch_bounds.size() + 1> batch_buckets;  // Not cumulative.
    Counter batch_jobs;                                                 // Sum of batch sizes.
    std::array<Counter, commit_duration_bounds_us.size() + 1> duration_buckets;  // Not cumulative.
    Counter duration_sum_us;
    Counter failures;  // Commits that failed: every job of the batch was answered 503.
};

class ShardMetrics {
public:
    /// `routes`: the router's route count; one more slot counts unmatched requests.
    explicit ShardMetrics(std::size_t routes);

    /// Route index for requests no route matched (404, 405, and refused before routing).
    std::size_t unmatched_route() const { return routes_count_; }

    void record_request(std::size_t route, std::uint16_t status, std::uint64_t duration_us);

    const RouteMetrics& route(std::size_t index) const { return routes_[index]; }

    /// One group commit of `jobs` jobs that took `duration_us` and succeeded or not.
    void record_commit(std::size_t jobs, std::uint64_t duration_us, bool ok);

    const CommitMetrics& commit() const { return commit_; }

    Counter connections_open;
    Counter connections_accepted;
    Counter connections_refused;         // Over the per-shard cap.
    Counter requests_timed_out;          // 408s and closed slow connections.
    Counter http_parse_errors;           // 400/413/431 from the request parser.
    Counter replies_dropped;             // Cross-shard replies whose connection had closed.
    Counter mailbox_refused;             // Posts refused by a full mailbox (answered 503).
    Counter webhook_signature_failures;  // Webhooks answered 401 INVALID_SIGNATURE.

private:
    std::size_t routes_count_;
    std::unique_ptr<RouteMetrics[]> routes_;
    CommitMetrics commit_;
};

/// One shard's view for rendering: its metrics and live gauges read at render time.
struct ShardMetricsView {
    const ShardMetrics* metrics;
    std::size_t mailbox_depth;
};

/// Appends the Prometheus text exposition (format 0.0.4) of every shard.
void render_metrics(std::string& out, const Router& router,
                    const std::vector<ShardMetricsView>& shards);

}  // namespace cashierd::http
