#include "ledger/lmdb_env.h"

#include <cerrno>
#include <filesystem>

#include <sys/stat.h>

#include "reactor/base/assert.h"
#include "reactor/base/log.h"

namespace cashierd::ledger {
namespace {

MDB_val to_val(std::string_view bytes) {
    return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}

std::string_view from_val(const MDB_val& val) {
    return {static_cast<const char*>(val.mv_data), val.mv_size};
}

}  // namespace

Status lmdb_status(int rc, const char* operation) {
    switch (rc) {
        case MDB_SUCCESS:
            return Status();
        case MDB_NOTFOUND:
            return Status(StatusCode::not_found);
        case MDB_MAP_FULL:
        case ENOSPC:
            log::warn("storage full", {{"operation", operation}, {"error", mdb_strerror(rc)}});
            return Status(StatusCode::ret_err_noservice, "storage_full");
        case EIO:
        case MDB_BAD_TXN:
            log::error("storage failed", {{"operation", operation}, {"error", mdb_strerror(rc)}});
            return Status(StatusCode::ret_err_noservice, "storage_failed");
        default:
            log::error("storage error", {{"operation", operation}, {"error", mdb_strerror(rc)}});
            return Status(StatusCode::internal, "storage_error");
    }
}

Result<std::unique_ptr<Env>> Env::open(const std::string& directory, const EnvOptions& options) {
    std::error_code ec;
    std::filesystem::create_directories(directory, ec);
    if (ec) return Status(StatusCode::internal, "data_dir_not_writable");
    MDB_env* raw = nullptr;
    int rc = mdb_env_create(&raw);
    if (rc != 0) return lmdb_status(rc, "mdb_env_create");
    std::unique_ptr<Env> env(new Env(raw, options));
    rc = mdb_env_set_maxdbs(raw, options.max_dbs);
    if (rc == 0) rc = mdb_env_set_mapsize(raw, options.map_bytes);
    // NOTLS: read transactions are tied to the Txn object, not the thread, so a shard may keep
    // a reader on another environment (global) without LMDB's thread-local reader slot rules.
    unsigned flags = MDB_NOTLS | (options.durable ? 0u : MDB_NOSYNC);
    if (rc == 0) rc = mdb_env_open(raw, directory.c_str(), flags, 0640);
    if (rc != 0) return lmdb_status(rc, "mdb_env_open");
    MDB_envinfo info{};
    mdb_env_info(raw, &info);
    env->map_bytes_ = info.me_mapsize;
    return env;
}

Env::~Env() {
    if (env_ != nullptr) mdb_env_close(env_);
}

Result<MDB_dbi> Env::open_dbi(const char* name, unsigned flags) {
    Result<Txn> txn = Txn::begin(*this, false);
    if (!txn.ok()) return txn.status();
    MDB_dbi dbi = 0;
    int rc = mdb_dbi_open(txn->get(), name, flags | MDB_CREATE, &dbi);
    if (rc != 0) return lmdb_status(rc, "mdb_dbi_open");
    Status status = txn->commit();
    if (!status.ok()) return status;
    return dbi;
}

bool Env::grow_map() {
    std::unique_lock<std::shared_mutex> resizing(resize_mutex_);
    if (map_bytes_ >= options_.map_bytes_max) return false;
    std::size_t next = std::min(map_bytes_ * 2, options_.map_bytes_max);
    if (mdb_env_set_mapsize(env_, next) != 0) return false;
    map_bytes_ = next;
    log::info("storage map grown", {{"map_bytes", static_cast<std::int64_t>(next)}});
    return true;
}

bool Env::map_nearly_full() const {
    MDB_envinfo info{};
    MDB_stat stat{};
    mdb_env_info(env_, &info);
    mdb_env_stat(env_, &stat);
    std::uint64_t used = (static_cast<std::uint64_t>(info.me_last_pgno) + 1) * stat.ms_psize;
    return used * 10 > static_cast<std::uint64_t>(info.me_mapsize) * 9;
}

Status Env::copy_compacted(const std::string& directory) const {
    return lmdb_status(mdb_env_copy2(env_, directory.c_str(), MDB_CP_COMPACT), "mdb_env_copy2");
}

Result<Txn> Txn::begin(Env& env, bool read_only) {
    std::shared_lock<std::shared_mutex> guard(env.resize_mutex_);
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env.get(), nullptr, read_only ? MDB_RDONLY : 0, &txn);
    if (rc == MDB_MAP_RESIZED) {
        // Another process grew the map (a backup or verify run does not, but be exact).
        mdb_env_set_mapsize(env.get(), 0);
        rc = mdb_txn_begin(env.get(), nullptr, read_only ? MDB_RDONLY : 0, &txn);
    }
    if (rc != 0) return lmdb_status(rc, "mdb_txn_begin");
    return Txn(txn, std::move(guard));
}

Txn& Txn::operator=(Txn&& other) noexcept {
    if (this != &other) {
        abort();
        txn_ = other.txn_;
        other.txn_ = nullptr;
        resize_guard_ = std::move(other.resize_guard_);
    }
    return *this;
}

Status Txn::commit() {
    CASHIERD_ASSERT(txn_ != nullptr);
    int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;  // mdb_txn_commit frees the transaction even when it fails.
    if (resize_guard_.owns_lock()) resize_guard_.unlock();
    if (rc == EIO || rc == ENOSPC) {
        log::error("commit failed", {{"error", mdb_strerror(rc)}});
        return Status(StatusCode::ret_err_noservice,
                      rc == ENOSPC ? "storage_full" : "storage_failed");
    }
    return lmdb_status(rc, "mdb_txn_commit");
}

void Txn::abort() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    txn_ = nullptr;
    if (resize_guard_.owns_lock()) resize_guard_.unlock();
}

Result<std::string_view> Txn::get(MDB_dbi dbi, std::string_view key) const {
    MDB_val k = to_val(key);
    MDB_val v{};
    int rc = mdb_get(txn_, dbi, &k, &v);
    if (rc != 0) return lmdb_status(rc, "mdb_get");
    return from_val(v);
}

Status Txn::put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags) {
    MDB_val k = to_val(key);
    MDB_val v = to_val(value);
    return lmdb_status(mdb_put(txn_, dbi, &k, &v, flags), "mdb_put");
}

Status Txn::del(MDB_dbi dbi, std::string_view key) {
    MDB_val k = to_val(key);
    return lmdb_status(mdb_del(txn_, dbi, &k, nullptr), "mdb_del");
}

Cursor::Cursor(const Txn& txn, MDB_dbi dbi) {
    CASHIERD_ASSERT(mdb_cursor_open(txn.get(), dbi, &cursor_) == 0);
}

Cursor::~Cursor() {
    if (cursor_ != nullptr) mdb_cursor_close(cursor_);
}

bool Cursor::move(MDB_cursor_op op, std::string_view key) {
    MDB_val k = to_val(key);
    MDB_val v{};
    int rc = mdb_cursor_get(cursor_, &k, &v, op);
    if (rc != 0) {
        CASHIERD_ASSERT(rc == MDB_NOTFOUND);
        return false;
    }
    key_ = from_val(k);
    value_ = from_val(v);
    return true;
}

void append_key_u64(std::string& key, std::uint64_t value) {
    for (int shift = 56; shift >= 0; shift -= 8) {
        key.push_back(static_cast<char>((value >> shift) & 0xff));
    }
}

std::uint64_t read_key_u64(std::string_view key, std::size_t offset) {
    CASHIERD_ASSERT(key.size() >= offset + 8);
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        value = (value << 8) | static_cast<unsigned char>(key[offset + i]);
    }
    return value;
}

}  // namespace cashierd::ledger
