#include "ledger/catalog.h"

#include "ledger/record_codec.h"
#include "reactor/base/assert.h"

namespace cashierd::ledger {
namespace {

constexpr std::uint32_t format_version = 1;

void write_strings(RecordWriter& w, const std::vector<std::string>& values) {
    w.u32(static_cast<std::uint32_t>(values.size()));
    for (const std::string& value : values)
        w.string(value);
}

std::vector<std::string> read_strings(RecordReader& in) {
    std::vector<std::string> values(in.u32());
    for (std::string& value : values)
        value = in.string();
    return values;
}

void check_version(RecordReader& in, std::uint8_t known) {
    CASHIERD_ASSERT(in.u8() == known);
}

std::string key_u64(std::uint64_t value) {
    std::string key;
    append_key_u64(key, value);
    return key;
}

std::string encode_u32(std::uint32_t value) {
    std::string out;
    RecordWriter(out).u32(value);
    return out;
}

}  // namespace

void BrandRecord::encode(std::string& out) const {
    RecordWriter(out).u8(version).string(id).string(name).boolean(enabled);
}

BrandRecord BrandRecord::decode(std::string_view bytes) {
    RecordReader in(bytes);
    check_version(in, version);
    BrandRecord r;
    r.id = in.string();
    r.name = in.string();
    r.enabled = in.boolean();
    CASHIERD_ASSERT(in.at_end());
    return r;
}

void GroupRecord::encode(std::string& out) const {
    RecordWriter(out).u8(version).string(id).string(brand).string(currency).boolean(enabled);
}

GroupRecord GroupRecord::decode(std::string_view bytes) {
    RecordReader in(bytes);
    check_version(in, version);
    GroupRecord r;
    r.id = in.string();
    r.brand = in.string();
    r.currency = in.string();
    r.enabled = in.boolean();
    CASHIERD_ASSERT(in.at_end());
    return r;
}

void ProviderRecord::encode(std::string& out) const {
    RecordWriter w(out);
    w.u8(version).string(code).string(module).boolean(enabled).string(webhook_secret);
    w.string(settings_json).u32(static_cast<std::uint32_t>(methods.size()));
    for (const MethodRecord& m : methods) {
        w.string(m.method).u64(m.method_id).u8(static_cast<std::uint8_t>(m.type));
        write_strings(w, m.brands);
        write_strings(w, m.currencies);
        write_strings(w, m.countries);
        w.string(m.min_amount).string(m.max_amount);
    }
}

ProviderRecord ProviderRecord::decode(std::string_view bytes) {
    RecordReader in(bytes);
    check_version(in, version);
    ProviderRecord r;
    r.code = in.string();
    r.module = in.string();
    r.enabled = in.boolean();
    r.webhook_secret = in.string();
    r.settings_json = in.string();
    std::uint32_t count = in.u32();
    for (std::uint32_t i = 0; i < count; ++i) {
        MethodRecord m;
        m.method = in.string();
        m.method_id = in.u64();
        std::uint8_t type = in.u8();
        CASHIERD_ASSERT(type <= 1);
        m.type = static_cast<MethodType>(type);
        m.brands = read_strings(in);
        m.currencies = read_strings(in);
        m.countries = read_strings(in);
        m.min_amount = in.string();
        m.max_amount = in.string();
        r.methods.push_back(std::move(m));
    }
    CASHIERD_ASSERT(in.at_end());
    return r;
}

Result<std::unique_ptr<GlobalStore>> GlobalStore::open(const std::string& data_dir,
                                                       std::uint32_t requested_shards,
                                                       std::uint32_t default_shards, bool durable,
                                                       std::string& error) {
    std::unique_ptr<GlobalStore> store(new GlobalStore());
    EnvOptions options;
    options.durable = durable;
    options.map_bytes = std::size_t{256} << 20;
    Result<std::unique_ptr<Env>> env = Env::open(data_dir + "/global", options);
    if (!env.ok()) {
        error = "cannot open " + data_dir + "/global";
        return env.status();
    }
    store->env_ = std::move(env.value());

    struct Named {
        const char* name;
        MDB_dbi* dbi;
    };

    for (Named named : {Named{"meta", &store->meta_}, Named{"brands", &store->brands_},
                        Named{"groups", &store->groups_}, Named{"providers", &store->providers_},
                        Named{"directory", &store->directory_}}) {
        Result<MDB_dbi> dbi = store->env_->open_dbi(named.name);
        if (!dbi.ok()) return dbi.status();
        *named.dbi = dbi.value();
    }

    Result<Txn> txn = Txn::begin(*store->env_, false);
    if (!txn.ok()) return txn.status();
    Result<std::string_view> shards = txn->get(store->meta_, "shards");
    if (shards.ok()) {
        RecordReader in(shards.value());
        store->shard_count_ = in.u32();
        if (requested_shards != 0 && requested_shards != store->shard_count_) {
            error = "data dir " + data_dir + " was created with " +
                    std::to_string(store->shard_count_) + " shards; the config asks for " +
                    std::to_string(requested_shards) + " (use shards: 0 or " +
                    std::to_string(store->shard_count_) + ")";
            return Status(StatusCode::invalid_data, "shard_count_mismatch");
        }
        return store;
    }
    if (shards.status().code() != StatusCode::not_found) return shards.status();
    store->shard_count_ = requested_shards != 0 ? requested_shards : default_shards;
    CASHIERD_ASSERT(store->shard_count_ > 0);
    Status status = txn->put(store->meta_, "format", encode_u32(format_version));
    if (status.ok()) status = txn->put(store->meta_, "shards", encode_u32(store->shard_count_));
    if (status.ok()) status = txn->commit();
    if (!status.ok()) return status;
    store->created_ = true;
    return store;
}

GlobalStore::~GlobalStore() = default;

bool GlobalStore::initialized() const {
    Result<Txn> txn = Txn::begin(*env_, true);
    return txn.ok() && txn->get(meta_, "initialized").ok();
}

Status GlobalStore::mark_initialized() {
    return put(meta_, "initialized", encode_u32(1));
}

Status GlobalStore::put(MDB_dbi dbi, std::string_view key, std::string_view value) {
    Status status = put_uncounted(dbi, key, value);
    if (status.ok()) generation_.fetch_add(1, std::memory_order_acq_rel);
    return status;
}

Status GlobalStore::put_uncounted(MDB_dbi dbi, std::string_view key, std::string_view value) {
    Result<Txn> txn = Txn::begin(*env_, false);
    if (!txn.ok()) return txn.status();
    Status status = txn->put(dbi, key, value);
    if (status.ok()) status = txn->commit();
    txn->abort();  // Over before a resize, which waits for every transaction to end.
    if (!status.ok() && status.detail() == "storage_full") env_->grow_map();
    return status;
}

Result<std::uint64_t> GlobalStore::counter(std::string_view key) const {
    Result<Txn> txn = Txn::begin(*env_, true);
    if (!txn.ok()) return txn.status();
    Result<std::string_view> value = txn->get(meta_, "counter/" + std::string(key));
    if (!value.ok()) {
        if (value.status().code() == StatusCode::not_found) return std::uint64_t{0};
        return value.status();
    }
    CASHIERD_ASSERT(value->size() == 8);
    return read_key_u64(value.value());
}

Status GlobalStore::put_counter(std::string_view key, std::uint64_t value) {
    std::string bytes;
    append_key_u64(bytes, value);
    return put_uncounted(meta_, "counter/" + std::string(key), bytes);
}

Status GlobalStore::put_brand(const BrandRecord& brand) {
    std::string value;
    brand.encode(value);
    return put(brands_, brand.id, value);
}

Status GlobalStore::put_group(const GroupRecord& group) {
    std::string value;
    group.encode(value);
    return put(groups_, group.id, value);
}

Status GlobalStore::put_provider(const ProviderRecord& provider) {
    std::string value;
    provider.encode(value);
    return put(providers_, provider.code, value);
}

Status GlobalStore::put_directory(Login login, CustomerId customer) {
    Result<Txn> txn = Txn::begin(*env_, false);
    if (!txn.ok()) return txn.status();
    std::string key = key_u64(login);
    Result<std::string_view> existing = txn->get(directory_, key);
    if (existing.ok()) {
        if (read_key_u64(existing.value()) == customer) return Status();
        return Status(StatusCode::invalid_data, "login_owned_by_another_customer", "customer_id");
    }
    if (existing.status().code() != StatusCode::not_found) return existing.status();
    Status status = txn->put(directory_, key, key_u64(customer));
    if (status.ok()) status = txn->commit();
    if (status.ok()) generation_.fetch_add(1, std::memory_order_acq_rel);
    return status;
}

Result<CustomerId> GlobalStore::owner(Login login) const {
    Result<Txn> txn = Txn::begin(*env_, true);
    if (!txn.ok()) return txn.status();
    Result<std::string_view> value = txn->get(directory_, key_u64(login));
    if (!value.ok()) return value.status();
    return read_key_u64(value.value());
}

namespace {

template <typename Record>
Result<Record> read_record(Env& env, MDB_dbi dbi, std::string_view key) {
    Result<Txn> txn = Txn::begin(env, true);
    if (!txn.ok()) return txn.status();
    Result<std::string_view> value = txn->get(dbi, key);
    if (!value.ok()) return value.status();
    return Record::decode(value.value());
}

template <typename Record, typename Map>
void read_all(const Txn& txn, MDB_dbi dbi, Map& out) {
    Cursor cursor(txn, dbi);
    for (bool more = cursor.move(MDB_FIRST); more; more = cursor.move(MDB_NEXT)) {
        out.emplace(std::string(cursor.key()), Record::decode(cursor.value()));
    }
}

}  // namespace

Result<BrandRecord> GlobalStore::brand(std::string_view id) const {
    return read_record<BrandRecord>(*env_, brands_, id);
}

Result<GroupRecord> GlobalStore::group(std::string_view id) const {
    return read_record<GroupRecord>(*env_, groups_, id);
}

Result<ProviderRecord> GlobalStore::provider(std::string_view code) const {
    return read_record<ProviderRecord>(*env_, providers_, code);
}

Result<std::shared_ptr<const Catalog>> GlobalStore::load_catalog() const {
    // The generation is read before the snapshot: a write racing the load moves it again, so a
    // shard comparing generations reloads once more rather than keep a stale catalog.
    std::uint64_t generation = generation_.load(std::memory_order_acquire);
    Result<Txn> txn = Txn::begin(*env_, true);
    if (!txn.ok()) return txn.status();
    auto catalog = std::make_shared<Catalog>();
    catalog->generation = generation;
    read_all<BrandRecord>(txn.value(), brands_, catalog->brands);
    read_all<GroupRecord>(txn.value(), groups_, catalog->groups);
    read_all<ProviderRecord>(txn.value(), providers_, catalog->providers);
    return std::shared_ptr<const Catalog>(std::move(catalog));
}

}  // namespace cashierd::ledger
