// `cashierd backup`: a hot, compacted copy of a data directory while a server may be writing it.
// Each environment is copied from one LMDB read snapshot (mdb_env_copy2, MDB_CP_COMPACT); the
// shards are copied before global, which is what makes the copy pass `cashierd verify`
// (ledger/README.md, "Backup and verify").
// Thread: any; a run owns everything it opens.
#pragma once

#include <cstdint>
#include <string>

#include "reactor/base/result.h"

namespace cashierd::ledger {

struct BackupReport {
    std::uint32_t shards = 0;
    std::uint64_t bytes = 0;  // Size of the copied data files.
};

/// Copies data_dir/shard-0 .. shard-(N-1), then data_dir/global, into the same names under
/// `out_dir`, and fsyncs the files and directories. `out_dir` must not exist (it is created) or
/// be an empty directory. On failure whatever this call wrote to `out_dir` is removed.
/// Errors: INVALID_DATA "not_a_data_dir" (no global environment with a shard count, or a
/// shard environment missing), "out_dir_not_empty", "out_dir_not_a_directory"; INTERNAL
/// "out_dir_not_writable", "sync_failed", or the LMDB error of a failed copy. `error`, when
/// given, receives a readable sentence.
Result<BackupReport> backup_data_dir(const std::string& data_dir, const std::string& out_dir,
                                     std::string* error = nullptr);

}  // namespace cashierd::ledger
