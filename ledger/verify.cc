// verify_data_dir: every check of ledger/README.md "Backup and verify". It reads LMDB directly
// (MDB_RDONLY environments, one read transaction per environment) rather than through
// ShardLedger and GlobalStore, whose open paths create files, take write transactions and assert
// on the records they load; here a bad record is a line in the report.
// Thread: any; one run owns its environments.
#include "ledger/verify.h"

#include <concepts>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

#include <lmdb.h>

#include "ledger/lmdb_env.h"
#include "ledger/records.h"
#include "ledger/wizard.h"
#include "reactor/base/limits.h"

namespace cashierd::ledger {
namespace {

// Message building.

void append(std::string& out, std::string_view text) {
    out.append(text);
}

template <std::integral T>
void append(std::string& out, T value) {
    out.append(std::to_string(value));
}

template <typename... Parts>
std::string cat(const Parts&... parts) {
    std::string out;
    (append(out, parts), ...);
    return out;
}

// Stored bytes that came from a client (external ids) shown safely on one line.
std::string printable(std::string_view bytes) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "'";
    for (char c : bytes) {
        auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f && byte != '\'' && byte != '\\') {
            out.push_back(c);
        } else {
            out.append("\\x");
            out.push_back(hex[byte >> 4]);
            out.push_back(hex[byte & 0xf]);
        }
    }
    return out + "'";
}

// Shapes: the layout of each record walked without decoding, so a record that would stop
// decode() (bad version, enum byte, length or size) is reported instead. The walks mirror
// records.cc; verify_test encodes every record kind with every field set and expects no
// problem, which keeps the two in step.

class ShapeReader {
public:
    explicit ShapeReader(std::string_view bytes) : bytes_(bytes) {}

    std::uint8_t u8() {
        if (!take(1)) return 0;
        return static_cast<std::uint8_t>(bytes_[offset_ - 1]);
    }

    std::uint32_t u32() {
        std::uint32_t value = 0;
        if (take(sizeof value)) std::memcpy(&value, bytes_.data() + offset_ - sizeof value, 4);
        return value;
    }

    void u64() { take(8); }

    void i64() { take(8); }

    void boolean() {
        if (u8() > 1) ok_ = false;
    }

    void string() { take(u32()); }

    bool ok() const { return ok_; }

    bool complete() const { return ok_ && offset_ == bytes_.size(); }

private:
    bool take(std::size_t size) {
        if (!ok_ || bytes_.size() - offset_ < size) {
            ok_ = false;
            return false;
        }
        offset_ += size;
        return true;
    }

    std::string_view bytes_;
    std::size_t offset_ = 0;
    bool ok_ = true;
};

// Empty when `bytes` holds a record version decode() accepts (1 to `known`); else why not.
std::string version_problem(ShapeReader& in, std::string_view bytes, std::uint8_t known,
                            std::uint8_t* version_out = nullptr) {
    if (bytes.empty()) return "empty record";
    std::uint8_t version = in.u8();
    if (version < 1 || version > known) {
        return cat("record version ", version, " (verify knows 1 to ", known, ")");
    }
    if (version_out != nullptr) *version_out = version;
    return {};
}

std::string malformed(std::string_view bytes) {
    return cat("malformed record (", bytes.size(), " bytes)");
}

std::string customer_shape(std::string_view bytes) {
    ShapeReader in(bytes);
    if (std::string v = version_problem(in, bytes, CustomerRecord::version); !v.empty()) return v;
    in.u64();
    for (int i = 0; i < 5; ++i)
        in.string();  // brand, country, name, email, phone
    in.boolean();
    in.boolean();
    std::uint8_t two_factor = in.u8();
    if (in.ok() && two_factor > static_cast<std::uint8_t>(TwoFactor::google)) {
        return cat("unknown two_factor ", two_factor);
    }
    in.string();
    std::uint32_t overrides = in.u32();
    // Each override takes at least 17 bytes, so a corrupt count ends the loop at the record's end.
    for (std::uint32_t i = 0; i < overrides && in.ok(); ++i) {
        in.string();
        in.string();
        in.boolean();
        in.string();
        in.string();
    }
    in.i64();
    in.i64();
    return in.complete() ? std::string() : malformed(bytes);
}

std::string account_shape(std::string_view bytes) {
    ShapeReader in(bytes);
    std::uint8_t version = 0;
    if (std::string v = version_problem(in, bytes, AccountRecord::version, &version); !v.empty()) {
        return v;
    }
    in.u64();
    in.u64();
    in.string();
    in.string();
    in.boolean();
    for (int i = 0; i < 3; ++i)
        in.i64();  // balance, bonus, held
    in.u64();
    in.i64();
    in.i64();
    if (version >= 2) in.i64();  // negative_since
    return in.complete() ? std::string() : malformed(bytes);
}

std::string transaction_shape(std::string_view bytes) {
    ShapeReader in(bytes);
    std::uint8_t version = 0;
    if (std::string v = version_problem(in, bytes, TransactionRecord::version, &version);
        !v.empty()) {
        return v;
    }
    in.u64();
    in.u64();
    in.u64();
    std::uint8_t type = in.u8();
    std::uint8_t status = in.u8();
    if (in.ok() && type > static_cast<std::uint8_t>(TxType::withdrawal)) {
        return cat("unknown type ", type);
    }
    if (in.ok() && status > tx_status_max) return cat("unknown status ", status);
    for (int i = 0; i < 3; ++i)
        in.string();  // provider, method, provider_payment_id
    in.i64();
    in.string();
    in.string();
    in.i64();
    for (int i = 0; i < 9; ++i)
        in.string();  // conversion_rate .. instructions_json
    in.i64();
    in.i64();
    if (version >= 2) in.u32();  // status_sequence
    return in.complete() ? std::string() : malformed(bytes);
}

std::string history_shape(std::string_view bytes) {
    ShapeReader in(bytes);
    if (std::string v = version_problem(in, bytes, HistoryRecord::version); !v.empty()) return v;
    in.u64();
    in.u64();
    in.u64();
    std::uint8_t type = in.u8();
    if (in.ok() && type > static_cast<std::uint8_t>(HistoryType::withdrawal_reversal)) {
        return cat("unknown type ", type);
    }
    for (int i = 0; i < 4; ++i)
        in.i64();
    in.u64();
    for (int i = 0; i < 5; ++i)
        in.string();  // actor, source, comment, external_id, external_note
    in.i64();
    return in.complete() ? std::string() : malformed(bytes);
}

std::string wizard_shape(std::string_view bytes) {
    ShapeReader in(bytes);
    if (std::string v = version_problem(in, bytes, WizardRecord::version); !v.empty()) return v;
    in.string();  // uuid
    in.u64();
    std::uint8_t state = in.u8();
    std::uint8_t method = in.u8();
    if (in.ok() && state > static_cast<std::uint8_t>(WizardState::dead)) {
        return cat("unknown state ", state);
    }
    if (in.ok() && method > static_cast<std::uint8_t>(TwoFactor::google)) {
        return cat("unknown two_factor ", method);
    }
    in.u32();
    in.u32();
    in.i64();
    in.string();  // code_hash
    in.u64();
    for (int i = 0; i < 2; ++i)
        in.string();  // provider, provider_method
    in.i64();
    for (int i = 0; i < 2; ++i)
        in.string();  // currency, metadata_json
    in.u64();
    in.i64();
    in.i64();
    return in.complete() ? std::string() : malformed(bytes);
}

std::string two_factor_shape(std::string_view bytes) {
    ShapeReader in(bytes);
    if (std::string v = version_problem(in, bytes, TwoFactorStateRecord::version); !v.empty()) {
        return v;
    }
    in.u64();
    in.i64();
    in.u32();
    return in.complete() ? std::string() : malformed(bytes);
}

// Which amount a history type moves and in which direction (SPEC §4, transaction lifecycle).
struct Movement {
    bool bonus;
    int sign;
};

Movement movement(HistoryType type) {
    switch (type) {
        case HistoryType::deposit:
        case HistoryType::deposit_credit:
        case HistoryType::withdrawal_reversal:
            return {false, 1};
        case HistoryType::withdraw:
        case HistoryType::refund:
        case HistoryType::chargeback:
        case HistoryType::withdrawal_debit:
            return {false, -1};
        case HistoryType::deposit_nonwithdrawable_bonus:
            return {true, 1};
        case HistoryType::withdraw_nonwithdrawable_bonus:
            return {true, -1};
    }
    return {false, 0};
}

// A withdrawal never credits, so these states cannot be reached by one (SPEC §4).
bool reachable(TxType type, TxStatus status) {
    if (type == TxType::deposit) return true;
    switch (status) {
        case TxStatus::credited:
        case TxStatus::credit_failed:
        case TxStatus::refunded:
        case TxStatus::chargeback:
            return false;
        default:
            return true;
    }
}

std::string key_u64(std::uint64_t value) {
    std::string key;
    append_key_u64(key, value);
    return key;
}

std::string key_u64_pair(std::uint64_t first, std::uint64_t second) {
    std::string key = key_u64(first);
    append_key_u64(key, second);
    return key;
}

MDB_val to_val(std::string_view bytes) {
    return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}

std::string_view from_val(const MDB_val& val) {
    return {static_cast<const char*>(val.mv_data), val.mv_size};
}

// LMDB handles. Members of Snapshot are destroyed in reverse: the transaction before its
// environment, as LMDB requires.

struct EnvCloser {
    void operator()(MDB_env* env) const { mdb_env_close(env); }
};

struct TxnAborter {
    void operator()(MDB_txn* txn) const { mdb_txn_abort(txn); }
};

struct CursorCloser {
    void operator()(MDB_cursor* cursor) const { mdb_cursor_close(cursor); }
};

struct Snapshot {
    std::unique_ptr<MDB_env, EnvCloser> env;
    std::unique_ptr<MDB_txn, TxnAborter> txn;
};

int begin_read(Snapshot& snapshot) {
    snapshot.txn.reset();
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(snapshot.env.get(), nullptr, MDB_RDONLY, &txn);
    if (rc == MDB_MAP_RESIZED) {
        // The server grew the map since this environment was opened: adopt its size.
        rc = mdb_env_set_mapsize(snapshot.env.get(), 0);
        if (rc == 0) rc = mdb_txn_begin(snapshot.env.get(), nullptr, MDB_RDONLY, &txn);
    }
    if (rc == 0) snapshot.txn.reset(txn);
    return rc;
}

bool has_environment(const std::string& directory) {
    std::error_code ec;
    return std::filesystem::is_regular_file(directory + "/data.mdb", ec);
}

// Opens an existing environment read-only and begins its snapshot; empty, or why not. MDB_RDONLY
// creates nothing but LMDB's lock file (needed to register as a reader beside a live writer).
std::string open_snapshot(const std::string& directory, Snapshot& out) {
    if (!has_environment(directory)) return "no LMDB environment (data.mdb) there";
    MDB_env* raw = nullptr;
    int rc = mdb_env_create(&raw);
    if (rc != 0) return mdb_strerror(rc);
    out.env.reset(raw);
    rc = mdb_env_set_maxdbs(raw, 16);
    if (rc == 0) rc = mdb_env_open(raw, directory.c_str(), MDB_RDONLY | MDB_NOTLS, 0640);
    if (rc == 0) rc = begin_read(out);
    if (rc != 0) {
        out.env.reset();
        return mdb_strerror(rc);
    }
    return {};
}

std::string open_global(const std::string& data_dir, Snapshot& global, std::uint32_t& shards) {
    std::error_code ec;
    if (!std::filesystem::is_directory(data_dir, ec)) return data_dir + ": no such directory";
    std::string path = data_dir + "/global";
    if (!has_environment(path)) return data_dir + ": not a cashierd data dir (no global/data.mdb)";
    if (std::string error = open_snapshot(path, global); !error.empty()) {
        return path + ": " + error;
    }
    MDB_dbi meta = 0;
    int rc = mdb_dbi_open(global.txn.get(), "meta", 0, &meta);
    MDB_val key = to_val("shards");
    MDB_val value{};
    if (rc == 0) rc = mdb_get(global.txn.get(), meta, &key, &value);
    if (rc == MDB_NOTFOUND) return path + ": not a cashierd data dir (no shard count in meta)";
    if (rc != 0) return path + ": " + mdb_strerror(rc);
    std::uint32_t stored = 0;
    if (value.mv_size == sizeof stored) std::memcpy(&stored, value.mv_data, sizeof stored);
    if (stored == 0 || stored > limits::shards_max) {
        return path + ": meta holds no valid shard count";
    }
    shards = stored;
    return {};
}

struct AccountState {
    AccountRecord record;
    bool readable = false;  // False: the stored record is malformed; only its presence counts.
    std::int64_t balance_sum = 0;
    std::int64_t bonus_sum = 0;
    bool sums_overflowed = false;
    HistoryId last_history = 0;
    std::int64_t held_sum = 0;
};

struct ShardView {
    std::uint32_t index = 0;
    std::string name;
    Snapshot snapshot;
    bool open = false;
    std::optional<MDB_dbi> customers;
    std::optional<MDB_dbi> accounts;
    std::optional<MDB_dbi> transactions;
    std::optional<MDB_dbi> customer_transactions;
    std::optional<MDB_dbi> history;
    std::optional<MDB_dbi> account_history;
    std::optional<MDB_dbi> external_ids;
    std::optional<MDB_dbi> status_index;
    std::optional<MDB_dbi> wizards;     // Absent in a data dir no wizard-aware server opened.
    std::optional<MDB_dbi> two_factor;  // Likewise.
    std::set<CustomerId> customer_ids;
    std::map<Login, AccountState> account_states;
};

enum class Lookup : std::uint8_t { found, absent, failed };

class Verifier {
public:
    Verifier(VerifyReport& report, std::uint32_t shards) : report_(report), shards_(shards) {}

    void problem(std::string line) {
        ++report_.problem_count;
        if (report_.problems.size() < verify_problem_lines_max) {
            report_.problems.push_back(std::move(line));
        }
    }

    void warning(std::string line) { report_.warnings.push_back(std::move(line)); }

    std::optional<MDB_dbi> open_dbi(const std::string& where, MDB_txn* txn, const char* name) {
        MDB_dbi dbi = 0;
        int rc = mdb_dbi_open(txn, name, 0, &dbi);
        if (rc == 0) return dbi;
        problem(cat(where, ": database '", std::string_view(name), "' ",
                    rc == MDB_NOTFOUND ? std::string_view("missing") : mdb_strerror(rc)));
        return std::nullopt;
    }

    /// As open_dbi, for a database a data dir written before it existed lacks: no problem then.
    std::optional<MDB_dbi> open_optional_dbi(const std::string& where, MDB_txn* txn,
                                             const char* name) {
        MDB_dbi dbi = 0;
        int rc = mdb_dbi_open(txn, name, 0, &dbi);
        if (rc == 0) return dbi;
        if (rc != MDB_NOTFOUND) {
            problem(cat(where, ": database '", std::string_view(name), "' ", mdb_strerror(rc)));
        }
        return std::nullopt;
    }

    // Calls visit(key, value) for every entry in key order; an LMDB error ends the walk with a
    // problem line (the rest of that database is unchecked).
    template <typename Visit>
    void for_each(const std::string& where, MDB_txn* txn, std::optional<MDB_dbi> dbi,
                  const char* name, Visit visit) {
        if (!dbi) return;
        MDB_cursor* raw = nullptr;
        int rc = mdb_cursor_open(txn, *dbi, &raw);
        std::unique_ptr<MDB_cursor, CursorCloser> cursor(raw);
        MDB_val key{};
        MDB_val value{};
        if (rc == 0) rc = mdb_cursor_get(raw, &key, &value, MDB_FIRST);
        while (rc == 0) {
            visit(from_val(key), from_val(value));
            rc = mdb_cursor_get(raw, &key, &value, MDB_NEXT);
        }
        if (rc != MDB_NOTFOUND) {
            problem(cat(where, ": ", std::string_view(name), ": read failed: ", mdb_strerror(rc)));
        }
    }

    Lookup get(const std::string& where, MDB_txn* txn, std::optional<MDB_dbi> dbi,
               std::string_view key, std::string_view& value) {
        if (!dbi) return Lookup::absent;
        MDB_val k = to_val(key);
        MDB_val v{};
        int rc = mdb_get(txn, *dbi, &k, &v);
        if (rc == MDB_NOTFOUND) return Lookup::absent;
        if (rc != 0) {
            problem(cat(where, ": read failed: ", mdb_strerror(rc)));
            return Lookup::failed;
        }
        value = from_val(v);
        return Lookup::found;
    }

    bool key_size_ok(const std::string& where, const char* dbi, std::string_view key,
                     std::size_t expected) {
        if (key.size() == expected) return true;
        problem(cat(where, ": ", std::string_view(dbi), ": key of ", key.size(),
                    " bytes (expected ", expected, ")"));
        return false;
    }

    bool id_of_shard(const ShardView& shard, std::uint64_t id) const {
        return id % shards_ == shard.index && id >= shards_;
    }

    void check_shard(ShardView& shard, std::map<Login, std::uint32_t>& login_shards) {
        check_customers(shard);
        check_accounts(shard, login_shards);
        check_history(shard);
        check_account_history(shard);
        check_transactions(shard);
        check_customer_transactions(shard);
        check_external_ids(shard);
        check_status_index(shard);
        check_account_totals(shard);
        check_wizards(shard);
        check_two_factor(shard);
    }

    // Wizards: of a customer of this shard; counters within their bounds; a done wizard names
    // an existing withdrawal of its customer; a wizard waiting for an emailed or texted code
    // holds its SHA-256.
    void check_wizards(ShardView& shard) {
        MDB_txn* txn = shard.snapshot.txn.get();
        for_each(
                shard.name, txn, shard.wizards, "wizards",
                [&](std::string_view key, std::string_view value) {
                    std::string where = cat(shard.name, ": wizard ", key);
                    if (!key_size_ok(shard.name, "wizards", key, wizard_uuid_length)) return;
                    if (std::string shape = wizard_shape(value); !shape.empty()) {
                        problem(cat(where, ": ", shape));
                        return;
                    }
                    WizardRecord w = WizardRecord::decode(value);
                    if (w.uuid != key) problem(cat(where, ": the record says ", w.uuid));
                    if (w.customer_id % shards_ != shard.index) {
                        problem(cat(where, ": customer ", w.customer_id, " belongs to shard-",
                                    w.customer_id % shards_));
                    } else if (shard.customer_ids.count(w.customer_id) == 0) {
                        problem(cat(where, ": customer ", w.customer_id, " not found"));
                    }
                    if (w.attempts > wizard_attempts_max || w.codes_issued > wizard_codes_max) {
                        problem(cat(where, ": ", w.attempts, " attempts and ", w.codes_issued,
                                    " codes, beyond the limits"));
                    }
                    if (w.state == WizardState::awaiting_code && w.method != TwoFactor::google &&
                        w.code_hash.size() != 32) {
                        problem(cat(where, ": waits for a code without its hash"));
                    }
                    if (w.state != WizardState::done) return;
                    std::string_view bytes;
                    Lookup found =
                            get(where, txn, shard.transactions, key_u64(w.transaction_id), bytes);
                    if (found == Lookup::absent) {
                        problem(cat(where, ": done with transaction ", w.transaction_id,
                                    ", which does not exist"));
                    } else if (found == Lookup::found && transaction_shape(bytes).empty()) {
                        TransactionRecord t = TransactionRecord::decode(bytes);
                        if (t.customer_id != w.customer_id || t.type != TxType::withdrawal) {
                            problem(cat(where, ": done with transaction ", w.transaction_id,
                                        ", which is not a withdrawal of customer ", w.customer_id));
                        }
                    }
                });
    }

    void check_two_factor(ShardView& shard) {
        MDB_txn* txn = shard.snapshot.txn.get();
        for_each(shard.name, txn, shard.two_factor, "two_factor",
                 [&](std::string_view key, std::string_view value) {
                     if (!key_size_ok(shard.name, "two_factor", key, 8)) return;
                     CustomerId id = read_key_u64(key);
                     std::string where = cat(shard.name, ": two_factor of customer ", id);
                     if (std::string shape = two_factor_shape(value); !shape.empty()) {
                         problem(cat(where, ": ", shape));
                     }
                     if (id % shards_ != shard.index) {
                         problem(cat(where, ": belongs to shard-", id % shards_));
                     }
                 });
    }

    void check_customers(ShardView& shard) {
        MDB_txn* txn = shard.snapshot.txn.get();
        for_each(shard.name, txn, shard.customers, "customers",
                 [&](std::string_view key, std::string_view value) {
                     ++report_.customers;
                     if (!key_size_ok(shard.name, "customers", key, 8)) return;
                     CustomerId id = read_key_u64(key);
                     std::string where = cat(shard.name, ": customer ", id);
                     shard.customer_ids.insert(id);
                     if (std::string shape = customer_shape(value); !shape.empty()) {
                         problem(cat(where, ": ", shape));
                         return;
                     }
                     CustomerRecord customer = CustomerRecord::decode(value);
                     if (customer.id != id) {
                         problem(cat(where, ": the record says customer ", customer.id));
                     }
                     if (id % shards_ != shard.index) {
                         problem(cat(where, ": belongs to shard-", id % shards_));
                     }
                 });
    }

    void check_accounts(ShardView& shard, std::map<Login, std::uint32_t>& login_shards) {
        MDB_txn* txn = shard.snapshot.txn.get();
        for_each(shard.name, txn, shard.accounts, "accounts",
                 [&](std::string_view key, std::string_view value) {
                     ++report_.accounts;
                     if (!key_size_ok(shard.name, "accounts", key, 8)) return;
                     Login login = read_key_u64(key);
                     std::string where = cat(shard.name, ": account ", login);
                     auto [other, inserted] = login_shards.emplace(login, shard.index);
                     if (!inserted) problem(cat(where, ": also stored on shard-", other->second));
                     AccountState& state = shard.account_states[login];
                     if (std::string shape = account_shape(value); !shape.empty()) {
                         problem(cat(where, ": ", shape));
                         return;
                     }
                     state.readable = true;
                     state.record = AccountRecord::decode(value);
                     const AccountRecord& account = state.record;
                     if (account.login != login) {
                         problem(cat(where, ": the record says login ", account.login));
                     }
                     if (account.customer_id % shards_ != shard.index) {
                         problem(cat(where, ": customer ", account.customer_id,
                                     " belongs to shard-", account.customer_id % shards_));
                     } else if (shard.customer_ids.count(account.customer_id) == 0) {
                         problem(cat(where, ": customer ", account.customer_id, " not found"));
                     }
                 });
    }

    void check_history(ShardView& shard) {
        MDB_txn* txn = shard.snapshot.txn.get();
        for_each(shard.name, txn, shard.history, "history",
                 [&](std::string_view key, std::string_view value) {
                     ++report_.history_records;
                     if (!key_size_ok(shard.name, "history", key, 8)) return;
                     HistoryId id = read_key_u64(key);
                     std::string where = cat(shard.name, ": history ", id);
                     if (!id_of_shard(shard, id))
                         problem(cat(where, ": id is not of ", shard.name));
                     if (std::string shape = history_shape(value); !shape.empty()) {
                         problem(cat(where, ": ", shape));
                         return;
                     }
                     HistoryRecord record = HistoryRecord::decode(value);
                     if (record.id != id) problem(cat(where, ": the record says id ", record.id));
                     check_movement(where, record);
                     std::string_view ignored;
                     if (get(where, txn, shard.account_history, key_u64_pair(record.login, id),
                             ignored) == Lookup::absent) {
                         problem(cat(where, ": missing from account_history (login ", record.login,
                                     ")"));
                     }
                     if (record.transaction_id != 0)
                         check_history_transaction(shard, where, record);
                     auto account = shard.account_states.find(record.login);
                     if (account == shard.account_states.end()) {
                         problem(cat(where, ": account ", record.login, " not found"));
                         return;
                     }
                     AccountState& state = account->second;
                     if (!state.readable) return;
                     if (record.customer_id != state.record.customer_id) {
                         problem(cat(where, ": customer ", record.customer_id, " but account ",
                                     record.login, " belongs to customer ",
                                     state.record.customer_id));
                     }
                     state.last_history = id;
                     if (state.sums_overflowed) return;
                     if (__builtin_add_overflow(state.balance_sum, record.balance_delta,
                                                &state.balance_sum) ||
                         __builtin_add_overflow(state.bonus_sum, record.bonus_delta,
                                                &state.bonus_sum)) {
                         state.sums_overflowed = true;
                         problem(cat(where, ": the sum of account ", record.login,
                                     "'s history overflows int64"));
                         return;
                     }
                     if (record.balance_after != state.balance_sum) {
                         problem(cat(where, ": balance_after ", record.balance_after,
                                     " != running balance ", state.balance_sum));
                     }
                     if (record.bonus_after != state.bonus_sum) {
                         problem(cat(where, ": bonus_after ", record.bonus_after,
                                     " != running bonus ", state.bonus_sum));
                     }
                 });
    }

    void check_movement(const std::string& where, const HistoryRecord& record) {
        Movement expected = movement(record.type);
        std::int64_t moved = expected.bonus ? record.bonus_delta : record.balance_delta;
        std::int64_t still = expected.bonus ? record.balance_delta : record.bonus_delta;
        bool sign_ok = expected.sign > 0 ? moved > 0 : moved < 0;
        if (!sign_ok || still != 0) {
            problem(cat(where, ": ", history_type_name(record.type), " with balance_delta ",
                        record.balance_delta, " and bonus_delta ", record.bonus_delta));
        }
    }

    void check_history_transaction(ShardView& shard, const std::string& where,
                                   const HistoryRecord& record) {
        std::string_view bytes;
        Lookup found = get(where, shard.snapshot.txn.get(), shard.transactions,
                           key_u64(record.transaction_id), bytes);
        if (found == Lookup::absent) {
            problem(cat(where, ": transaction ", record.transaction_id, " not found"));
        }
        // A malformed transaction is reported by the transactions pass.
        if (found != Lookup::found || !transaction_shape(bytes).empty()) return;
        TransactionRecord transaction = TransactionRecord::decode(bytes);
        if (transaction.login != record.login) {
            problem(cat(where, ": transaction ", record.transaction_id, " is of login ",
                        transaction.login, ", not ", record.login));
        }
    }

    void check_account_history(ShardView& shard) {
        MDB_txn* txn = shard.snapshot.txn.get();
        for_each(shard.name, txn, shard.account_history, "account_history",
                 [&](std::string_view key, std::string_view) {
                     if (!key_size_ok(shard.name, "account_history", key, 16)) return;
                     Login login = read_key_u64(key);
                     HistoryId id = read_key_u64(key, 8);
                     std::string where =
                             cat(shard.name, ": account_history (", login, ", ", id, ")");
                     std::string_view bytes;
                     Lookup found = get(where, txn, shard.history, key_u64(id), bytes);
                     if (found == Lookup::absent) problem(cat(where, ": history record missing"));
                     if (found != Lookup::found || !history_shape(bytes).empty()) return;
                     HistoryRecord record = HistoryRecord::decode(bytes);
                     if (record.login != login) {
                         problem(cat(where, ": history ", id, " is of login ", record.login));
                     }
                 });
    }

    void check_transactions(ShardView& shard) {
        MDB_txn* txn = shard.snapshot.txn.get();
        for_each(shard.name, txn, shard.transactions, "transactions",
                 [&](std::string_view key, std::string_view value) {
                     ++report_.transactions;
                     if (!key_size_ok(shard.name, "transactions", key, 8)) return;
                     TransactionId id = read_key_u64(key);
                     std::string where = cat(shard.name, ": transaction ", id);
                     if (!id_of_shard(shard, id))
                         problem(cat(where, ": id is not of ", shard.name));
                     if (std::string shape = transaction_shape(value); !shape.empty()) {
                         problem(cat(where, ": ", shape));
                         return;
                     }
                     TransactionRecord t = TransactionRecord::decode(value);
                     if (t.id != id) problem(cat(where, ": the record says id ", t.id));
                     if (t.customer_id % shards_ != shard.index) {
                         problem(cat(where, ": customer ", t.customer_id, " belongs to shard-",
                                     t.customer_id % shards_));
                     }
                     if (t.amount <= 0) problem(cat(where, ": amount ", t.amount, " is not > 0"));
                     if (!reachable(t.type, t.status)) {
                         problem(cat(where, ": a withdrawal in status ", tx_status_name(t.status),
                                     ", which withdrawals never reach"));
                     }
                     std::string_view ignored;
                     if (get(where, txn, shard.customer_transactions,
                             key_u64_pair(t.customer_id, id), ignored) == Lookup::absent) {
                         problem(cat(where, ": missing from customer_transactions (customer ",
                                     t.customer_id, ")"));
                     }
                     std::string status_key(1, static_cast<char>(t.status));
                     status_key += key_u64(id);
                     if (get(where, txn, shard.status_index, status_key, ignored) ==
                         Lookup::absent) {
                         problem(cat(where, ": missing from status_index under ",
                                     tx_status_name(t.status)));
                     }
                     auto account = shard.account_states.find(t.login);
                     if (account == shard.account_states.end()) {
                         problem(cat(where, ": account ", t.login, " not found"));
                         return;
                     }
                     AccountState& state = account->second;
                     if (!state.readable) return;
                     if (state.record.customer_id != t.customer_id) {
                         problem(cat(where, ": customer ", t.customer_id, " but account ", t.login,
                                     " belongs to customer ", state.record.customer_id));
                     }
                     // A hold is in the account's currency: the converted amount.
                     if (t.type == TxType::withdrawal && t.status == TxStatus::manual_review &&
                         __builtin_add_overflow(state.held_sum, t.converted_amount,
                                                &state.held_sum)) {
                         problem(cat(where, ": open withdrawals of account ", t.login,
                                     " overflow int64"));
                     }
                 });
    }

    void check_customer_transactions(ShardView& shard) {
        MDB_txn* txn = shard.snapshot.txn.get();
        for_each(shard.name, txn, shard.customer_transactions, "customer_transactions",
                 [&](std::string_view key, std::string_view) {
                     if (!key_size_ok(shard.name, "customer_transactions", key, 16)) return;
                     CustomerId customer = read_key_u64(key);
                     TransactionId id = read_key_u64(key, 8);
                     std::string where =
                             cat(shard.name, ": customer_transactions (", customer, ", ", id, ")");
                     std::string_view bytes;
                     Lookup found = get(where, txn, shard.transactions, key_u64(id), bytes);
                     if (found == Lookup::absent) problem(cat(where, ": transaction missing"));
                     if (found != Lookup::found || !transaction_shape(bytes).empty()) return;
                     TransactionRecord record = TransactionRecord::decode(bytes);
                     if (record.customer_id != customer) {
                         problem(cat(where, ": transaction ", id, " is of customer ",
                                     record.customer_id));
                     }
                 });
    }

    // (status, transaction id): the back office's queues. Each entry names a transaction in
    // that status (the transactions pass checks the other direction).
    void check_status_index(ShardView& shard) {
        MDB_txn* txn = shard.snapshot.txn.get();
        for_each(shard.name, txn, shard.status_index, "status_index",
                 [&](std::string_view key, std::string_view) {
                     if (!key_size_ok(shard.name, "status_index", key, 9)) return;
                     auto status = static_cast<std::uint8_t>(key[0]);
                     TransactionId id = read_key_u64(key, 1);
                     std::string where = cat(shard.name, ": status_index (", status, ", ", id, ")");
                     std::string_view bytes;
                     Lookup found = get(where, txn, shard.transactions, key_u64(id), bytes);
                     if (found == Lookup::absent) problem(cat(where, ": transaction missing"));
                     if (found != Lookup::found || !transaction_shape(bytes).empty()) return;
                     TransactionRecord record = TransactionRecord::decode(bytes);
                     if (static_cast<std::uint8_t>(record.status) != status) {
                         problem(cat(where, ": transaction ", id, " is ",
                                     tx_status_name(record.status)));
                     }
                 });
    }

    // (login, external id) -> history id: what makes a changebalance retry move money once.
    void check_external_ids(ShardView& shard) {
        MDB_txn* txn = shard.snapshot.txn.get();
        for_each(shard.name, txn, shard.external_ids, "external_ids",
                 [&](std::string_view key, std::string_view value) {
                     if (key.size() <= 8) {
                         problem(cat(shard.name, ": external_ids: key of ", key.size(),
                                     " bytes (expected login and external id)"));
                         return;
                     }
                     Login login = read_key_u64(key);
                     std::string_view external_id = key.substr(8);
                     std::string where = cat(shard.name, ": external_ids (", login, ", ",
                                             printable(external_id), ")");
                     if (value.size() != 8) {
                         problem(cat(where, ": value of ", value.size(), " bytes (expected 8)"));
                         return;
                     }
                     HistoryId id = read_key_u64(value);
                     std::string_view bytes;
                     Lookup found = get(where, txn, shard.history, value, bytes);
                     if (found == Lookup::absent) problem(cat(where, ": history ", id, " missing"));
                     if (found != Lookup::found || !history_shape(bytes).empty()) return;
                     HistoryRecord record = HistoryRecord::decode(bytes);
                     if (record.login != login || record.external_id != external_id) {
                         problem(cat(where, ": history ", id, " is of login ", record.login,
                                     " with external id ", printable(record.external_id)));
                     }
                 });
    }

    void check_account_totals(ShardView& shard) {
        for (const auto& [login, state] : shard.account_states) {
            if (!state.readable) continue;
            const AccountRecord& account = state.record;
            std::string where = cat(shard.name, ": account ", login);
            if (!state.sums_overflowed && account.balance != state.balance_sum) {
                problem(cat(where, ": balance ", account.balance, " != sum of its history ",
                            state.balance_sum));
            }
            if (!state.sums_overflowed && account.bonus != state.bonus_sum) {
                problem(cat(where, ": bonus ", account.bonus, " != sum of its history ",
                            state.bonus_sum));
            }
            if (account.last_history_id != state.last_history) {
                problem(cat(where, ": last_history_id ", account.last_history_id,
                            " != its last history record ", state.last_history));
            }
            if (account.held != state.held_sum) {
                problem(cat(where, ": held ", account.held,
                            " != sum of its withdrawals in manual_review ", state.held_sum));
            }
        }
    }

    // Global against the shards. Global's snapshot is taken after every shard's, and an account
    // is created after its directory entry (and its group), so each account must find both.
    void check_global(Snapshot& global, std::vector<ShardView>& shards,
                      const std::map<Login, std::uint32_t>& login_shards) {
        MDB_txn* txn = global.txn.get();
        std::optional<MDB_dbi> directory = open_dbi("global", txn, "directory");
        std::optional<MDB_dbi> groups = open_dbi("global", txn, "groups");
        for (ShardView& shard : shards) {
            for (const auto& [login, state] : shard.account_states) {
                if (!state.readable) continue;
                std::string where = cat(shard.name, ": account ", login);
                std::string_view owner;
                Lookup found = get(where, txn, directory, key_u64(login), owner);
                if (found == Lookup::absent) problem(cat(where, ": no directory entry in global"));
                if (found == Lookup::found && owner.size() == 8 &&
                    read_key_u64(owner) != state.record.customer_id) {
                    problem(cat(where, ": the directory says customer ", read_key_u64(owner),
                                ", the account says customer ", state.record.customer_id));
                }
                std::string_view ignored;
                if (get(where, txn, groups, state.record.group, ignored) == Lookup::absent) {
                    problem(cat(where, ": group ", printable(state.record.group),
                                " not found in global"));
                }
            }
        }
        for_each("global", txn, directory, "directory",
                 [&](std::string_view key, std::string_view value) {
                     if (!key_size_ok("global", "directory", key, 8)) return;
                     Login login = read_key_u64(key);
                     std::string where = cat("global: directory login ", login);
                     if (value.size() != 8) {
                         problem(cat(where, ": value of ", value.size(), " bytes (expected 8)"));
                         return;
                     }
                     CustomerId customer = read_key_u64(value);
                     std::uint32_t owner = static_cast<std::uint32_t>(customer % shards_);
                     auto stored = login_shards.find(login);
                     if (stored == login_shards.end()) {
                         // An account PUT writes the directory first; a crash (or a live
                         // snapshot) between the two writes leaves this, and retrying the PUT
                         // completes it.
                         warning(cat(where, " -> customer ", customer, ": no account on shard-",
                                     owner));
                     } else if (stored->second != owner) {
                         problem(cat(where, " -> customer ", customer, " of shard-", owner,
                                     ", but the account is on shard-", stored->second));
                     }
                 });
    }

    // Directories shard-<i> with i at or past the stored count are not served by anything.
    void check_shard_directories(const std::string& data_dir) {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(data_dir, ec)) {
            std::string name = entry.path().filename().string();
            if (name.rfind("shard-", 0) != 0 || name.size() == 6 || name.size() > 16) continue;
            std::uint64_t index = 0;
            bool digits = true;
            for (char c : std::string_view(name).substr(6)) {
                if (c < '0' || c > '9') digits = false;
                index = index * 10 + static_cast<std::uint64_t>(c - '0');
            }
            if (digits && index >= shards_) {
                problem(cat(name, ": beyond the stored shard count ", shards_));
            }
        }
    }

private:
    VerifyReport& report_;
    std::uint32_t shards_;
};

}  // namespace

Result<std::uint32_t> stored_shard_count(const std::string& data_dir, std::string* error) {
    Snapshot global;
    std::uint32_t shards = 0;
    std::string problem = open_global(data_dir, global, shards);
    if (problem.empty()) return shards;
    if (error != nullptr) *error = problem;
    return Status(StatusCode::invalid_data, "not_a_data_dir");
}

Result<VerifyReport> verify_data_dir(const std::string& data_dir, std::string* error) {
    Snapshot global;
    std::uint32_t shard_count = 0;
    if (std::string problem = open_global(data_dir, global, shard_count); !problem.empty()) {
        if (error != nullptr) *error = problem;
        return Status(StatusCode::invalid_data, "not_a_data_dir");
    }
    global.txn.reset();
    VerifyReport report;
    report.shards = shard_count;
    Verifier verifier(report, shard_count);

    // Every shard's snapshot before global's (see check_global).
    std::vector<ShardView> shards(shard_count);
    for (std::uint32_t i = 0; i < shard_count; ++i) {
        ShardView& shard = shards[i];
        shard.index = i;
        shard.name = cat("shard-", i);
        std::string opened = open_snapshot(data_dir + "/" + shard.name, shard.snapshot);
        if (!opened.empty()) {
            verifier.problem(cat(shard.name, ": cannot open: ", opened));
            continue;
        }
        shard.open = true;
        MDB_txn* txn = shard.snapshot.txn.get();
        shard.customers = verifier.open_dbi(shard.name, txn, "customers");
        shard.accounts = verifier.open_dbi(shard.name, txn, "accounts");
        shard.transactions = verifier.open_dbi(shard.name, txn, "transactions");
        shard.customer_transactions = verifier.open_dbi(shard.name, txn, "customer_transactions");
        shard.history = verifier.open_dbi(shard.name, txn, "history");
        shard.account_history = verifier.open_dbi(shard.name, txn, "account_history");
        shard.external_ids = verifier.open_dbi(shard.name, txn, "external_ids");
        shard.status_index = verifier.open_dbi(shard.name, txn, "status_index");
        shard.wizards = verifier.open_optional_dbi(shard.name, txn, "wizards");
        shard.two_factor = verifier.open_optional_dbi(shard.name, txn, "two_factor");
    }
    if (int rc = begin_read(global); rc != 0) {
        if (error != nullptr) *error = data_dir + "/global: " + mdb_strerror(rc);
        return lmdb_status(rc, "mdb_txn_begin");
    }

    std::map<Login, std::uint32_t> login_shards;
    for (ShardView& shard : shards) {
        if (shard.open) verifier.check_shard(shard, login_shards);
    }
    verifier.check_global(global, shards, login_shards);
    verifier.check_shard_directories(data_dir);
    return report;
}

std::string format_verify_report(const VerifyReport& report) {
    std::string out;
    for (const std::string& line : report.problems)
        out.append(line).push_back('\n');
    if (report.problem_count > report.problems.size()) {
        out.append(
                cat("... and ", report.problem_count - report.problems.size(), " more problems\n"));
    }
    for (const std::string& line : report.warnings)
        out.append("warning: ").append(line).push_back('\n');
    out.append(cat("verify: ", report.accounts, " accounts, ", report.transactions,
                   " transactions, ", report.history_records, " history records, ",
                   report.problem_count, " problems\n"));
    return out;
}

}  // namespace cashierd::ledger
