// The catalog: brands, groups and providers (with their payment methods), and the
// login -> customer directory. Stored in the `global` environment, written rarely by the back
// office, read by every shard. Each shard holds an immutable in-memory Catalog snapshot and
// reloads it when GlobalStore::generation() moves, so the request path takes no lock.
// Thread: GlobalStore is safe from any thread (LMDB serializes its writers); a Catalog is
// immutable.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/lmdb_env.h"
#include "ledger/records.h"
#include "reactor/base/result.h"

namespace cashierd::ledger {

struct BrandRecord {
    static constexpr std::uint8_t version = 1;
    std::string id;
    std::string name;
    bool enabled = true;

    void encode(std::string& out) const;
    static BrandRecord decode(std::string_view bytes);
    friend bool operator==(const BrandRecord&, const BrandRecord&) = default;
};

struct GroupRecord {
    static constexpr std::uint8_t version = 1;
    std::string id;
    std::string brand;
    std::string currency;
    bool enabled = true;

    void encode(std::string& out) const;
    static GroupRecord decode(std::string_view bytes);
    friend bool operator==(const GroupRecord&, const GroupRecord&) = default;
};

enum class MethodType : std::uint8_t { deposit = 0, withdrawal = 1 };

struct MethodRecord {
    std::string method;  // "card", "bank_transfer", ...
    std::uint64_t method_id = 0;
    MethodType type = MethodType::deposit;
    std::vector<std::string> brands;      // Empty: every brand.
    std::vector<std::string> currencies;  // Empty: every currency.
    std::vector<std::string> countries;   // Empty: every country.
    std::string min_amount;               // Decimal text; empty: no minimum.
    std::string max_amount;               // Decimal text; empty: no maximum.
    friend bool operator==(const MethodRecord&, const MethodRecord&) = default;
};

struct ProviderRecord {
    static constexpr std::uint8_t version = 1;
    std::string code;
    std::string module;  // The provider module that serves it ("sandbox", "bank_transfer").
    bool enabled = true;
    std::string webhook_secret;  // A secret: never logged or returned.
    std::string settings_json;   // Module settings, validated JSON text.
    std::vector<MethodRecord> methods;

    void encode(std::string& out) const;
    static ProviderRecord decode(std::string_view bytes);
    friend bool operator==(const ProviderRecord&, const ProviderRecord&) = default;
};

struct Catalog {
    std::uint64_t generation = 0;
    std::map<std::string, BrandRecord, std::less<>> brands;
    std::map<std::string, GroupRecord, std::less<>> groups;
    std::map<std::string, ProviderRecord, std::less<>> providers;
};

class GlobalStore {
public:
    /// Opens (creating) `data_dir/global`. `requested_shards` 0 adopts the stored shard count
    /// (or `default_shards` on creation); any other value must equal the stored count, else
    /// INVALID_DATA "shard_count_mismatch" and `error` says both numbers.
    static Result<std::unique_ptr<GlobalStore>> open(const std::string& data_dir,
                                                     std::uint32_t requested_shards,
                                                     std::uint32_t default_shards, bool durable,
                                                     std::string& error);
    ~GlobalStore();

    std::uint32_t shard_count() const { return shard_count_; }

    /// True when this open created the data directory's global environment (first start).
    bool created() const { return created_; }

    /// True once the config's initial data was applied to this data dir (mark_initialized).
    /// Until then every start applies it again; every step of that is idempotent, so a start
    /// that died half-way is completed by the next.
    bool initialized() const;
    Status mark_initialized();

    /// A counter kept beside the catalog (the notifier's delivery cursors). Not a catalog
    /// change: generation() does not move. A missing key reads as 0.
    Result<std::uint64_t> counter(std::string_view key) const;
    Status put_counter(std::string_view key, std::uint64_t value);

    /// Moves on every committed catalog write.
    std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

    Status put_brand(const BrandRecord& brand);
    Status put_group(const GroupRecord& group);
    Status put_provider(const ProviderRecord& provider);
    /// Records who owns an account. Refused (INVALID_DATA "login_owned_by_another_customer")
    /// when the login already belongs to a different customer.
    Status put_directory(Login login, CustomerId customer);

    Result<CustomerId> owner(Login login) const;
    Result<BrandRecord> brand(std::string_view id) const;
    Result<GroupRecord> group(std::string_view id) const;
    Result<ProviderRecord> provider(std::string_view code) const;

    /// A fresh snapshot of brands, groups and providers.
    Result<std::shared_ptr<const Catalog>> load_catalog() const;

    Env& env() { return *env_; }

private:
    GlobalStore() = default;
    Status put(MDB_dbi dbi, std::string_view key, std::string_view value);
    Status put_uncounted(MDB_dbi dbi, std::string_view key, std::string_view value);

    std::unique_ptr<Env> env_;
    MDB_dbi meta_ = 0;
    MDB_dbi brands_ = 0;
    MDB_dbi groups_ = 0;
    MDB_dbi providers_ = 0;
    MDB_dbi directory_ = 0;
    std::uint32_t shard_count_ = 0;
    bool created_ = false;
    std::atomic<std::uint64_t> generation_{1};
};

}  // namespace cashierd::ledger
