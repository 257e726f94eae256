// The notification outbox's delivery: the JSON line of each record type, the `file` notifier
// (durable appends, rotation, open and write failures, no torn lines), and the dispatcher
// (order per shard, cursors across restarts, retries with backoff, stop's final drain and its
// failure budget, concurrent producers).
#include "http/outbox_dispatcher.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "http/notifier.h"
#include "ledger/catalog.h"
#include "ledger/shard_ledger.h"

namespace cashierd::http {
namespace {

using namespace std::chrono_literals;
using ledger::OutboxRecord;
using ledger::OutboxType;
using ledger::TxStatus;
using ledger::TxType;

constexpr std::uint32_t shard_count = 2;

OutboxRecord status_record(std::int64_t amount, std::string currency) {
    OutboxRecord record;
    record.type = OutboxType::transaction_status;
    record.customer_id = 42;
    record.login = 5042;
    record.transaction_id = 1000;
    record.transaction_type = TxType::withdrawal;
    record.status = TxStatus::credited;
    record.previous_status = TxStatus::provider_confirmed;
    record.sequence = 3;
    record.amount = amount;
    record.currency = std::move(currency);
    record.actor = "provider:sandbox";
    record.comment = "paid \"in full\"";
    record.created_time = 1700000000;
    return record;
}

OutboxRecord code_record() {
    OutboxRecord record;
    record.type = OutboxType::two_factor_code;
    record.customer_id = 7;
    record.created_time = 1700000100;
    record.payload_json =
            R"({"method":"email","recipient":"ann@example.com","template":"Withdraw_Confirm",)"
            R"("code":"012345"})";
    return record;
}

std::string render(const OutboxRecord& record) {
    std::string out;
    JsonWriter json(out);
    write_outbox_line(json, record);
    return out;
}

std::vector<std::string> read_lines(const std::string& path) {
    std::vector<std::string> lines;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// One parsed line: the member names in order, and the DOM to read values from.
struct ParsedLine {
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    std::vector<std::string> keys;

    explicit ParsedLine(const std::string& line) {
        simdjson::dom::element root;
        EXPECT_EQ(parser.parse(line).get(root), simdjson::SUCCESS) << line;
        EXPECT_EQ(root.get_object().get(object), simdjson::SUCCESS) << line;
        for (auto member : object)
            keys.emplace_back(member.key);
    }

    std::string string(const char* key) {
        std::string_view value;
        EXPECT_EQ(object[key].get_string().get(value), simdjson::SUCCESS) << key;
        return std::string(value);
    }

    std::uint64_t uint(const char* key) {
        std::uint64_t value = 0;
        EXPECT_EQ(object[key].get_uint64().get(value), simdjson::SUCCESS) << key;
        return value;
    }
};

std::uint64_t id_of(const std::string& line) {
    ParsedLine parsed(line);
    return parsed.uint("id");
}

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds limit = 10s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (predicate()) return true;
        std::this_thread::sleep_for(2ms);
    }
    return predicate();
}

// Records every delivered id; fails deliveries as told (the first `fail_first` calls, and
// every call whose first record belongs to shard `fail_shard`).
class TestNotifier final : public Notifier {
public:
    Status deliver(std::span<const OutboxRecord> records) override {
        std::lock_guard lock(mutex_);
        attempts_.push_back(records.front().id);
        bool fail = calls_++ < fail_first_ ||
                    (fail_shard_ >= 0 &&
                     records.front().id % shard_count == static_cast<std::uint64_t>(fail_shard_));
        if (fail) return Status(StatusCode::internal, "test_failure");
        for (const OutboxRecord& record : records)
            ids_.push_back(record.id);
        return Status();
    }

    std::vector<std::uint64_t> ids() const {
        std::lock_guard lock(mutex_);
        return ids_;
    }

    std::vector<std::uint64_t> attempts() const {
        std::lock_guard lock(mutex_);
        return attempts_;
    }

    int fail_first_ = 0;
    int fail_shard_ = -1;

private:
    mutable std::mutex mutex_;
    int calls_ = 0;
    std::vector<std::uint64_t> ids_;
    std::vector<std::uint64_t> attempts_;  // The first id of every call.
};

class OutboxDispatcherTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "outbox-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
        path_ = dir_ + "/outbox.jsonl";
        open_stores();
    }

    void TearDown() override {
        ledgers_.clear();
        global_.reset();
        std::filesystem::remove_all(dir_);
    }

    void open_stores() {
        std::string error;
        auto global = ledger::GlobalStore::open(dir_, shard_count, shard_count, false, error);
        ASSERT_TRUE(global.ok()) << error;
        global_ = std::move(global.value());
        for (std::uint32_t shard = 0; shard < shard_count; ++shard) {
            ledger::LedgerOptions options;
            options.durable = false;
            options.map_bytes = std::size_t{64} << 20;
            auto opened = ledger::ShardLedger::open(dir_, shard, shard_count, options);
            ASSERT_TRUE(opened.ok());
            ledgers_.push_back(std::move(opened.value()));
        }
    }

    std::vector<ledger::ShardLedger*> shards() {
        std::vector<ledger::ShardLedger*> out;
        for (auto& ledger : ledgers_)
            out.push_back(ledger.get());
        return out;
    }

    // Commits `records` to one shard in one batch; returns their ids.
    std::vector<std::uint64_t> append(std::uint32_t shard, std::vector<OutboxRecord> records) {
        std::vector<std::uint64_t> ids;
        ledger::ShardLedger& ledger = *ledgers_[shard];
        EXPECT_TRUE(ledger.begin_batch().ok());
        for (OutboxRecord& record : records) {
            EXPECT_TRUE(ledger.append_outbox(record).ok());
            ids.push_back(record.id);
        }
        EXPECT_TRUE(ledger.commit_batch().ok());
        return ids;
    }

    std::vector<std::uint64_t> append_many(std::uint32_t shard, int count) {
        std::vector<OutboxRecord> records;
        for (int i = 0; i < count; ++i) {
            OutboxRecord record = status_record(100 + i, "EUR");
            record.transaction_id = static_cast<std::uint64_t>(i) * shard_count + shard;
            records.push_back(record);
        }
        return append(shard, records);
    }

    std::uint64_t cursor(std::uint32_t shard) {
        auto value = global_->counter("outbox/" + std::to_string(shard));
        EXPECT_TRUE(value.ok());
        return value.ok() ? value.value() : 0;
    }

    std::vector<std::uint64_t> file_ids(const std::string& path) {
        std::vector<std::uint64_t> ids;
        for (const std::string& line : read_lines(path))
            ids.push_back(id_of(line));
        return ids;
    }

    std::string dir_;
    std::string path_;
    std::unique_ptr<ledger::GlobalStore> global_;
    std::vector<std::unique_ptr<ledger::ShardLedger>> ledgers_;
};

std::vector<std::uint64_t> of_shard(const std::vector<std::uint64_t>& ids, std::uint32_t shard) {
    std::vector<std::uint64_t> out;
    for (std::uint64_t id : ids)
        if (id % shard_count == shard) out.push_back(id);
    return out;
}

// The JSON line.

TEST(OutboxLine, TransactionStatusHasEveryFieldInOrder) {
    OutboxRecord record = status_record(25010, "USD");
    record.id = 9;
    std::string line = render(record);
    // The amount is the exact decimal text in the currency's exponent, not a float.
    EXPECT_NE(line.find(R"("amount":250.10,)"), std::string::npos) << line;
    ParsedLine parsed(line);
    EXPECT_EQ(parsed.keys,
              (std::vector<std::string>{"id", "type", "customer_id", "created_time",
                                        "transaction_id", "login", "transaction_type", "status",
                                        "status_name", "previous_status", "sequence", "amount",
                                        "currency", "actor", "comment"}));
    EXPECT_EQ(parsed.uint("id"), 9u);
    EXPECT_EQ(parsed.string("type"), "transaction_status");
    EXPECT_EQ(parsed.uint("customer_id"), 42u);
    EXPECT_EQ(parsed.uint("created_time"), 1700000000u);
    EXPECT_EQ(parsed.uint("transaction_id"), 1000u);
    EXPECT_EQ(parsed.uint("login"), 5042u);
    EXPECT_EQ(parsed.string("transaction_type"), "withdrawal");
    EXPECT_EQ(parsed.uint("status"), 3u);
    EXPECT_EQ(parsed.string("status_name"), "credited");
    EXPECT_EQ(parsed.uint("previous_status"), 2u);
    EXPECT_EQ(parsed.uint("sequence"), 3u);
    EXPECT_EQ(parsed.string("currency"), "USD");
    EXPECT_EQ(parsed.string("actor"), "provider:sandbox");
    EXPECT_EQ(parsed.string("comment"), "paid \"in full\"");
}

TEST(OutboxLine, AmountFollowsTheCurrencyExponent) {
    OutboxRecord jpy = status_record(7, "JPY");
    jpy.transaction_type = TxType::deposit;
    std::string line = render(jpy);
    EXPECT_NE(line.find(R"("amount":7,)"), std::string::npos) << line;
    EXPECT_NE(line.find(R"("transaction_type":"deposit")"), std::string::npos) << line;
    EXPECT_NE(render(status_record(5, "BTC")).find(R"("amount":0.00000005,)"), std::string::npos);
    EXPECT_NE(render(status_record(-5, "USD")).find(R"("amount":-0.05,)"), std::string::npos);
}

TEST(OutboxLine, CodePayloadIsSplicedAtTopLevel) {
    OutboxRecord record = code_record();
    record.id = 11;
    ParsedLine parsed(render(record));
    EXPECT_EQ(parsed.keys, (std::vector<std::string>{"id", "type", "customer_id", "created_time",
                                                     "method", "recipient", "template", "code"}));
    EXPECT_EQ(parsed.uint("id"), 11u);
    EXPECT_EQ(parsed.string("type"), "2fa_code");
    EXPECT_EQ(parsed.uint("customer_id"), 7u);
    EXPECT_EQ(parsed.string("method"), "email");
    EXPECT_EQ(parsed.string("recipient"), "ann@example.com");
    EXPECT_EQ(parsed.string("template"), "Withdraw_Confirm");
    EXPECT_EQ(parsed.string("code"), "012345");
}

TEST(OutboxLine, PayloadValuesKeepTheirExactText) {
    OutboxRecord record = code_record();
    record.payload_json = R"( { "rate" : 1.10 , "nested":{"a":[1, 2.50,"x"]}, "k\"ey":null,
                               "flag":true } )";
    std::string line = render(record);
    EXPECT_NE(line.find(R"("rate":1.10,)"), std::string::npos) << line;
    EXPECT_NE(line.find(R"("nested":{"a":[1, 2.50,"x"]},)"), std::string::npos) << line;
    EXPECT_NE(line.find(R"("k\"ey":null,"flag":true})"), std::string::npos) << line;
    ParsedLine parsed(line);
    EXPECT_EQ(parsed.keys, (std::vector<std::string>{"id", "type", "customer_id", "created_time",
                                                     "rate", "nested", "k\"ey", "flag"}));
}

TEST(OutboxLine, PayloadCannotOverrideTheRecordsOwnFields) {
    OutboxRecord record = status_record(100, "USD");
    record.id = 5;
    record.payload_json = R"({"id":99,"status":0,"amount":"1","provider":"sandbox"})";
    ParsedLine parsed(render(record));
    EXPECT_EQ(std::count(parsed.keys.begin(), parsed.keys.end(), "id"), 1);
    EXPECT_EQ(std::count(parsed.keys.begin(), parsed.keys.end(), "status"), 1);
    EXPECT_EQ(parsed.uint("id"), 5u);
    EXPECT_EQ(parsed.uint("status"), 3u);
    EXPECT_EQ(parsed.string("provider"), "sandbox");
    // A transaction field name is only reserved where the record has that field.
    OutboxRecord code = code_record();
    code.payload_json = R"({"type":"x","amount":"12.00"})";
    ParsedLine code_line(render(code));
    EXPECT_EQ(code_line.string("type"), "2fa_code");
    EXPECT_EQ(code_line.string("amount"), "12.00");
}

TEST(OutboxLine, BadPayloadIsLeftOutAndTheLineStaysValid) {
    for (const char* payload : {R"({"code":"1)", R"(["code","1"])", R"("text")", "{} {}",
                                R"({"a":[1,}})", R"({"a":"\u00"})"}) {
        OutboxRecord record = code_record();
        record.payload_json = payload;
        ParsedLine parsed(render(record));
        EXPECT_EQ(parsed.keys,
                  (std::vector<std::string>{"id", "type", "customer_id", "created_time"}))
                << payload;
    }
    OutboxRecord empty = code_record();
    empty.payload_json = "{}";
    EXPECT_EQ(ParsedLine(render(empty)).keys.size(), 4u);
}

// The file notifier.

TEST_F(OutboxDispatcherTest, FileNotifierAppendsWithModeAndSurvivesReopen) {
    {
        auto notifier = make_file_notifier(path_);
        OutboxRecord first = status_record(1, "USD");
        first.id = 2;
        ASSERT_TRUE(notifier->deliver(std::span(&first, 1)).ok());
    }

    struct stat info {};

    ASSERT_EQ(::stat(path_.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777 & ~0640, 0u);  // Never wider than 0640 (the umask may narrow).
    auto notifier = make_file_notifier(path_);
    std::vector<OutboxRecord> records = {status_record(2, "USD"), code_record()};
    records[0].id = 4;
    records[1].id = 6;
    ASSERT_TRUE(notifier->deliver(records).ok());
    EXPECT_TRUE(notifier->deliver({}).ok());
    EXPECT_EQ(file_ids(path_), (std::vector<std::uint64_t>{2, 4, 6}));
    EXPECT_EQ(read_all(path_).back(), '\n');
}

TEST_F(OutboxDispatcherTest, FileNotifierOpenFailureIsRetriable) {
    std::string missing = dir_ + "/later/outbox.jsonl";
    auto notifier = make_file_notifier(missing);
    OutboxRecord record = status_record(1, "USD");
    record.id = 2;
    Status failed = notifier->deliver(std::span(&record, 1));
    EXPECT_EQ(failed.code(), StatusCode::internal);
    EXPECT_EQ(failed.detail(), "outbox_open_failed");
    std::filesystem::create_directory(dir_ + "/later");
    EXPECT_TRUE(notifier->deliver(std::span(&record, 1)).ok());
    EXPECT_EQ(file_ids(missing), (std::vector<std::uint64_t>{2}));
}

TEST_F(OutboxDispatcherTest, FileNotifierWriteFailureReported) {
    if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
    auto notifier = make_file_notifier("/dev/full");
    OutboxRecord record = status_record(1, "USD");
    record.id = 2;
    Status failed = notifier->deliver(std::span(&record, 1));
    EXPECT_EQ(failed.code(), StatusCode::internal);
    EXPECT_EQ(failed.detail(), "outbox_write_failed");
}

// A write cut short half-way (here by the file size limit) is taken back off the file, so the
// retry that follows leaves only whole lines.
TEST_F(OutboxDispatcherTest, FileNotifierLeavesNoTornLine) {
    auto notifier = make_file_notifier(path_);
    OutboxRecord first = status_record(1, "USD");
    first.id = 2;
    ASSERT_TRUE(notifier->deliver(std::span(&first, 1)).ok());
    std::uintmax_t size = std::filesystem::file_size(path_);

    std::vector<OutboxRecord> records;
    for (std::uint64_t id = 4; id <= 20; id += 2) {
        records.push_back(status_record(static_cast<std::int64_t>(id), "USD"));
        records.back().id = id;
    }
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limited = saved;
    limited.rlim_cur = static_cast<rlim_t>(size + 100);  // Room for part of one line.
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
    Status failed = notifier->deliver(records);
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
    std::signal(SIGXFSZ, previous_handler);
    EXPECT_EQ(failed.detail(), "outbox_write_failed");
    EXPECT_EQ(std::filesystem::file_size(path_), size);

    ASSERT_TRUE(notifier->deliver(records).ok());
    EXPECT_EQ(file_ids(path_), (std::vector<std::uint64_t>{2, 4, 6, 8, 10, 12, 14, 16, 18, 20}));
}

// The dispatcher.

TEST_F(OutboxDispatcherTest, DeliversEveryShardInOrderWithExactLines) {
    std::vector<std::uint64_t> shard0 = append(0, {status_record(25010, "USD")});
    std::vector<OutboxRecord> more = {status_record(7, "JPY"), code_record()};
    std::vector<std::uint64_t> more_ids = append(0, more);
    shard0.insert(shard0.end(), more_ids.begin(), more_ids.end());
    std::vector<std::uint64_t> shard1 = append_many(1, 4);

    OutboxDispatcher dispatcher(shards(), *global_, make_file_notifier(path_));
    dispatcher.start();
    ASSERT_TRUE(eventually([&] { return dispatcher.delivered() == 7; }));
    dispatcher.stop();
    EXPECT_EQ(dispatcher.failures(), 0u);

    std::vector<std::string> lines = read_lines(path_);
    ASSERT_EQ(lines.size(), 7u);
    std::vector<std::uint64_t> ids = file_ids(path_);
    EXPECT_EQ(of_shard(ids, 0), shard0);
    EXPECT_EQ(of_shard(ids, 1), shard1);
    EXPECT_EQ(cursor(0), shard0.back());
    EXPECT_EQ(cursor(1), shard1.back());

    std::map<std::uint64_t, std::string> by_id;
    for (const std::string& line : lines)
        by_id[id_of(line)] = line;
    EXPECT_NE(by_id[shard0[0]].find(R"("amount":250.10,"currency":"USD")"), std::string::npos);
    EXPECT_NE(by_id[shard0[1]].find(R"("amount":7,"currency":"JPY")"), std::string::npos);
    ParsedLine code(by_id[shard0[2]]);
    EXPECT_EQ(code.string("type"), "2fa_code");
    EXPECT_EQ(code.string("code"), "012345");
    EXPECT_EQ(code.string("template"), "Withdraw_Confirm");
    ParsedLine status(by_id[shard0[0]]);
    EXPECT_EQ(status.string("status_name"), "credited");
    EXPECT_EQ(status.uint("customer_id"), 42u);
}

TEST_F(OutboxDispatcherTest, LargeBacklogGoesOutInBatches) {
    std::vector<std::uint64_t> ids = append_many(1, 700);  // More than one batch of 256.
    OutboxDispatcher dispatcher(shards(), *global_, make_file_notifier(path_));
    dispatcher.start();
    ASSERT_TRUE(eventually([&] { return dispatcher.delivered() == 700; }));
    dispatcher.stop();
    EXPECT_EQ(file_ids(path_), ids);
    EXPECT_EQ(cursor(1), ids.back());
    EXPECT_EQ(cursor(0), 0u);
}

TEST_F(OutboxDispatcherTest, RestartDeliversOnlyWhatWasNotDelivered) {
    std::vector<std::uint64_t> before0 = append_many(0, 3);
    std::vector<std::uint64_t> before1 = append_many(1, 2);
    {
        OutboxDispatcher dispatcher(shards(), *global_, make_file_notifier(path_));
        dispatcher.start();
        ASSERT_TRUE(eventually([&] { return dispatcher.delivered() == 5; }));
    }  // The destructor stops.
    std::vector<std::uint64_t> after0 = append_many(0, 2);

    // Reopened from disk, as a new process would.
    ledgers_.clear();
    global_.reset();
    open_stores();
    OutboxDispatcher dispatcher(shards(), *global_, make_file_notifier(path_));
    dispatcher.start();
    ASSERT_TRUE(eventually([&] { return dispatcher.delivered() == 2; }));
    dispatcher.stop();
    EXPECT_EQ(dispatcher.delivered(), 2u);

    std::vector<std::uint64_t> ids = file_ids(path_);
    std::vector<std::uint64_t> expected0 = before0;
    expected0.insert(expected0.end(), after0.begin(), after0.end());
    EXPECT_EQ(of_shard(ids, 0), expected0);
    EXPECT_EQ(of_shard(ids, 1), before1);
    EXPECT_EQ(ids.size(), 7u);
}

TEST_F(OutboxDispatcherTest, FailedDeliveriesAreRetriedInOrder) {
    std::vector<std::uint64_t> ids = append_many(0, 10);
    auto owned = std::make_unique<TestNotifier>();
    TestNotifier& notifier = *owned;
    notifier.fail_first_ = 3;
    OutboxDispatcher dispatcher(shards(), *global_, std::move(owned));
    auto started = std::chrono::steady_clock::now();
    dispatcher.start();
    ASSERT_TRUE(eventually([&] { return dispatcher.delivered() == 10; }));
    auto elapsed = std::chrono::steady_clock::now() - started;
    dispatcher.stop();
    EXPECT_EQ(dispatcher.failures(), 3u);
    EXPECT_EQ(notifier.ids(), ids);
    // The same records each time: nothing skipped while failing.
    EXPECT_EQ(notifier.attempts(), (std::vector<std::uint64_t>(4, ids.front())));
    // Backed off 100 + 200 + 400 ms between the attempts.
    EXPECT_GE(elapsed, 700ms);
    EXPECT_EQ(cursor(0), ids.back());
}

TEST_F(OutboxDispatcherTest, FailingShardDoesNotHoldBackTheOther) {
    std::vector<std::uint64_t> ids0 = append_many(0, 3);
    std::vector<std::uint64_t> ids1 = append_many(1, 3);
    auto owned = std::make_unique<TestNotifier>();
    TestNotifier& notifier = *owned;
    notifier.fail_shard_ = 0;
    OutboxDispatcher dispatcher(shards(), *global_, std::move(owned));
    dispatcher.start();
    ASSERT_TRUE(eventually([&] { return dispatcher.delivered() == 3; }));
    EXPECT_EQ(notifier.ids(), ids1);
    EXPECT_GE(dispatcher.failures(), 1u);

    // stop() keeps trying the failing shard for about 2 s, then leaves its records for the
    // next start: the cursor stays where the last delivery left it.
    auto stopping = std::chrono::steady_clock::now();
    dispatcher.stop();
    auto elapsed = std::chrono::steady_clock::now() - stopping;
    EXPECT_GE(elapsed, 1900ms);
    EXPECT_LT(elapsed, 4s);
    EXPECT_EQ(cursor(0), 0u);
    EXPECT_EQ(cursor(1), ids1.back());

    OutboxDispatcher next(shards(), *global_, make_file_notifier(path_));
    next.start();
    ASSERT_TRUE(eventually([&] { return next.delivered() == 3; }));
    next.stop();
    EXPECT_EQ(file_ids(path_), ids0);
}

TEST_F(OutboxDispatcherTest, WakeDeliversWithoutWaitingForTheSafetyNet) {
    OutboxDispatcher dispatcher(shards(), *global_, make_file_notifier(path_));
    dispatcher.start();
    std::vector<std::uint64_t> first = append_many(0, 1);
    dispatcher.wake();
    ASSERT_TRUE(eventually([&] { return dispatcher.delivered() == 1; }));
    // The dispatcher is now asleep until a wake or its 1 s timeout.
    std::this_thread::sleep_for(50ms);
    std::vector<std::uint64_t> second = append_many(1, 1);
    auto woken = std::chrono::steady_clock::now();
    dispatcher.wake();
    ASSERT_TRUE(eventually([&] { return dispatcher.delivered() == 2; }));
    EXPECT_LT(std::chrono::steady_clock::now() - woken, 700ms);
    dispatcher.stop();
    EXPECT_EQ(file_ids(path_), (std::vector<std::uint64_t>{first[0], second[0]}));
}

TEST_F(OutboxDispatcherTest, CommitWithoutWakeIsFoundBySafetyNet) {
    OutboxDispatcher dispatcher(shards(), *global_, make_file_notifier(path_));
    dispatcher.start();
    std::this_thread::sleep_for(20ms);  // Asleep, with nothing pending.
    std::vector<std::uint64_t> ids = append_many(1, 2);
    EXPECT_TRUE(eventually([&] { return dispatcher.delivered() == 2; }, 2500ms));
    dispatcher.stop();
    EXPECT_EQ(file_ids(path_), ids);
}

TEST_F(OutboxDispatcherTest, StopDeliversRecordsCommittedJustBefore) {
    OutboxDispatcher dispatcher(shards(), *global_, make_file_notifier(path_));
    dispatcher.start();
    std::this_thread::sleep_for(20ms);  // Asleep, with nothing pending.
    // No wake(): stop() alone must find them.
    std::vector<std::uint64_t> ids0 = append_many(0, 5);
    std::vector<std::uint64_t> ids1 = append_many(1, 5);
    auto stopping = std::chrono::steady_clock::now();
    dispatcher.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - stopping, 900ms);
    EXPECT_EQ(dispatcher.delivered(), 10u);
    std::vector<std::uint64_t> ids = file_ids(path_);
    EXPECT_EQ(of_shard(ids, 0), ids0);
    EXPECT_EQ(of_shard(ids, 1), ids1);
    EXPECT_EQ(cursor(0), ids0.back());
    EXPECT_EQ(cursor(1), ids1.back());
    dispatcher.stop();  // Idempotent.
}

TEST_F(OutboxDispatcherTest, StopWithoutStartDeliversNothing) {
    append_many(0, 2);
    OutboxDispatcher dispatcher(shards(), *global_, make_file_notifier(path_));
    dispatcher.stop();
    EXPECT_EQ(dispatcher.delivered(), 0u);
    EXPECT_FALSE(std::filesystem::exists(path_));
    EXPECT_EQ(cursor(0), 0u);
}

TEST_F(OutboxDispatcherTest, ConcurrentProducersAreDeliveredExactlyOnce) {
    OutboxDispatcher dispatcher(shards(), *global_, make_file_notifier(path_));
    dispatcher.start();
    constexpr int batches = 150;
    std::vector<std::uint64_t> produced[shard_count];
    std::vector<std::thread> producers;
    for (std::uint32_t shard = 0; shard < shard_count; ++shard) {
        producers.emplace_back([&, shard] {
            for (int batch = 0; batch < batches; ++batch) {
                std::vector<std::uint64_t> ids = append_many(shard, 1 + batch % 5);
                produced[shard].insert(produced[shard].end(), ids.begin(), ids.end());
                if (batch % 3 != 0) dispatcher.wake();  // Some commits rely on later wakes.
            }
            dispatcher.wake();
        });
    }
    for (std::thread& producer : producers)
        producer.join();
    std::size_t total = produced[0].size() + produced[1].size();
    ASSERT_TRUE(eventually([&] { return dispatcher.delivered() == total; }));
    dispatcher.stop();
    EXPECT_EQ(dispatcher.delivered(), total);

    std::vector<std::uint64_t> ids = file_ids(path_);
    EXPECT_EQ(ids.size(), total);
    EXPECT_EQ(std::set<std::uint64_t>(ids.begin(), ids.end()).size(), total);
    EXPECT_EQ(of_shard(ids, 0), produced[0]);
    EXPECT_EQ(of_shard(ids, 1), produced[1]);
}

TEST_F(OutboxDispatcherTest, RotatedFileIsReplacedAtThePath) {
    OutboxDispatcher dispatcher(shards(), *global_, make_file_notifier(path_));
    dispatcher.start();
    std::vector<std::uint64_t> first = append_many(0, 3);
    dispatcher.wake();
    ASSERT_TRUE(eventually([&] { return dispatcher.delivered() == 3; }));
    std::filesystem::rename(path_, path_ + ".1");

    std::vector<std::uint64_t> second = append_many(1, 2);
    dispatcher.wake();
    ASSERT_TRUE(eventually([&] { return dispatcher.delivered() == 5; }));
    dispatcher.stop();
    EXPECT_EQ(file_ids(path_ + ".1"), first);
    EXPECT_EQ(file_ids(path_), second);
}

}  // namespace
}  // namespace cashierd::http
