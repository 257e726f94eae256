// backup_data_dir: copies environment by environment through Env::copy_compacted, shards first
// and global last, then makes the copy durable (mdb_env_copy2 does not fsync what it writes).
// Thread: any; a run owns everything it opens.
#include "ledger/backup.h"

#include <filesystem>
#include <memory>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "ledger/lmdb_env.h"
#include "ledger/verify.h"

namespace cashierd::ledger {
namespace {

namespace fs = std::filesystem;

bool sync_path(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool synced = ::fsync(fd) == 0;
    ::close(fd);
    return synced;
}

Status copy_environment(const std::string& source, const std::string& target, std::uint64_t& bytes,
                        std::string& error) {
    // The source exists (checked by the caller), so Env::open creates nothing there.
    Result<std::unique_ptr<Env>> env = Env::open(source, EnvOptions());
    if (!env.ok()) {
        error = source + ": cannot open";
        return env.status();
    }
    std::error_code ec;
    if (!fs::create_directory(target, ec)) {
        error = target + ": cannot create";
        return Status(StatusCode::internal, "out_dir_not_writable");
    }
    Status copied;
    for (int attempt = 0; attempt < 2; ++attempt) {
        // The copy's read transaction fails (MDB_MAP_RESIZED) when a live server has grown the
        // map past this process's view: adopt the current size first; a second attempt covers
        // a growth racing the first.
        mdb_env_set_mapsize(env.value()->get(), 0);
        copied = env.value()->copy_compacted(target);
        if (copied.ok()) break;
        fs::remove(target + "/data.mdb", ec);  // mdb_env_copy2 creates it exclusively.
    }
    if (!copied.ok()) {
        error = source + ": copy to " + target + " failed";
        return copied;
    }
    std::string file = target + "/data.mdb";
    if (!sync_path(file) || !sync_path(target)) {
        error = target + ": fsync failed";
        return Status(StatusCode::internal, "sync_failed");
    }
    bytes += fs::file_size(file, ec);
    return Status();
}

}  // namespace

Result<BackupReport> backup_data_dir(const std::string& data_dir, const std::string& out_dir,
                                     std::string* error) {
    std::string text;
    auto fail = [&](Status status) {
        if (error != nullptr) *error = text;
        return status;
    };
    Result<std::uint32_t> shards = stored_shard_count(data_dir, &text);
    if (!shards.ok()) return fail(shards.status());
    std::vector<std::string> names;
    for (std::uint32_t i = 0; i < shards.value(); ++i) {
        names.push_back("shard-" + std::to_string(i));
        std::error_code ec;
        if (!fs::is_regular_file(data_dir + "/" + names.back() + "/data.mdb", ec)) {
            text = data_dir + "/" + names.back() + ": no LMDB environment (data.mdb) there";
            return fail(Status(StatusCode::invalid_data, "not_a_data_dir"));
        }
    }
    // Global last: its snapshot is then later than every shard's, so every account copied has
    // its directory entry and its group in the copy.
    names.push_back("global");

    std::error_code ec;
    bool created_out = false;
    fs::file_status out_status = fs::status(out_dir, ec);
    if (fs::exists(out_status)) {
        if (!fs::is_directory(out_status)) {
            text = out_dir + ": exists and is not a directory";
            return fail(Status(StatusCode::invalid_data, "out_dir_not_a_directory"));
        }
        if (!fs::is_empty(out_dir, ec) || ec) {
            text = out_dir + ": not empty (a backup goes into a new or empty directory)";
            return fail(Status(StatusCode::invalid_data, "out_dir_not_empty"));
        }
    } else {
        if (!fs::create_directories(out_dir, ec)) {
            text = out_dir + ": cannot create";
            return fail(Status(StatusCode::internal, "out_dir_not_writable"));
        }
        created_out = true;
    }

    BackupReport report;
    report.shards = shards.value();
    for (const std::string& name : names) {
        Status status =
                copy_environment(data_dir + "/" + name, out_dir + "/" + name, report.bytes, text);
        if (!status.ok()) {
            // A partial copy must not pass for a backup.
            for (const std::string& written : names)
                fs::remove_all(out_dir + "/" + written, ec);
            if (created_out) fs::remove(out_dir, ec);
            return fail(status);
        }
    }
    fs::path out_path = fs::absolute(out_dir, ec).lexically_normal();
    if (!out_path.has_filename()) out_path = out_path.parent_path();  // "out/" names "out".
    std::string parent = out_path.parent_path().string();
    if (!sync_path(out_dir) || (created_out && !sync_path(parent))) {
        text = out_dir + ": fsync failed";
        return fail(Status(StatusCode::internal, "sync_failed"));
    }
    return report;
}

}  // namespace cashierd::ledger
