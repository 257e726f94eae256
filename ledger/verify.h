// `cashierd verify`: checks a data directory's ledger invariants (balances equal their history,
// indexes agree with their records both ways, ids and customers on their shard, holds equal the
// open withdrawals, the directory agrees with the accounts). Reads only: environments are opened
// MDB_RDONLY, so it may run beside a live server (LMDB readers from another process).
// Thread: any; a run owns everything it opens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "reactor/base/result.h"

namespace cashierd::ledger {

/// Problem lines kept in a report; the count beyond it is still exact.
inline constexpr std::size_t verify_problem_lines_max = 100000;

struct VerifyReport {
    std::uint32_t shards = 0;
    std::uint64_t customers = 0;
    std::uint64_t accounts = 0;
    std::uint64_t transactions = 0;
    std::uint64_t history_records = 0;
    /// Broken invariants, one readable line each ("shard-0: account 1001: ...").
    std::vector<std::string> problems;
    std::uint64_t problem_count = 0;  // problems.size() unless over verify_problem_lines_max.
    /// States a crash or a live copy may legitimately leave (a directory entry whose account
    /// was not written yet): reported, but the data dir is consistent.
    std::vector<std::string> warnings;

    bool clean() const { return problem_count == 0; }
};

/// Checks every environment of `data_dir` (ledger/README.md, "Backup and verify"). Corruption
/// found is a problem in the report, never a crash: records are shape-checked before decoding.
/// Errors (the report could not be made): INVALID_DATA "not_a_data_dir" when data_dir/global is
/// not a cashierd environment with a stored shard count; INTERNAL when LMDB cannot open or read
/// it. `error`, when given, receives a readable sentence about the failure. Nothing is written
/// (LMDB creates its lock file where there is none, to register this reader).
Result<VerifyReport> verify_data_dir(const std::string& data_dir, std::string* error = nullptr);

/// The report as printed by `cashierd verify`: the problems, the warnings ("warning: ..."),
/// then "verify: N accounts, N transactions, N history records, N problems, N warnings".
std::string format_verify_report(const VerifyReport& report);

/// The shard count stored in data_dir/global's meta, read through a read-only environment.
/// Errors as verify_data_dir's.
Result<std::uint32_t> stored_shard_count(const std::string& data_dir, std::string* error = nullptr);

}  // namespace cashierd::ledger
