// Customer withdrawals through real HTTP: the hold and the available balance, the gates and
// refusals, 30 racing withdrawals of 10 against 100 available, the customer's cancel, the back
// office's reject, approve (the hold becomes a debit and the payout is requested), payout
// confirmation and failure (the debit reversed) by the sandbox page, a signed webhook, the
// back office for bank transfers, and the sandbox's automatic payout, also across a restart.
// Every test ends with `cashierd verify` clean: balances equal their history, holds equal the
// open withdrawals.
#include <atomic>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "providers/webhook_signature.h"
#include "tests/support/http_client.h"
#include "tests/support/server_process.h"
#include "tests/support/test_world.h"

namespace cashierd::test {
namespace {

constexpr const char* sandbox_secret = "whsec_sandbox_0123456789abcdef";

// Customer 1 owns logins 1001..1009, customer 2 owns 2001; customer 3 may not withdraw.
// `sandbox` pays out by its page, `sandbox_auto` by itself after 1 s, `bank_transfer` by the
// back office; withdrawals through `sandbox` are limited to 5.00..1000.00.
std::string world_json() {
    std::string accounts;
    for (int login = 1001; login <= 1009; ++login) {
        accounts += R"({"login":)" + std::to_string(login) + R"(,"customer_id":1,"group":"usd"},)";
    }
    return R"(,"brands":[{"id":"demo","name":"Demo"}],)"
           R"("groups":[{"id":"usd","brand":"demo","currency":"USD"}],)"
           R"("providers":[{"code":"sandbox","module":"sandbox",)"
           R"("webhook_secret":"whsec_sandbox_0123456789abcdef","methods":[)"
           R"({"method":"card","method_id":1,"type":"deposit"},)"
           R"({"method":"card_payout","method_id":2,"type":"withdrawal",)"
           R"("min_amount":5,"max_amount":1000}]},)"
           R"({"code":"sandbox_auto","module":"sandbox",)"
           R"("webhook_secret":"whsec_sandbox_auto_0123456789",)"
           R"("settings":{"payout_auto_complete_seconds":1},"methods":[{"method":"card_payout","method_id":4,"type":"withdrawal"}]},)"
           R"({"code":"bank_transfer","module":"bank_transfer",)"
           R"("webhook_secret":"whsec_bank_0123456789abcdef",)"
           R"("methods":[{"method":"bank_payout","method_id":3,"type":"withdrawal"}]}],)"
           R"("customers":[{"id":1,"brand":"demo","country":"GB"},)"
           R"({"id":2,"brand":"demo","country":"DE"},)"
           R"({"id":3,"brand":"demo","country":"DE","withdrawal_allowed":false}],)"
           R"("accounts":[)" +
           accounts +
           R"({"login":2001,"customer_id":2,"group":"usd"},)"
           R"({"login":3001,"customer_id":3,"group":"usd"}])";
}

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers manager() {
    return {{"Authorization", std::string("Bearer ") + manager_token},
            {"Content-Type", "application/json"}};
}

Headers customer(std::uint64_t id) {
    return {{"Authorization", "Bearer " + token_for(id)}, {"Content-Type", "application/json"}};
}

class WithdrawalHttpTest : public ::testing::Test {
protected:
    void SetUp() override {
        data_ = make_temp_dir();
        start();
    }

    void TearDown() override {
        if (server_) {
            EXPECT_EQ(server_->stop(SIGTERM), 0);
            server_.reset();
        }
        std::string report;
        EXPECT_EQ(run_cashierd({"verify", "--data", data_}, &report), 0) << report;
        EXPECT_NE(report.find("0 problems"), std::string::npos) << report;
        remove_tree(data_);
    }

    void start() {
        ServerOptions options;
        options.shards = 2;
        options.data_dir = data_;
        options.extra_json = world_json();
        server_ = std::make_unique<ServerProcess>(options);
        ASSERT_TRUE(server_->start()) << server_->stderr_text();
    }

    std::uint16_t port() const { return server_->port(); }

    // Puts money on an account through seed 000's changebalance.
    void fund(std::uint64_t login, std::string_view amount,
              std::string_view type = "DEPOSIT") const {
        std::string body = R"({"login":)" + std::to_string(login) + R"(,"type":")" +
                           std::string(type) + R"(","preciseAmount":)" + std::string(amount) + "}";
        HttpResponse r = http_request(port(), "POST",
                                      "/webserv/traders/" + std::to_string(login) +
                                              "/changebalance?token=" + manager_token,
                                      body, {{"Content-Type", "application/json"}});
        ASSERT_EQ(r.status, 200) << r.body;
    }

    HttpResponse withdraw(std::uint64_t customer_id, std::uint64_t login, std::string_view amount,
                          std::string_view provider = "sandbox",
                          std::string_view extra = "") const {
        std::string body = R"({"login":)" + std::to_string(login) + R"(,"provider":")" +
                           std::string(provider) + R"(","amount":)" + std::string(amount) +
                           R"(,"currency":"USD")" + std::string(extra) + "}";
        return http_request(port(), "POST", "/cashier/withdrawal", body, customer(customer_id));
    }

    // A new withdrawal in review; returns its id.
    std::uint64_t review(std::uint64_t login, std::string_view amount,
                         std::string_view provider = "sandbox") const {
        HttpResponse r = withdraw(1, login, amount, provider);
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(json_field(r.body, "status"), "9") << r.body;
        EXPECT_EQ(json_field(r.body, "next_action"), "WAIT_MANUAL_REVIEW") << r.body;
        return std::stoull(json_field(r.body, "id"));
    }

    std::string account(std::uint64_t login) const {
        HttpResponse r = http_request(port(), "GET", "/admin/accounts/" + std::to_string(login), {},
                                      manager());
        EXPECT_EQ(r.status, 200) << r.body;
        return r.body;
    }

    // "balance/held/available" of an account, for one-line comparisons.
    std::string money(std::uint64_t login) const {
        std::string body = account(login);
        return json_field(body, "balance") + "/" + json_field(body, "held") + "/" +
               json_field(body, "available");
    }

    HttpResponse action(std::uint64_t id, std::string_view name) const {
        return http_request(port(), "POST",
                            "/admin/transactions/" + std::to_string(id) + "/" + std::string(name),
                            R"({"comment":"checked by the desk"})", manager());
    }

    std::string status_of(std::uint64_t id) const {
        HttpResponse r = http_request(port(), "GET", "/admin/transactions/" + std::to_string(id),
                                      {}, manager());
        EXPECT_EQ(r.status, 200) << r.body;
        return json_field(r.body.substr(r.body.find("\"transaction\"")), "status");
    }

    std::string history(std::uint64_t login) const {
        HttpResponse r =
                http_request(port(), "GET", "/admin/accounts/" + std::to_string(login) + "/history",
                             {}, manager());
        EXPECT_EQ(r.status, 200) << r.body;
        return r.body;
    }

    std::string data_;
    std::unique_ptr<ServerProcess> server_;
};

TEST_F(WithdrawalHttpTest, ARequestHoldsTheMoneyAndTheBonusIsNeverAvailable) {
    fund(1001, "100.00");
    fund(1001, "50.00", "DEPOSIT_NONWITHDRAWABLE_BONUS");
    EXPECT_EQ(money(1001), "100.00/0.00/100.00");
    std::uint64_t id = review(1001, "30.00");
    // The hold moves available, not the balance; no history record for a hold.
    EXPECT_EQ(money(1001), "100.00/30.00/70.00");
    EXPECT_EQ(history(1001).find("WITHDRAWAL"), std::string::npos) << history(1001);
    // 70.01 is more than available even though balance + bonus would cover it.
    HttpResponse r = withdraw(1, 1001, "70.01");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(json_field(r.body, "error"), "INSUFFICIENT_FUNDS");
    EXPECT_EQ(json_field(r.body, "field"), "amount");
    EXPECT_EQ(money(1001), "100.00/30.00/70.00");
    EXPECT_EQ(review(1001, "70.00") > id, true);
    EXPECT_EQ(money(1001), "100.00/100.00/0.00");
}

TEST_F(WithdrawalHttpTest, GatesAndBadRequestsAreRefusedAndMoveNothing) {
    fund(1001, "100.00");
    fund(3001, "100.00");
    auto expect_error = [](const HttpResponse& r, int status, std::string_view error,
                           std::string_view field) {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(json_field(r.body, "error"), error) << r.body;
        if (!field.empty()) {
            EXPECT_EQ(json_field(r.body, "field"), field) << r.body;
        }
    };
    expect_error(withdraw(3, 3001, "10"), 403, "WITHDRAWAL_NOT_ALLOWED", "");
    expect_error(withdraw(2, 1001, "10"), 403, "PERMISSION_DENIED", "login");
    expect_error(withdraw(1, 9999, "10"), 400, "ACCOUNT_NOT_AVAILABLE", "login");
    expect_error(withdraw(1, 1001, "10", "nope"), 403, "PAYMENT_METHOD_NOT_AVAILABLE", "provider");
    // A deposit method is not a withdrawal method.
    expect_error(withdraw(1, 1001, "10", "sandbox", R"(,"method":"card")"), 403,
                 "PAYMENT_METHOD_NOT_AVAILABLE", "method");
    expect_error(withdraw(1, 1001, "4.99"), 400, "INVALID_DATA", "amount");
    expect_error(withdraw(1, 1001, "0"), 400, "INVALID_DATA", "amount");
    expect_error(withdraw(1, 1001, "-5"), 400, "INVALID_DATA", "amount");
    expect_error(withdraw(1, 1001, "10.001"), 400, "INVALID_DATA", "amount");
    expect_error(withdraw(1, 1001, "\"10\""), 400, "INVALID_DATA", "amount");
    expect_error(withdraw(1, 1001, "10", "sandbox", R"(,"details":"iban")"), 400, "INVALID_DATA",
                 "details");
    expect_error(http_request(port(), "POST", "/cashier/withdrawal",
                              R"({"login":1001,"login":1002,"provider":"sandbox","amount":10,)"
                              R"("currency":"USD"})",
                              customer(1)),
                 400, "INVALID_DATA", "login");
    expect_error(http_request(port(), "POST", "/cashier/withdrawal", R"({"login":1001})",
                              {{"Content-Type", "application/json"}}),
                 401, "UNAUTHORIZED", "");
    HttpResponse other_currency = http_request(
            port(), "POST", "/cashier/withdrawal",
            R"({"login":1001,"provider":"sandbox","amount":10,"currency":"EUR"})", customer(1));
    expect_error(other_currency, 400, "CURRENCY_CONVERSION_REQUIRED", "currency");
    EXPECT_EQ(money(1001), "100.00/0.00/100.00");
    EXPECT_EQ(money(3001), "100.00/0.00/100.00");
}

TEST_F(WithdrawalHttpTest, IdempotencyKeyPlacesOneHold) {
    fund(1001, "100.00");
    const std::string key = R"(,"idempotency_key":"wd-1","details":{"iban":"GB00TEST"})";
    HttpResponse first = withdraw(1, 1001, "40.00", "sandbox", key);
    ASSERT_EQ(first.status, 200) << first.body;
    HttpResponse again = withdraw(1, 1001, "40.00", "sandbox", key);
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(json_field(again.body, "id"), json_field(first.body, "id"));
    EXPECT_EQ(money(1001), "100.00/40.00/60.00");
    HttpResponse different = withdraw(1, 1001, "41.00", "sandbox", key);
    EXPECT_EQ(different.status, 409) << different.body;
    EXPECT_EQ(json_field(different.body, "error"), "RET_ERR_DUPLICATE");
    EXPECT_EQ(money(1001), "100.00/40.00/60.00");
}

// 30 withdrawals of 10.00 racing against 100.00 available, on one account: exactly 10 hold,
// the rest are INSUFFICIENT_FUNDS, and available never goes below zero.
TEST_F(WithdrawalHttpTest, ThirtyRacingWithdrawalsOfTenAgainstOneHundred) {
    fund(1002, "100.00");
    std::atomic<int> ok{0};
    std::atomic<int> insufficient{0};
    std::atomic<int> other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 30; ++i) {
        threads.emplace_back([&] {
            HttpResponse r = withdraw(1, 1002, "10.00");
            if (r.status == 200) {
                ++ok;
            } else if (r.status == 400 && json_field(r.body, "error") == "INSUFFICIENT_FUNDS") {
                ++insufficient;
            } else {
                ++other;
            }
        });
    }
    for (std::thread& t : threads)
        t.join();
    EXPECT_EQ(ok.load(), 10);
    EXPECT_EQ(insufficient.load(), 20);
    EXPECT_EQ(other.load(), 0);
    EXPECT_EQ(money(1002), "100.00/100.00/0.00");
    HttpResponse listed = http_request(
            port(), "GET", "/admin/transactions?login=1002&status=manual_review&limit=200", {},
            manager());
    std::size_t count = 0;
    for (std::size_t at = listed.body.find("\"type\":1"); at != std::string::npos;
         at = listed.body.find("\"type\":1", at + 1))
        ++count;
    EXPECT_EQ(count, 10u) << listed.body;
}

TEST_F(WithdrawalHttpTest, CustomerCancelsInReviewOnlyAndOnlyTheirOwn) {
    fund(1001, "100.00");
    std::uint64_t id = review(1001, "25.00");
    std::string path = "/cashier/withdrawal/" + std::to_string(id) + "/cancel";
    HttpResponse other = http_request(port(), "POST", path, {}, customer(2));
    EXPECT_EQ(other.status, 404) << other.body;
    EXPECT_EQ(money(1001), "100.00/25.00/75.00");
    HttpResponse cancelled = http_request(port(), "POST", path, {}, customer(1));
    ASSERT_EQ(cancelled.status, 200) << cancelled.body;
    EXPECT_EQ(json_field(cancelled.body, "status"), "6");
    EXPECT_EQ(money(1001), "100.00/0.00/100.00");
    HttpResponse twice = http_request(port(), "POST", path, {}, customer(1));
    EXPECT_EQ(twice.status, 409) << twice.body;
    EXPECT_EQ(json_field(twice.body, "error"), "TRANSITION_NOT_ALLOWED");
    // Once approved, the customer can no longer take it back.
    std::uint64_t approved = review(1001, "10.00");
    ASSERT_EQ(action(approved, "approve").status, 200);
    HttpResponse late = http_request(port(), "POST",
                                     "/cashier/withdrawal/" + std::to_string(approved) + "/cancel",
                                     {}, customer(1));
    EXPECT_EQ(late.status, 409) << late.body;
    EXPECT_EQ(money(1001), "90.00/0.00/90.00");
}

TEST_F(WithdrawalHttpTest, RejectReleasesTheHoldExactly) {
    fund(1003, "100.00");
    std::uint64_t id = review(1003, "33.33");
    EXPECT_EQ(money(1003), "100.00/33.33/66.67");
    HttpResponse r = action(id, "reject");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_field(r.body, "status"), "6");
    EXPECT_EQ(money(1003), "100.00/0.00/100.00");
    EXPECT_EQ(action(id, "approve").status, 409);
    EXPECT_EQ(money(1003), "100.00/0.00/100.00");
}

// Approve: the hold becomes a debit with its history record and the sandbox payout is
// requested; its page's Pay confirms it (final), Fail reverses the debit.
TEST_F(WithdrawalHttpTest, SandboxPayoutConfirmedOrFailedByItsPage) {
    fund(1004, "100.00");
    std::uint64_t paid = review(1004, "20.00");
    std::uint64_t failed = review(1004, "30.00");
    EXPECT_EQ(money(1004), "100.00/50.00/50.00");
    for (std::uint64_t id : {paid, failed}) {
        HttpResponse r = action(id, "approve");
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(json_field(r.body, "status"), "1");
        EXPECT_EQ(json_field(r.body, "provider_payment_id"), "sbx_" + std::to_string(id));
    }
    EXPECT_EQ(money(1004), "50.00/0.00/50.00");
    std::string page = "/sandbox/pay/" + std::to_string(paid);
    HttpResponse shown = http_request(port(), "GET", page);
    ASSERT_EQ(shown.status, 200) << shown.body;
    EXPECT_NE(shown.body.find("Sandbox payout"), std::string::npos);
    EXPECT_NE(shown.body.find("id=\"pay\""), std::string::npos);
    EXPECT_EQ(shown.body.find("id=\"cancel\""), std::string::npos);

    EXPECT_EQ(http_request(port(), "POST", page + "/pay").status, 303);
    EXPECT_EQ(status_of(paid), "2");
    EXPECT_EQ(
            http_request(port(), "POST", "/sandbox/pay/" + std::to_string(failed) + "/fail").status,
            303);
    EXPECT_EQ(status_of(failed), "5");
    // 100 - 20 (paid out); the failed 30 came back with its own history record.
    EXPECT_EQ(money(1004), "80.00/0.00/80.00");
    std::string records = history(1004);
    EXPECT_NE(records.find("WITHDRAWAL_REVERSAL"), std::string::npos) << records;
    // Final: nothing moves it again.
    EXPECT_EQ(http_request(port(), "POST", page + "/fail").status, 303);
    EXPECT_EQ(status_of(paid), "2");
    EXPECT_EQ(action(paid, "fail_payout").status, 409);
    EXPECT_EQ(money(1004), "80.00/0.00/80.00");
}

TEST_F(WithdrawalHttpTest, SignedPayoutWebhookConfirmsOnce) {
    fund(1005, "100.00");
    std::uint64_t id = review(1005, "60.00");
    ASSERT_EQ(action(id, "approve").status, 200);
    std::string body = R"({"id":"evt_po_1","transaction_id":)" + std::to_string(id) +
                       R"(,"status":"succeeded","amount":60.00,"currency":"USD"})";
    std::string signature = providers::sign_webhook(sandbox_secret, std::time(nullptr), body);
    Headers headers = {{"X-Cashier-Signature", signature}, {"Content-Type", "application/json"}};
    HttpResponse r = http_request(port(), "POST", "/cashier/webhook/sandbox", body, headers);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_field(r.body, "applied"), "true");
    EXPECT_EQ(status_of(id), "2");
    // A failure arriving after the confirmation changes nothing.
    std::string late = R"({"id":"evt_po_2","transaction_id":)" + std::to_string(id) +
                       R"(,"status":"failed","amount":60.00,"currency":"USD"})";
    HttpResponse refused =
            http_request(port(), "POST", "/cashier/webhook/sandbox", late,
                         {{"X-Cashier-Signature",
                           providers::sign_webhook(sandbox_secret, std::time(nullptr), late)},
                          {"Content-Type", "application/json"}});
    ASSERT_EQ(refused.status, 200) << refused.body;
    EXPECT_EQ(json_field(refused.body, "applied"), "false");
    EXPECT_EQ(money(1005), "40.00/0.00/40.00");
}

TEST_F(WithdrawalHttpTest, BankPayoutsAreSettledByTheBackOffice) {
    fund(1006, "100.00");
    std::uint64_t sent = review(1006, "10.00", "bank_transfer");
    std::uint64_t bounced = review(1006, "15.00", "bank_transfer");
    // Not approved yet: there is no payout to confirm.
    EXPECT_EQ(action(sent, "confirm_payout").status, 409);
    ASSERT_EQ(action(sent, "approve").status, 200);
    ASSERT_EQ(action(bounced, "approve").status, 200);
    EXPECT_EQ(money(1006), "75.00/0.00/75.00");
    // Bank payouts are not played by the sandbox page.
    EXPECT_EQ(http_request(port(), "GET", "/sandbox/pay/" + std::to_string(sent)).status, 404);
    HttpResponse confirmed = action(sent, "confirm_payout");
    ASSERT_EQ(confirmed.status, 200) << confirmed.body;
    EXPECT_EQ(json_field(confirmed.body, "status"), "2");
    EXPECT_EQ(json_field(confirmed.body, "provider_payment_id"), "CSH-" + std::to_string(sent));
    HttpResponse failed = action(bounced, "fail_payout");
    ASSERT_EQ(failed.status, 200) << failed.body;
    EXPECT_EQ(json_field(failed.body, "status"), "5");
    EXPECT_EQ(money(1006), "90.00/0.00/90.00");
    // A deposit action means nothing for a withdrawal.
    EXPECT_EQ(action(sent, "refund").status, 409);
}

// sandbox_auto confirms its payouts 1 s after approval. A payout whose moment comes while the
// server is down is found again from the ledger at the next start and confirmed then.
TEST_F(WithdrawalHttpTest, SandboxAutomaticPayoutAlsoAcrossARestart) {
    fund(1007, "100.00");
    std::uint64_t first = review(1007, "10.00", "sandbox_auto");
    ASSERT_EQ(action(first, "approve").status, 200);
    std::string status;
    for (int i = 0; i < 100 && (status = status_of(first)) != "2"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(status, "2");

    // A longer delay, so the server is down when it ends.
    HttpResponse put = http_request(
            port(), "PUT", "/admin/providers/sandbox_auto",
            R"({"module":"sandbox","enabled":true,"webhook_secret":"whsec_sandbox_auto_0123456789",)"
            R"("settings":{"payout_auto_complete_seconds":"4"},)"
            R"("methods":[{"method":"card_payout","method_id":4,"type":"withdrawal"}]})",
            manager());
    ASSERT_EQ(put.status, 200) << put.body;
    std::uint64_t second = review(1007, "20.00", "sandbox_auto");
    ASSERT_EQ(action(second, "approve").status, 200);
    ASSERT_EQ(server_->stop(SIGTERM), 0);
    std::int64_t restarted = std::time(nullptr);
    start();
    for (int i = 0; i < 200 && (status = status_of(second)) != "2"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(status, "2");
    HttpResponse detail = http_request(
            port(), "GET", "/admin/transactions/" + std::to_string(second), {}, manager());
    // The confirmation is the sandbox's, and it came after the restart.
    std::string confirmed = detail.body.substr(detail.body.find(R"("status":2,"actor")"));
    EXPECT_EQ(json_field(confirmed, "actor"), "provider:sandbox_auto") << detail.body;
    EXPECT_GE(std::stoll(json_field(confirmed, "time")), restarted) << detail.body;
    EXPECT_EQ(money(1007), "70.00/0.00/70.00");
}

}  // namespace
}  // namespace cashierd::test
