#include "http/metrics.h"

#include <charconv>

namespace cashierd::http {

namespace {

// Index of the first bucket whose upper bound holds `value`; bounds.size() is +Inf.
std::size_t bucket_index(std::span<const std::uint64_t> bounds, std::uint64_t value) {
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        if (value <= bounds[i]) return i;
    }
    return bounds.size();
}

}  // namespace

ShardMetrics::ShardMetrics(std::size_t routes)
    : routes_count_(routes), routes_(std::make_unique<RouteMetrics[]>(routes + 1)) {}

void ShardMetrics::record_request(std::size_t route, std::uint16_t status,
                                  std::uint64_t duration_us) {
    RouteMetrics& metrics = routes_[route <= routes_count_ ? route : routes_count_];
    std::size_t status_index = metric_statuses.size() - 1;
    for (std::size_t i = 0; i + 1 < metric_statuses.size(); ++i) {
        if (metric_statuses[i] == status) {
            status_index = i;
            break;
        }
    }
    metrics.by_status[status_index].add();
    metrics.latency_buckets[bucket_index(latency_bounds_us, duration_us)].add();
    metrics.latency_sum_us.add(duration_us);
    metrics.latency_count.add();
}

void ShardMetrics::record_commit(std::size_t jobs, std::uint64_t duration_us, bool ok) {
    commit_.batch_buckets[bucket_index(commit_batch_bounds, jobs)].add();
    commit_.batch_jobs.add(jobs);
    commit_.duration_buckets[bucket_index(commit_duration_bounds_us, duration_us)].add();
    commit_.duration_sum_us.add(duration_us);
    if (!ok) commit_.failures.add();
}

namespace {

void append_uint(std::string& out, std::uint64_t value) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
    (void)ec;
    out.append(digits, static_cast<std::size_t>(end - digits));
}

void append_seconds(std::string& out, std::uint64_t micros) {
    append_uint(out, micros / 1000000);
    out.push_back('.');
    std::uint64_t fraction = micros % 1000000;
    char digits[6];
    for (int i = 5; i >= 0; --i) {
        digits[i] = static_cast<char>('0' + fraction % 10);
        fraction /= 10;
    }
    out.append(digits, 6);
}

void append_header(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// Route labels are patterns we registered ourselves: no escaping needed beyond what the
// router allows ('/', '{', '}', letters, digits, '-', '_').
void append_route_label(std::string& out, const Router& router, std::size_t route) {
    out.append("route=\"");
    if (route < router.size()) {
        out.append(method_name(router.method(static_cast<RouteId>(route))));
        out.push_back(' ');
        out.append(router.pattern(static_cast<RouteId>(route)));
    } else {
        out.append("unmatched");
    }
    out.push_back('"');
}

void append_shard_gauge(std::string& out, std::string_view name, std::string_view type,
                        std::string_view help, const std::vector<ShardMetricsView>& shards,
                        std::uint64_t (*read)(const ShardMetricsView&)) {
    append_header(out, name, type, help);
    for (std::size_t shard = 0; shard < shards.size(); ++shard) {
        out.append(name).append("{shard=\"");
        append_uint(out, shard);
        out.append("\"} ");
        append_uint(out, read(shards[shard]));
        out.push_back('\n');
    }
}

struct ShardHistogram {
    std::span<const std::uint64_t> bounds;
    const Counter* buckets;  // bounds.size() + 1, not cumulative.
    std::uint64_t sum;
};

// One histogram per shard (label `shard`). `seconds`: bounds and sum are microseconds, rendered
// as seconds; otherwise plain integers.
void append_shard_histogram(std::string& out, std::string_view name, std::string_view help,
                            bool seconds, const std::vector<ShardMetricsView>& shards,
                            ShardHistogram (*read)(const ShardMetricsView&)) {
    append_header(out, name, "histogram", help);
    auto append_value = [&out, seconds](std::uint64_t value) {
        if (seconds) {
            append_seconds(out, value);
        } else {
            append_uint(out, value);
        }
    };
    for (std::size_t shard = 0; shard < shards.size(); ++shard) {
        ShardHistogram histogram = read(shards[shard]);
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b <= histogram.bounds.size(); ++b) {
            cumulative += histogram.buckets[b].get();
            out.append(name).append("_bucket{shard=\"");
            append_uint(out, shard);
            out.append("\",le=\"");
            if (b < histogram.bounds.size()) {
                append_value(histogram.bounds[b]);
            } else {
                out.append("+Inf");
            }
            out.append("\"} ");
            append_uint(out, cumulative);
            out.push_back('\n');
        }
        out.append(name).append("_sum{shard=\"");
        append_uint(out, shard);
        out.append("\"} ");
        append_value(histogram.sum);
        out.push_back('\n');
        out.append(name).append("_count{shard=\"");
        append_uint(out, shard);
        out.append("\"} ");
        append_uint(out, cumulative);
        out.push_back('\n');
    }
}

}  // namespace

void render_metrics(std::string& out, const Router& router,
                    const std::vector<ShardMetricsView>& shards) {
    std::size_t routes = router.size() + 1;

    append_header(out, "cashierd_http_requests_total", "counter",
                  "HTTP requests answered, by route and status.");
    for (std::size_t route = 0; route < routes; ++route) {
        for (std::size_t s = 0; s < metric_statuses.size(); ++s) {
            std::uint64_t total = 0;
            for (const ShardMetricsView& view : shards) {
                total += view.metrics->route(route).by_status[s].get();
            }
            if (total == 0) continue;
            out.append("cashierd_http_requests_total{");
            append_route_label(out, router, route);
            out.append(",status=\"");
            if (metric_statuses[s] != 0) {
                append_uint(out, metric_statuses[s]);
            } else {
                out.append("other");
            }
            out.append("\"} ");
            append_uint(out, total);
            out.push_back('\n');
        }
    }

    append_header(out, "cashierd_http_request_duration_seconds", "histogram",
                  "Time from a complete request to its response, by route.");
    for (std::size_t route = 0; route < routes; ++route) {
        std::uint64_t count = 0;
        for (const ShardMetricsView& view : shards) {
            count += view.metrics->route(route).latency_count.get();
        }
        if (count == 0) continue;
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b <= latency_bounds_us.size(); ++b) {
            for (const ShardMetricsView& view : shards) {
                cumulative += view.metrics->route(route).latency_buckets[b].get();
            }
            out.append("cashierd_http_request_duration_seconds_bucket{");
            append_route_label(out, router, route);
            out.append(",le=\"");
            if (b < latency_bounds_us.size()) {
                append_seconds(out, latency_bounds_us[b]);
            } else {
                out.append("+Inf");
            }
            out.append("\"} ");
            append_uint(out, cumulative);
            out.push_back('\n');
        }
        std::uint64_t sum_us = 0;
        for (const ShardMetricsView& view : shards) {
            sum_us += view.metrics->route(route).latency_sum_us.get();
        }
        out.append("cashierd_http_request_duration_seconds_sum{");
        append_route_label(out, router, route);
        out.append("} ");
        append_seconds(out, sum_us);
        out.append("\ncashierd_http_request_duration_seconds_count{");
        append_route_label(out, router, route);
        out.append("} ");
        append_uint(out, cumulative);
        out.push_back('\n');
    }

    append_shard_gauge(out, "cashierd_connections_open", "gauge", "Open client connections.",
                       shards,
                       [](const ShardMetricsView& v) { return v.metrics->connections_open.get(); });
    append_shard_gauge(out, "cashierd_connections_accepted_total", "counter",
                       "Client connections accepted.", shards, [](const ShardMetricsView& v) {
                           return v.metrics->connections_accepted.get();
                       });
    append_shard_gauge(
            out, "cashierd_connections_refused_total", "counter",
            "Connections refused because the shard was at its connection cap.", shards,
            [](const ShardMetricsView& v) { return v.metrics->connections_refused.get(); });
    append_shard_gauge(
            out, "cashierd_requests_timed_out_total", "counter",
            "Requests or connections closed by a read deadline.", shards,
            [](const ShardMetricsView& v) { return v.metrics->requests_timed_out.get(); });
    append_shard_gauge(
            out, "cashierd_http_parse_errors_total", "counter",
            "Requests refused by the HTTP parser (400, 413, 431).", shards,
            [](const ShardMetricsView& v) { return v.metrics->http_parse_errors.get(); });
    append_shard_gauge(
            out, "cashierd_mailbox_depth", "gauge",
            "Messages waiting in the shard's cross-shard mailbox.", shards,
            [](const ShardMetricsView& v) { return static_cast<std::uint64_t>(v.mailbox_depth); });
    append_shard_gauge(out, "cashierd_mailbox_refused_total", "counter",
                       "Cross-shard posts refused by a full mailbox (answered 503).", shards,
                       [](const ShardMetricsView& v) { return v.metrics->mailbox_refused.get(); });
    append_shard_gauge(out, "cashierd_replies_dropped_total", "counter",
                       "Cross-shard replies dropped because their connection had closed.", shards,
                       [](const ShardMetricsView& v) { return v.metrics->replies_dropped.get(); });

    append_shard_gauge(
            out, "cashierd_webhook_signature_failures_total", "counter",
            "Provider webhooks refused with 401 INVALID_SIGNATURE (bad signature or timestamp).",
            shards,
            [](const ShardMetricsView& v) { return v.metrics->webhook_signature_failures.get(); });

    append_shard_histogram(
            out, "cashierd_commit_batch_size",
            "Jobs per group commit (one LMDB write transaction, one fsync), failed ones included.",
            false, shards, [](const ShardMetricsView& v) {
                const CommitMetrics& commit = v.metrics->commit();
                return ShardHistogram{commit_batch_bounds, commit.batch_buckets.data(),
                                      commit.batch_jobs.get()};
            });
    append_shard_histogram(out, "cashierd_commit_duration_seconds",
                           "Time to commit one group of jobs, fsync included.", true, shards,
                           [](const ShardMetricsView& v) {
                               const CommitMetrics& commit = v.metrics->commit();
                               return ShardHistogram{commit_duration_bounds_us,
                                                     commit.duration_buckets.data(),
                                                     commit.duration_sum_us.get()};
                           });
    append_shard_gauge(
            out, "cashierd_commit_failures_total", "counter",
            "Group commits that failed (every job of the batch answered 503).", shards,
            [](const ShardMetricsView& v) { return v.metrics->commit().failures.get(); });
}

}  // namespace cashierd::http
