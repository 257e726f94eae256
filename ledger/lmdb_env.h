// RAII over LMDB: an environment, a transaction, and the one place an LMDB return code becomes
// a Status (MDB_MAP_FULL and a failed commit -> RET_ERR_NOSERVICE "storage_full" /
// "storage_failed", MDB_NOTFOUND -> NOT_FOUND, anything else -> INTERNAL with a log line).
// Every transaction ends in commit or abort on every path.
// Thread: an Env may be shared; a Txn belongs to the thread that began it (LMDB's rule).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>

#include <lmdb.h>

#include "reactor/base/result.h"
#include "reactor/base/status.h"

namespace cashierd::ledger {

/// Maps an LMDB (or errno) code from `operation` to a Status; logs unexpected codes.
Status lmdb_status(int rc, const char* operation);

struct EnvOptions {
    std::size_t map_bytes = std::size_t{1} << 30;  // Grown on MDB_MAP_FULL up to map_bytes_max.
    std::size_t map_bytes_max = std::size_t{1} << 40;
    unsigned max_dbs = 16;
    bool durable = true;  // false: MDB_NOSYNC ("relaxed": benchmarks only).
};

class Env {
public:
    /// Opens (creating the directory if needed) the environment in `directory`.
    static Result<std::unique_ptr<Env>> open(const std::string& directory,
                                             const EnvOptions& options);
    ~Env();
    Env(const Env&) = delete;
    Env& operator=(const Env&) = delete;

    MDB_env* get() const { return env_; }

    /// Opens or creates a named database; call once per name at startup.
    Result<MDB_dbi> open_dbi(const char* name, unsigned flags = 0);

    /// Doubles the map (up to map_bytes_max) after MDB_MAP_FULL. The calling thread must hold
    /// no transaction on the environment; it waits until no other thread does (LMDB allows a
    /// resize only then), since other threads read it (the outbox dispatcher, the catalog).
    /// False when already at the maximum.
    bool grow_map();

    std::size_t map_bytes() const { return map_bytes_; }

    /// True when more than 90 % of the map is in use (by its last used page).
    bool map_nearly_full() const;

    /// Hot copy with compaction into `directory` (must exist and be empty).
    Status copy_compacted(const std::string& directory) const;

private:
    Env(MDB_env* env, const EnvOptions& options) : env_(env), options_(options) {}

    friend class Txn;

    MDB_env* env_;
    EnvOptions options_;
    std::size_t map_bytes_ = 0;
    // Held shared by every live Txn and exclusively by grow_map().
    std::shared_mutex resize_mutex_;
};

class Txn {
public:
    /// An inactive transaction (nothing to commit or abort).
    Txn() = default;

    /// Begins a transaction. Write transactions are one at a time per environment.
    static Result<Txn> begin(Env& env, bool read_only);

    Txn(Txn&& other) noexcept : txn_(other.txn_), resize_guard_(std::move(other.resize_guard_)) {
        other.txn_ = nullptr;
    }

    Txn& operator=(Txn&& other) noexcept;
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;

    ~Txn() { abort(); }

    MDB_txn* get() const { return txn_; }

    bool active() const { return txn_ != nullptr; }

    /// Commits (with fsync unless the environment is relaxed). The transaction is over either
    /// way.
    Status commit();

    void abort();

    /// The value under `key`, valid until the transaction ends or writes to that page;
    /// NOT_FOUND when absent.
    Result<std::string_view> get(MDB_dbi dbi, std::string_view key) const;

    Status put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags = 0);

    Status del(MDB_dbi dbi, std::string_view key);

private:
    Txn(MDB_txn* txn, std::shared_lock<std::shared_mutex> guard)
        : txn_(txn), resize_guard_(std::move(guard)) {}

    MDB_txn* txn_ = nullptr;
    std::shared_lock<std::shared_mutex> resize_guard_;
};

/// A cursor over one database, closed with its scope.
class Cursor {
public:
    Cursor(const Txn& txn, MDB_dbi dbi);
    ~Cursor();
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;

    /// Positions with `op` (MDB_FIRST, MDB_LAST, MDB_NEXT, MDB_PREV, MDB_SET_RANGE with
    /// `key`...). False at either end or when nothing matches.
    bool move(MDB_cursor_op op, std::string_view key = {});

    std::string_view key() const { return key_; }

    std::string_view value() const { return value_; }

private:
    MDB_cursor* cursor_ = nullptr;
    std::string_view key_;
    std::string_view value_;
};

/// Big-endian key pieces: keys sort like the numbers they hold.
void append_key_u64(std::string& key, std::uint64_t value);
std::uint64_t read_key_u64(std::string_view key, std::size_t offset = 0);

}  // namespace cashierd::ledger
