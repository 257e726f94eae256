// `cashierd backup` and `cashierd verify` against the real binary: backups taken while the
// server serves a changebalance load verify clean and hold a state that existed (every change
// acknowledged before the copy began, nothing not yet sent when it ended), a server starts on
// them; verify passes on the live data dir, during the load and after SIGTERM; a corrupted copy
// fails with the problem printed; and the commands' refusals.
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <lmdb.h>
#include <signal.h>

#include "ledger/lmdb_env.h"
#include "ledger/records.h"
#include "providers/jwt.h"
#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace cashierd::test {
namespace {

namespace fs = std::filesystem;

const std::string manager = "Bearer test-manager-token-0123456789";
const std::string token_query = "?token=test-manager-token-0123456789";

// Customer 1 on shard 1, customer 2 on shard 0 (of 2), an account each, the sandbox provider.
const char* world_json =
        R"(,"brands":[{"id":"demo","name":"Demo"}],)"
        R"("groups":[{"id":"usd","brand":"demo","currency":"USD"}],)"
        R"("providers":[{"code":"sandbox","module":"sandbox","webhook_secret":"whsec_0123456789abcdef",)"
        R"("methods":[{"method":"card","method_id":1,"type":"deposit","currencies":["USD"]}]}],)"
        R"("customers":[{"id":1,"brand":"demo","country":"GB"},{"id":2,"brand":"demo","country":"DE"}],)"
        R"("accounts":[{"login":1001,"customer_id":1,"group":"usd","balance":"100"},)"
        R"({"login":1002,"customer_id":2,"group":"usd","balance":"200","bonus":"5"}])";

constexpr std::uint64_t logins[] = {1001, 1002};

HttpResponse admin(std::uint16_t port, std::string_view method, std::string_view path) {
    return http_request(port, method, path, {}, {{"Authorization", manager}});
}

std::string change_body(std::uint64_t login, std::string_view amount, std::string_view type) {
    return R"({"login":)" + std::to_string(login) + R"(,"preciseAmount":)" + std::string(amount) +
           R"(,"type":")" + std::string(type) + "\"}";
}

HttpResponse change(std::uint16_t port, std::uint64_t login, std::string_view amount,
                    std::string_view type) {
    return http_request(
            port, "POST",
            "/webserv/traders/" + std::to_string(login) + "/changebalance" + token_query,
            change_body(login, amount, type), {{"Content-Type", "application/json"}});
}

std::string field(const std::string& json, const std::string& name) {
    std::string key = "\"" + name + "\":";
    std::size_t at = json.find(key);
    if (at == std::string::npos) return "";
    at += key.size();
    std::size_t end = json.find_first_of(",}", at);
    return json.substr(at, end - at);
}

// "123.45" (USD) -> 12345; -1 for anything else.
long minor_units(const std::string& text) {
    std::size_t dot = text.find('.');
    if (text.empty() || dot == std::string::npos || text.size() - dot != 3) return -1;
    return std::stol(text.substr(0, dot)) * 100 + std::stol(text.substr(dot + 1));
}

long balance(std::uint16_t port, std::uint64_t login) {
    HttpResponse account = admin(port, "GET", "/admin/accounts/" + std::to_string(login));
    EXPECT_EQ(account.status, 200) << account.body;
    return minor_units(field(account.body, "balance"));
}

// One keep-alive client per login depositing 1.00 until told to stop. `sent` counts requests
// before they are written, `acknowledged` the 200s: a snapshot taken at any moment holds, for
// each login, between the acknowledged count when it began and the sent count when it ended.
class Load {
public:
    explicit Load(std::uint16_t port) {
        for (std::size_t i = 0; i < std::size(logins); ++i) {
            threads_.emplace_back([this, port, i] { run(port, i); });
        }
    }

    ~Load() { stop(); }

    void stop() {
        stop_ = true;
        for (std::thread& thread : threads_) {
            if (thread.joinable()) thread.join();
        }
    }

    long sent(std::size_t i) const { return sent_[i].load(); }

    long acknowledged(std::size_t i) const { return acknowledged_[i].load(); }

    long acknowledged_total() const { return acknowledged(0) + acknowledged(1); }

    bool failed() const { return failed_.load(); }

private:
    void run(std::uint16_t port, std::size_t i) {
        RawClient client;
        if (!client.connect(port)) {
            failed_ = true;
            return;
        }
        std::string body = change_body(logins[i], "1", "DEPOSIT");
        std::string request = "POST /webserv/traders/" + std::to_string(logins[i]) +
                              "/changebalance" + token_query +
                              " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              "Content-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body;
        while (!stop_.load()) {
            ++sent_[i];
            HttpResponse response;
            if (!client.send(request) || !client.read_response(response, 5000) ||
                response.status != 200) {
                failed_ = true;
                return;
            }
            ++acknowledged_[i];
        }
    }

    std::atomic<bool> stop_{false};
    std::atomic<bool> failed_{false};
    std::atomic<long> sent_[2] = {0, 0};
    std::atomic<long> acknowledged_[2] = {0, 0};
    std::vector<std::thread> threads_;
};

struct Snapshot {
    std::string dir;
    long acknowledged_before[2] = {0, 0};
    long sent_after[2] = {0, 0};
};

class ToolsTest : public ::testing::Test {
protected:
    void SetUp() override { root_ = make_temp_dir(); }

    void TearDown() override {
        for (auto& server : servers_) {
            if (server->running()) {
                EXPECT_EQ(server->stop(SIGTERM), 0);
            }
        }
        servers_.clear();
        remove_tree(root_);
    }

    ServerProcess& start(const std::string& data_dir) {
        ServerOptions options;
        options.data_dir = data_dir;
        options.extra_json = world_json;
        servers_.push_back(std::make_unique<ServerProcess>(options));
        EXPECT_TRUE(servers_.back()->start()) << servers_.back()->stderr_text();
        return *servers_.back();
    }

    std::string root_;
    std::vector<std::unique_ptr<ServerProcess>> servers_;
};

TEST_F(ToolsTest, BackupsUnderLoadVerifyAndHoldAStateThatExisted) {
    std::string data = root_ + "/data";
    ServerProcess& server = start(data);
    std::uint16_t port = server.port();
    ASSERT_EQ(change(port, 1001, "12.34", "DEPOSIT").status, 200);
    ASSERT_EQ(change(port, 1002, "50", "WITHDRAW").status, 200);
    ASSERT_EQ(change(port, 1002, "3", "WITHDRAW_NONWITHDRAWABLE_BONUS").status, 200);
    // A transaction on each shard, so verify walks transactions and their indexes too.
    std::int64_t now = std::time(nullptr);
    for (std::uint64_t customer : {1, 2}) {
        std::string jwt = providers::mint_hs256(
                "test", "test-jwt-secret-0123456789abcdef0123456789", customer, now, now + 600);
        HttpResponse deposit = http_request(
                port, "POST", "/cashier/deposit",
                R"({"login":)" + std::to_string(1000 + customer) +
                        R"(,"provider":"sandbox","method":"card","amount":25,"currency":"USD"})",
                {{"Authorization", "Bearer " + jwt}, {"Content-Type", "application/json"}});
        ASSERT_EQ(deposit.status, 200) << deposit.body;
    }
    long base[2] = {balance(port, 1001), balance(port, 1002)};
    ASSERT_EQ(base[0], 11234);
    ASSERT_EQ(base[1], 15000);

    Load load(port);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (load.acknowledged_total() < 40 && !load.failed() &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_GE(load.acknowledged_total(), 40);

    std::vector<Snapshot> snapshots(3);
    for (std::size_t n = 0; n < snapshots.size(); ++n) {
        Snapshot& snapshot = snapshots[n];
        snapshot.dir = root_ + "/backup-" + std::to_string(n);
        for (std::size_t i = 0; i < 2; ++i)
            snapshot.acknowledged_before[i] = load.acknowledged(i);
        std::string output;
        EXPECT_EQ(run_cashierd({"backup", "--data", data, "--out", snapshot.dir}, &output), 0)
                << output;
        for (std::size_t i = 0; i < 2; ++i)
            snapshot.sent_after[i] = load.sent(i);
        EXPECT_NE(output.find("2 shards and global"), std::string::npos) << output;
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
    // The live data dir, while the load writes it.
    std::string live;
    EXPECT_EQ(run_cashierd({"verify", "--data", data}, &live), 0) << live;
    EXPECT_NE(live.find(" 0 problems"), std::string::npos) << live;
    long acknowledged_during_backups = load.acknowledged_total();
    load.stop();
    ASSERT_FALSE(load.failed());
    EXPECT_GT(load.acknowledged_total(),
              snapshots[0].acknowledged_before[0] + snapshots[0].acknowledged_before[1]);
    EXPECT_GE(load.acknowledged_total(), acknowledged_during_backups);

    for (const Snapshot& snapshot : snapshots) {
        std::string output;
        EXPECT_EQ(run_cashierd({"verify", "--data", snapshot.dir}, &output), 0) << output;
        EXPECT_NE(output.find("verify: 2 accounts, 2 transactions, "), std::string::npos) << output;
        EXPECT_NE(output.find(" 0 problems\n"), std::string::npos) << output;
        EXPECT_EQ(output.find("warning"), std::string::npos) << output;

        ServerProcess& restored = start(snapshot.dir);
        for (std::size_t i = 0; i < 2; ++i) {
            long deposits = balance(restored.port(), logins[i]) - base[i];
            EXPECT_EQ(deposits % 100, 0) << snapshot.dir;
            EXPECT_GE(deposits / 100, snapshot.acknowledged_before[i]) << snapshot.dir;
            EXPECT_LE(deposits / 100, snapshot.sent_after[i]) << snapshot.dir;
        }
        EXPECT_EQ(restored.stop(SIGTERM), 0);
    }

    // Every acknowledged deposit is in the live ledger, which verifies after SIGTERM.
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(balance(port, logins[i]) - base[i], 100 * load.acknowledged(i));
    }
    ASSERT_EQ(server.stop(SIGTERM), 0);
    std::string output;
    EXPECT_EQ(run_cashierd({"verify", "--data", data}, &output), 0) << output;
    long history = 3 + 3 + load.acknowledged_total();  // Seeds, changes, the load.
    EXPECT_NE(output.find("verify: 2 accounts, 2 transactions, " + std::to_string(history) +
                          " history records, 0 problems\n"),
              std::string::npos)
            << output;
}

TEST_F(ToolsTest, VerifyFailsOnACorruptedCopyAndPrintsTheProblem) {
    std::string data = root_ + "/data";
    ServerProcess& server = start(data);
    ASSERT_EQ(change(server.port(), 1001, "5", "DEPOSIT").status, 200);
    std::string copy = root_ + "/copy";
    std::string output;
    ASSERT_EQ(run_cashierd({"backup", "--data", data, "--out", copy}, &output), 0) << output;
    ASSERT_EQ(server.stop(SIGTERM), 0);

    // Customer 1 lives on shard 1: its account's balance no longer matches its history.
    {
        MDB_env* env = nullptr;
        ASSERT_EQ(mdb_env_create(&env), 0);
        mdb_env_set_maxdbs(env, 16);
        ASSERT_EQ(mdb_env_open(env, (copy + "/shard-1").c_str(), 0, 0640), 0);
        MDB_txn* txn = nullptr;
        ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
        MDB_dbi accounts = 0;
        ASSERT_EQ(mdb_dbi_open(txn, "accounts", 0, &accounts), 0);
        std::string key;
        ledger::append_key_u64(key, 1001);
        MDB_val k{key.size(), key.data()};
        MDB_val v{};
        ASSERT_EQ(mdb_get(txn, accounts, &k, &v), 0);
        ledger::AccountRecord account = ledger::AccountRecord::decode(
                std::string_view(static_cast<const char*>(v.mv_data), v.mv_size));
        EXPECT_EQ(account.balance, 10500);
        account.balance = 99999;
        std::string bytes;
        account.encode(bytes);
        MDB_val value{bytes.size(), bytes.data()};
        ASSERT_EQ(mdb_put(txn, accounts, &k, &value, 0), 0);
        ASSERT_EQ(mdb_txn_commit(txn), 0);
        mdb_env_close(env);
    }
    EXPECT_EQ(run_cashierd({"verify", "--data", copy}, &output), 1) << output;
    EXPECT_NE(output.find("shard-1: account 1001: balance 99999 != sum of its history 10500\n"),
              std::string::npos)
            << output;
    EXPECT_NE(output.find(", 1 problems\n"), std::string::npos) << output;
    // The original is untouched.
    EXPECT_EQ(run_cashierd({"verify", "--data", data}, &output), 0) << output;
}

TEST_F(ToolsTest, TheCommandsRefuseWhatTheyCannotDo) {
    std::string data = root_ + "/data";
    ServerProcess& server = start(data);
    std::string output;
    std::string busy = root_ + "/busy";
    fs::create_directories(busy);
    std::ofstream(busy + "/keep") << "x";
    EXPECT_EQ(run_cashierd({"backup", "--data", data, "--out", busy}, &output), 1);
    EXPECT_NE(output.find("not empty"), std::string::npos) << output;
    EXPECT_FALSE(fs::exists(busy + "/global"));
    ASSERT_EQ(server.stop(SIGTERM), 0);

    EXPECT_EQ(run_cashierd({"backup", "--data", root_ + "/none", "--out", root_ + "/out"}, &output),
              1);
    EXPECT_NE(output.find("no such directory"), std::string::npos) << output;
    EXPECT_FALSE(fs::exists(root_ + "/out"));
    EXPECT_EQ(run_cashierd({"verify", "--data", root_ + "/none"}, &output), 2);
    EXPECT_NE(output.find("cashierd verify: "), std::string::npos) << output;
    EXPECT_FALSE(fs::exists(root_ + "/none"));
    EXPECT_EQ(run_cashierd({"verify", "--data", busy}, &output), 2);
    EXPECT_NE(output.find("not a cashierd data dir"), std::string::npos) << output;

    EXPECT_EQ(run_cashierd({"verify"}, &output), 2);
    EXPECT_NE(output.find("--data DIR is required"), std::string::npos) << output;
    EXPECT_EQ(run_cashierd({"backup", "--data", data}, &output), 2);
    EXPECT_NE(output.find("--out DIR are required"), std::string::npos) << output;
    EXPECT_EQ(run_cashierd({"verify", "--data", data, "--out", busy}, &output), 2);
    EXPECT_NE(output.find("--out belongs to the backup command"), std::string::npos) << output;
    EXPECT_EQ(run_cashierd({"help"}, &output), 0);
    EXPECT_NE(output.find("cashierd verify --data DIR\n"), std::string::npos) << output;
    EXPECT_NE(output.find("cashierd backup --data DIR --out DIR\n"), std::string::npos) << output;
}

}  // namespace
}  // namespace cashierd::test
