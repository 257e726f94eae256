// The raw group-commit ceiling of our ledger, without HTTP: one ShardLedger (durable: every
// commit_batch() is one fsync'd LMDB write transaction) in a temp dir on the repository's disk
// (/var/tmp, or $CASHIERD_BENCH_DIR). One iteration = begin_batch + K deposit-like writes
// (next_transaction_id + put_new_transaction of a 318-byte sandbox-deposit TransactionRecord
// with a random 36-character idempotency key, for one of 1,000 customers) + commit_batch.
// items_per_second is records/s; `commits` is commits/s; commit_p50_us / commit_p99_us time
// commit_batch() alone. Compare with shared/baselines FINDINGS §3.b (lmdb_commit.c, which also
// inserts the idempotency key into a B-tree; we keep it in memory instead).
//
//   build/release/bench/ledger_commit_bench       fresh store, K = 1, 16, 64, 128
//   CASHIERD_BENCH_PREFILL=1000000 build/release/bench/ledger_commit_bench
//       --benchmark_filter=prefilled              the same on a store of 1 M records
//   CASHIERD_BENCH_CUSTOMERS=1 ...                every record for one customer (pure appends)
//
// The prefilled variant writes the records once per process without fsync (not timed), reopens
// the store durable (the reopen rebuilds the in-memory idempotency index: its time is reported
// as index_rebuild_s, the heap it takes as index_heap_mib) and then measures like the fresh one.
// Thread: the benchmark's (a ShardLedger belongs to one thread).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "ledger/records.h"
#include "ledger/shard_ledger.h"

namespace cashierd::ledger {
namespace {

// Customers the records are spread over ($CASHIERD_BENCH_CUSTOMERS, default 1000): each record
// also adds a (customer, id) index key, which appends only within its customer.
std::uint64_t customer_count() {
    static const std::uint64_t count = [] {
        const char* text = std::getenv("CASHIERD_BENCH_CUSTOMERS");
        std::uint64_t parsed = text != nullptr ? std::strtoull(text, nullptr, 10) : 0;
        return parsed > 0 ? parsed : std::uint64_t{1000};
    }();
    return count;
}

std::string bench_root() {
    const char* dir = std::getenv("CASHIERD_BENCH_DIR");
    return dir != nullptr && *dir != '\0' ? dir : "/var/tmp";
}

// A fresh directory, removed when the object goes.
class TempDir {
public:
    TempDir() {
        std::string pattern = bench_root() + "/cashierd-commit-bench.XXXXXX";
        if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
    }

    ~TempDir() {
        std::error_code ec;
        if (!path_.empty()) std::filesystem::remove_all(path_, ec);
    }

    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// The record a sandbox card deposit stores; the caller sets id, customer, login and key.
class DepositMaker {
public:
    DepositMaker() {
        record_.type = TxType::deposit;
        record_.status = TxStatus::pending_payment;
        record_.provider = "sandbox";
        record_.method = "card";
        record_.amount = 150000;
        record_.currency = "USD";
        record_.account_currency = "USD";
        record_.converted_amount = 150000;
        record_.conversion_rate = "1.0";
        record_.metadata_json = R"({"campaign":"spring-2026","platform":"mt5"})";
        record_.success_url = "https://broker.example.com/cashier/return";
        record_.instructions_json = "{}";
        record_.created_time = record_.updated_time = 1779270000;
    }

    const TransactionRecord& next(TransactionId id) {
        std::uint64_t customer = 1 + random() % customer_count();
        record_.id = id;
        record_.customer_id = customer;
        record_.login = 2000000 + customer;
        record_.provider_payment_id = "sbx_" + hex(random(), 16);
        record_.redirect_url = "https://cashier.example.com/sandbox/pay/" + std::to_string(id);
        // UUIDv4-shaped, as clients send them.
        std::uint64_t a = random();
        std::uint64_t b = random();
        record_.idempotency_key = hex(a, 8) + "-" + hex(a >> 32, 4) + "-4" + hex(a >> 48, 3) + "-" +
                                  hex(b, 4) + "-" + hex(b >> 16, 12);
        return record_;
    }

private:
    std::uint64_t random() {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        return state_;
    }

    static std::string hex(std::uint64_t value, int digits) {
        static constexpr char table[] = "0123456789abcdef";
        std::string out(static_cast<std::size_t>(digits), '0');
        for (int i = digits - 1; i >= 0; --i) {
            out[static_cast<std::size_t>(i)] = table[value & 0xf];
            value >>= 4;
        }
        return out;
    }

    TransactionRecord record_;
    std::uint64_t state_ = 0x9E3779B97F4A7C15ull;
};

std::size_t encoded_size(const TransactionRecord& record) {
    std::string bytes;
    record.encode(bytes);
    return bytes.size();
}

// Anonymous resident memory of this process (heap; not LMDB's file-backed map), in MiB.
double anon_rss_mib() {
    FILE* status = std::fopen("/proc/self/status", "r");
    if (status == nullptr) return 0;
    char line[256];
    double kib = 0;
    while (std::fgets(line, sizeof line, status) != nullptr) {
        if (std::sscanf(line, "RssAnon: %lf kB", &kib) == 1) break;
    }
    std::fclose(status);
    return kib / 1024;
}

std::unique_ptr<ShardLedger> open_ledger(const std::string& dir, bool durable) {
    LedgerOptions options;
    options.durable = durable;
    Result<std::unique_ptr<ShardLedger>> opened = ShardLedger::open(dir, 0, 1, options);
    if (!opened.ok()) return nullptr;
    return std::move(opened.value());
}

// Writes `count` records in batches of `batch`; false on the first failure.
bool write_batches(ShardLedger& ledger, DepositMaker& maker, std::uint64_t count,
                   std::uint64_t batch) {
    for (std::uint64_t done = 0; done < count;) {
        if (!ledger.begin_batch().ok()) return false;
        for (std::uint64_t j = 0; j < batch && done < count; ++j, ++done) {
            if (!ledger.put_new_transaction(maker.next(ledger.next_transaction_id())).ok()) {
                return false;
            }
        }
        if (!ledger.commit_batch().ok()) return false;
    }
    return true;
}

void run_batches(benchmark::State& state, ShardLedger& ledger, DepositMaker& maker) {
    const auto batch = static_cast<std::uint64_t>(state.range(0));
    std::vector<double> commit_us;
    for (auto _ : state) {
        if (!ledger.begin_batch().ok()) {
            state.SkipWithError("begin_batch failed");
            break;
        }
        bool ok = true;
        for (std::uint64_t j = 0; j < batch && ok; ++j) {
            ok = ledger.put_new_transaction(maker.next(ledger.next_transaction_id())).ok();
        }
        auto started = std::chrono::steady_clock::now();
        ok = ok && ledger.commit_batch().ok();
        commit_us.push_back(std::chrono::duration<double, std::micro>(
                                    std::chrono::steady_clock::now() - started)
                                    .count());
        if (!ok) {
            state.SkipWithError("write or commit failed");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.counters["commits"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                   benchmark::Counter::kIsRate);
    if (!commit_us.empty()) {
        std::sort(commit_us.begin(), commit_us.end());
        state.counters["commit_p50_us"] = commit_us[commit_us.size() / 2];
        state.counters["commit_p99_us"] = commit_us[commit_us.size() * 99 / 100];
    }
    state.counters["record_bytes"] = static_cast<double>(encoded_size(maker.next(1)));
}

void group_commit_fresh(benchmark::State& state) {
    TempDir dir;
    std::unique_ptr<ShardLedger> ledger =
            dir.path().empty() ? nullptr : open_ledger(dir.path(), true);
    if (!ledger) {
        state.SkipWithError("cannot open a ledger under $CASHIERD_BENCH_DIR or /var/tmp");
        return;
    }
    DepositMaker maker;
    run_batches(state, *ledger, maker);
}

BENCHMARK(group_commit_fresh)->Arg(1)->Arg(16)->Arg(64)->Arg(128)->UseRealTime();

// One prefilled store per process, shared by every run of the prefilled benchmark (the store
// keeps growing by what the runs add: a few % of the prefill).
struct Prefilled {
    TempDir dir;
    DepositMaker maker;
    std::unique_ptr<ShardLedger> ledger;
    double rebuild_seconds = 0;
    double index_mib = 0;  // Heap the reopened ledger holds: mostly the idempotency index.
};

Prefilled* prefilled(std::uint64_t records) {
    static std::unique_ptr<Prefilled> store = [records]() -> std::unique_ptr<Prefilled> {
        auto made = std::make_unique<Prefilled>();
        if (made->dir.path().empty()) return nullptr;
        // Before the prefill: the prefilling ledger's index is freed, then reused by the reopen.
        double anon_before = anon_rss_mib();
        {
            std::unique_ptr<ShardLedger> fast = open_ledger(made->dir.path(), false);
            if (!fast || !write_batches(*fast, made->maker, records, 10000)) return nullptr;
            if (mdb_env_sync(fast->env().get(), 1) != 0) return nullptr;
        }
        auto started = std::chrono::steady_clock::now();
        made->ledger = open_ledger(made->dir.path(), true);
        made->rebuild_seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        made->index_mib = anon_rss_mib() - anon_before;
        if (!made->ledger) return nullptr;
        return made;
    }();
    return store.get();
}

std::uint64_t prefill_records() {
    const char* text = std::getenv("CASHIERD_BENCH_PREFILL");
    return text != nullptr ? std::strtoull(text, nullptr, 10) : 0;
}

void group_commit_prefilled(benchmark::State& state) {
    Prefilled* store = prefilled(prefill_records());
    if (store == nullptr) {
        state.SkipWithError("cannot prefill a ledger under $CASHIERD_BENCH_DIR or /var/tmp");
        return;
    }
    run_batches(state, *store->ledger, store->maker);
    state.counters["index_rebuild_s"] = store->rebuild_seconds;
    state.counters["index_heap_mib"] = store->index_mib;
}

// Registered only when asked for: prefilling a million records takes a while.
[[maybe_unused]] const bool prefilled_registered = [] {
    if (prefill_records() == 0) return false;
    std::string name = "group_commit_prefilled_" + std::to_string(prefill_records());
    benchmark::RegisterBenchmark(name.c_str(), group_commit_prefilled)
            ->Arg(1)
            ->Arg(16)
            ->Arg(64)
            ->Arg(128)
            ->UseRealTime();
    return true;
}();

}  // namespace
}  // namespace cashierd::ledger
