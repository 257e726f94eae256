// Provider webhooks and the deposit lifecycle through real HTTP: signed sandbox and bank
// events crediting exactly once (replays, 50 distinct events racing), every signature and
// timestamp refusal, amount mismatches to manual review, refunds and chargebacks (negative
// balances flagged), credit_failed and recredit, the back office's actions with who and why,
// listings across shards, the sandbox page's buttons, and the outbox lines they all leave.
#include <atomic>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
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
constexpr const char* bank_secret = "whsec_bank_0123456789abcdef";

const char* world_json =
        R"(,"brands":[{"id":"demo","name":"Demo"}],)"
        R"("groups":[{"id":"usd","brand":"demo","currency":"USD"}],)"
        R"("providers":[{"code":"sandbox","module":"sandbox",)"
        R"("webhook_secret":"whsec_sandbox_0123456789abcdef",)"
        R"("methods":[{"method":"card","method_id":1,"type":"deposit","currencies":["USD"]}]},)"
        R"({"code":"bank_transfer","module":"bank_transfer",)"
        R"("webhook_secret":"whsec_bank_0123456789abcdef",)"
        R"("methods":[{"method":"bank_transfer","method_id":3,"type":"deposit"}]},)"
        R"({"code":"stripe","module":"stripe","webhook_secret":"whsec_stripe_0123456789",)"
        R"("methods":[{"method":"card","method_id":9}]}],)"
        R"("customers":[{"id":1,"brand":"demo","country":"GB"},)"
        R"({"id":2,"brand":"demo","country":"DE"}],)"
        R"("accounts":[{"login":1001,"customer_id":1,"group":"usd"},)"
        R"({"login":1002,"customer_id":2,"group":"usd"},)"
        R"({"login":1003,"customer_id":1,"group":"usd"}])";

using Headers = std::vector<std::pair<std::string, std::string>>;

class WebhookTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ServerOptions options;
        options.shards = 2;
        options.extra_json = world_json;
        server_ = new ServerProcess(options);
        ASSERT_TRUE(server_->start()) << server_->stderr_text();
    }

    static void TearDownTestSuite() {
        EXPECT_EQ(server_->stop(SIGTERM), 0);
        delete server_;
        server_ = nullptr;
    }

    static std::uint16_t port() { return server_->port(); }

    static Headers manager() { return {{"Authorization", std::string("Bearer ") + manager_token}}; }

    // A new pending deposit; returns its id.
    static std::uint64_t deposit(std::uint64_t customer, std::uint64_t login,
                                 std::string_view amount, std::string_view provider = "sandbox") {
        std::string body = R"({"login":)" + std::to_string(login) + R"(,"provider":")" +
                           std::string(provider) + R"(","amount":)" + std::string(amount) +
                           R"(,"currency":"USD","success_url":"https://broker.example/ok"})";
        HttpResponse r = http_request(port(), "POST", "/cashier/deposit", body,
                                      {{"Authorization", "Bearer " + token_for(customer)},
                                       {"Content-Type", "application/json"}});
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(json_field(r.body, "status"), "1") << r.body;
        return std::stoull(json_field(r.body, "id"));
    }

    static std::string sandbox_event(std::uint64_t id, std::string_view status,
                                     std::string_view amount, std::string_view event_id,
                                     std::string_view currency = "USD") {
        return R"({"id":")" + std::string(event_id) + R"(","transaction_id":)" +
               std::to_string(id) + R"(,"provider_payment_id":"sbx_)" + std::to_string(id) +
               R"(","status":")" + std::string(status) + R"(","amount":)" + std::string(amount) +
               R"(,"currency":")" + std::string(currency) + R"("})";
    }

    static HttpResponse post_webhook(std::string_view provider, const std::string& body,
                                     const std::string& signature,
                                     std::string_view header = "X-Cashier-Signature") {
        return http_request(
                port(), "POST", "/cashier/webhook/" + std::string(provider), body,
                {{std::string(header), signature}, {"Content-Type", "application/json"}});
    }

    static HttpResponse signed_webhook(std::string_view provider, const std::string& body,
                                       const char* secret = sandbox_secret, std::int64_t skew = 0) {
        std::int64_t now = std::time(nullptr) + skew;
        return post_webhook(provider, body, providers::sign_webhook(secret, now, body));
    }

    static std::string account(std::uint64_t login) {
        HttpResponse r = http_request(port(), "GET", "/admin/accounts/" + std::to_string(login), {},
                                      manager());
        EXPECT_EQ(r.status, 200) << r.body;
        return r.body;
    }

    static std::string balance(std::uint64_t login) {
        return json_field(account(login), "balance");
    }

    static HttpResponse action(std::uint64_t id, std::string_view name,
                               std::string_view comment = "checked the bank statement") {
        Headers headers = manager();
        headers.emplace_back("Content-Type", "application/json");
        return http_request(port(), "POST",
                            "/admin/transactions/" + std::to_string(id) + "/" + std::string(name),
                            R"({"comment":")" + std::string(comment) + R"("})", headers);
    }

    static std::string detail(std::uint64_t id) {
        HttpResponse r = http_request(port(), "GET", "/admin/transactions/" + std::to_string(id),
                                      {}, manager());
        EXPECT_EQ(r.status, 200) << r.body;
        return r.body;
    }

    static std::string status_of(std::uint64_t id) {
        std::string body = detail(id);
        return json_field(body.substr(body.find("\"transaction\"")), "status");
    }

    static ServerProcess* server_;
};

ServerProcess* WebhookTest::server_ = nullptr;

// A transaction's balance tests own one account each, so they cannot disturb one another.
TEST_F(WebhookTest, SuccessCreditsOnceAndAReplayMovesNothing) {
    std::string before = balance(1002);
    std::uint64_t id = deposit(2, 1002, "250.00");
    std::string body = sandbox_event(id, "succeeded", "250.0", "evt_success_" + std::to_string(id));
    std::int64_t now = std::time(nullptr);
    std::string signature = providers::sign_webhook(sandbox_secret, now, body);
    HttpResponse first = post_webhook("sandbox", body, signature);
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(json_field(first.body, "applied"), "true");
    EXPECT_EQ(json_field(first.body, "outcome"), "applied");
    EXPECT_EQ(json_field(first.body, "status"), "3");
    EXPECT_EQ(std::stod(balance(1002)) - std::stod(before), 250.0);

    // The same delivery again (a provider retry): acknowledged, nothing moves.
    HttpResponse replay = post_webhook("sandbox", body, signature);
    ASSERT_EQ(replay.status, 200) << replay.body;
    EXPECT_EQ(json_field(replay.body, "applied"), "false");
    EXPECT_EQ(json_field(replay.body, "outcome"), "replayed");
    EXPECT_EQ(std::stod(balance(1002)) - std::stod(before), 250.0);

    // One history record for the credit, naming the transaction.
    HttpResponse history =
            http_request(port(), "GET", "/admin/accounts/1002/history?limit=1", {}, manager());
    EXPECT_NE(history.body.find("DEPOSIT_CREDIT"), std::string::npos) << history.body;
    EXPECT_NE(history.body.find("\"transaction_id\":" + std::to_string(id)), std::string::npos)
            << history.body;

    // Status changes name the provider as the actor.
    std::string changes = detail(id);
    EXPECT_NE(changes.find(R"("previous_status":1,"status":2,"actor":"provider:sandbox")"),
              std::string::npos)
            << changes;
    EXPECT_NE(changes.find(R"("previous_status":2,"status":3)"), std::string::npos) << changes;
}

TEST_F(WebhookTest, FiftyDistinctSuccessEventsRacingCreditOnce) {
    std::string before = balance(1001);
    std::uint64_t id = deposit(1, 1001, "10.00");
    std::atomic<int> applied{0};
    std::atomic<int> acknowledged{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 50; ++i) {
        threads.emplace_back([&, i] {
            std::string body =
                    sandbox_event(id, "succeeded", "10.00",
                                  "evt_race_" + std::to_string(id) + "_" + std::to_string(i));
            HttpResponse r = signed_webhook("sandbox", body);
            if (r.status == 200) ++acknowledged;
            if (json_field(r.body, "applied") == "true") ++applied;
        });
    }
    for (std::thread& t : threads)
        t.join();
    EXPECT_EQ(acknowledged.load(), 50);
    EXPECT_EQ(applied.load(), 1);
    EXPECT_NEAR(std::stod(balance(1001)) - std::stod(before), 10.0, 1e-9);
    EXPECT_EQ(status_of(id), "3");
}

TEST_F(WebhookTest, SignatureAndTimestampFailuresAre401AndCounted) {
    std::uint64_t id = deposit(1, 1001, "20.00");
    std::string body = sandbox_event(id, "succeeded", "20.00", "evt_sig_" + std::to_string(id));
    std::int64_t now = std::time(nullptr);
    auto metric = [] {
        HttpResponse m = http_request(port(), "GET", "/metrics");
        std::istringstream lines(m.body);
        std::uint64_t total = 0;
        for (std::string line; std::getline(lines, line);) {
            if (line.rfind("cashierd_webhook_signature_failures_total{", 0) == 0) {
                total += std::stoull(line.substr(line.rfind(' ') + 1));
            }
        }
        return total;
    };
    std::uint64_t failures_before = metric();

    struct Case {
        const char* name;
        std::string signature;
    };

    std::string good = providers::sign_webhook(sandbox_secret, now, body);
    std::string flipped = good;
    flipped.back() = flipped.back() == '0' ? '1' : '0';
    std::vector<Case> cases = {
            {"wrong secret", providers::sign_webhook("whsec_wrong_0123456789", now, body)},
            {"flipped digit", flipped},
            // Well outside ±300 s: the server's clock may tick between signing and checking
            // (the exact boundary is unit-tested with a fixed clock).
            {"stale", providers::sign_webhook(sandbox_secret, now - 330, body)},
            {"future", providers::sign_webhook(sandbox_secret, now + 330, body)},
            {"no v1", "t=" + std::to_string(now)},
            {"garbage", "hello"},
    };
    for (const Case& c : cases) {
        HttpResponse r = post_webhook("sandbox", body, c.signature);
        EXPECT_EQ(r.status, 401) << c.name << ": " << r.body;
        EXPECT_EQ(json_field(r.body, "error"), "INVALID_SIGNATURE") << c.name;
    }
    HttpResponse missing = http_request(port(), "POST", "/cashier/webhook/sandbox", body,
                                        {{"Content-Type", "application/json"}});
    EXPECT_EQ(missing.status, 401) << missing.body;
    // The body changed after signing.
    std::string tampered = sandbox_event(id, "succeeded", "2000.00", "evt_sig_x");
    EXPECT_EQ(post_webhook("sandbox", tampered, good).status, 401);
    // Another provider's secret does not sign for this one.
    EXPECT_EQ(signed_webhook("sandbox", body, bank_secret).status, 401);
    EXPECT_EQ(metric() - failures_before, cases.size() + 3);
    // None of it moved the transaction.
    EXPECT_EQ(status_of(id), "1");
    // Within the tolerance it is accepted.
    EXPECT_EQ(signed_webhook("sandbox", body, sandbox_secret, -270).status, 200);
}

TEST_F(WebhookTest, UnknownProviderAndTransactionAre404) {
    std::string body = sandbox_event(999999999, "succeeded", "1.00", "evt_unknown");
    HttpResponse unknown_provider = signed_webhook("nosuch", body);
    EXPECT_EQ(unknown_provider.status, 404) << unknown_provider.body;
    EXPECT_EQ(json_field(unknown_provider.body, "error"), "NOT_FOUND");
    HttpResponse unknown_transaction = signed_webhook("sandbox", body);
    EXPECT_EQ(unknown_transaction.status, 404) << unknown_transaction.body;
    EXPECT_EQ(json_field(unknown_transaction.body, "error"), "NOT_FOUND");
    // A bank_transfer deposit is not the sandbox provider's to confirm.
    std::uint64_t bank = deposit(1, 1001, "30.00", "bank_transfer");
    HttpResponse foreign =
            signed_webhook("sandbox", sandbox_event(bank, "succeeded", "30.00", "evt_foreign"));
    EXPECT_EQ(foreign.status, 404) << foreign.body;
    EXPECT_EQ(status_of(bank), "1");
}

TEST_F(WebhookTest, MalformedSignedBodiesAre400) {
    std::uint64_t id = deposit(1, 1001, "20.00");
    std::string duplicated = R"({"id":"evt_dup","transaction_id":)" + std::to_string(id) +
                             R"(,"status":"succeeded","amount":20.00,"amount":2000.00,)"
                             R"("currency":"USD"})";
    HttpResponse dup = signed_webhook("sandbox", duplicated);
    EXPECT_EQ(dup.status, 400) << dup.body;
    EXPECT_EQ(json_field(dup.body, "error"), "INVALID_DATA");
    HttpResponse status =
            signed_webhook("sandbox", sandbox_event(id, "paid", "20.00", "evt_bad_status"));
    EXPECT_EQ(status.status, 400) << status.body;
    EXPECT_EQ(json_field(status.body, "field"), "status");
    EXPECT_EQ(status_of(id), "1");
}

TEST_F(WebhookTest, AmountMismatchGoesToManualReviewAndTheBackOfficeDecides) {
    std::string before = balance(1001);
    std::uint64_t id = deposit(1, 1001, "40.00");
    HttpResponse r = signed_webhook(
            "sandbox", sandbox_event(id, "succeeded", "400.00", "evt_mm_" + std::to_string(id)));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_field(r.body, "outcome"), "amount_mismatch");
    EXPECT_EQ(json_field(r.body, "status"), "9");
    EXPECT_EQ(json_field(r.body, "failure_reason"), "amount_mismatch");
    EXPECT_EQ(balance(1001), before);
    // A currency mismatch too.
    std::uint64_t other = deposit(1, 1001, "40.00");
    HttpResponse eur = signed_webhook(
            "sandbox", sandbox_event(other, "succeeded", "40.00", "evt_mm_eur", "EUR"));
    EXPECT_EQ(json_field(eur.body, "status"), "9") << eur.body;

    // The review queue lists both, whichever shard they live on.
    HttpResponse queue =
            http_request(port(), "GET", "/admin/transactions?status=manual_review", {}, manager());
    ASSERT_EQ(queue.status, 200) << queue.body;
    EXPECT_NE(queue.body.find("\"id\":" + std::to_string(id) + ","), std::string::npos);
    EXPECT_NE(queue.body.find("\"id\":" + std::to_string(other) + ","), std::string::npos);

    HttpResponse approved = action(id, "approve", "customer sent proof of 40.00");
    ASSERT_EQ(approved.status, 200) << approved.body;
    EXPECT_EQ(json_field(approved.body, "status"), "3");
    EXPECT_NEAR(std::stod(balance(1001)) - std::stod(before), 40.0, 1e-9);
    // Who and why are on the record.
    std::string changes = detail(id);
    EXPECT_NE(changes.find(R"("previous_status":9,"status":3,"actor":"manager#0",)"
                           R"("comment":"customer sent proof of 40.00")"),
              std::string::npos)
            << changes;
    // Approving twice is not a second credit.
    HttpResponse again = action(id, "approve");
    EXPECT_EQ(again.status, 409) << again.body;
    EXPECT_EQ(json_field(again.body, "error"), "TRANSITION_NOT_ALLOWED");
    EXPECT_NEAR(std::stod(balance(1001)) - std::stod(before), 40.0, 1e-9);

    HttpResponse rejected = action(other, "reject", "amount never arrived");
    ASSERT_EQ(rejected.status, 200) << rejected.body;
    EXPECT_EQ(json_field(rejected.body, "status"), "5");
    EXPECT_NEAR(std::stod(balance(1001)) - std::stod(before), 40.0, 1e-9);
}

TEST_F(WebhookTest, RefundAndChargebackDebitAndFlagANegativeBalance) {
    // Customer 2's login 1002 is shared with the first test: measure from here.
    std::uint64_t id = deposit(2, 1002, "70.00");
    ASSERT_EQ(
            signed_webhook("sandbox", sandbox_event(id, "succeeded", "70.00", "evt_rf_ok")).status,
            200);
    std::string credited = balance(1002);
    HttpResponse refund =
            signed_webhook("sandbox", sandbox_event(id, "refunded", "70.00", "evt_rf_refund"));
    ASSERT_EQ(refund.status, 200) << refund.body;
    EXPECT_EQ(json_field(refund.body, "status"), "7");
    EXPECT_NEAR(std::stod(credited) - std::stod(balance(1002)), 70.0, 1e-9);
    // A chargeback after a refund is not a transition: nothing moves.
    HttpResponse late =
            signed_webhook("sandbox", sandbox_event(id, "chargeback", "70.00", "evt_rf_cb"));
    EXPECT_EQ(json_field(late.body, "applied"), "false") << late.body;
    EXPECT_NEAR(std::stod(credited) - std::stod(balance(1002)), 70.0, 1e-9);

    // Login 1003 is only used here: credit 50, withdraw it by changebalance, then the
    // chargeback takes the balance to -50 and flags it.
    std::uint64_t cb = deposit(1, 1003, "50.00");
    ASSERT_EQ(
            signed_webhook("sandbox", sandbox_event(cb, "succeeded", "50.00", "evt_cb_ok")).status,
            200);
    HttpResponse spent = http_request(
            port(), "POST",
            std::string("/webserv/traders/1003/changebalance?token=") + manager_token,
            R"({"login":1003,"type":"WITHDRAW","preciseAmount":50,"comment":"trading loss"})",
            {{"Content-Type", "application/json"}});
    ASSERT_EQ(spent.status, 200) << spent.body;
    EXPECT_EQ(json_field(account(1003), "negative_since"), "null");
    HttpResponse chargeback = action(cb, "chargeback", "issuer dispute 123");
    ASSERT_EQ(chargeback.status, 200) << chargeback.body;
    EXPECT_EQ(json_field(chargeback.body, "status"), "8");
    std::string flagged = account(1003);
    EXPECT_EQ(json_field(flagged, "balance"), "-50.00") << flagged;
    EXPECT_EQ(json_field(flagged, "negative"), "true");
    EXPECT_NE(json_field(flagged, "negative_since"), "null");
    // Refund of a charged-back deposit: not allowed.
    EXPECT_EQ(action(cb, "refund").status, 409);
}

TEST_F(WebhookTest, CreditFailedOnADisabledAccountThenRecredit) {
    std::uint64_t id = deposit(2, 1002, "15.00");
    auto put_account = [](bool enabled) {
        Headers headers = manager();
        headers.emplace_back("Content-Type", "application/json");
        HttpResponse r = http_request(port(), "PUT", "/admin/accounts/1002",
                                      std::string(R"({"customer_id":2,"group":"usd","enabled":)") +
                                              (enabled ? "true" : "false") + "}",
                                      headers);
        ASSERT_EQ(r.status, 200) << r.body;
    };
    put_account(false);
    std::string before = balance(1002);
    HttpResponse r = signed_webhook("sandbox", sandbox_event(id, "succeeded", "15.00", "evt_cf"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_field(r.body, "status"), "4");
    EXPECT_EQ(json_field(r.body, "failure_reason"), "account_disabled");
    EXPECT_EQ(balance(1002), before);
    EXPECT_EQ(action(id, "approve").status, 409);
    HttpResponse still_disabled = action(id, "recredit");
    EXPECT_EQ(still_disabled.status, 400) << still_disabled.body;
    EXPECT_EQ(json_field(still_disabled.body, "error"), "ACCOUNT_NOT_AVAILABLE");
    put_account(true);
    HttpResponse recredited = action(id, "recredit", "account reopened");
    ASSERT_EQ(recredited.status, 200) << recredited.body;
    EXPECT_EQ(json_field(recredited.body, "status"), "3");
    EXPECT_NEAR(std::stod(balance(1002)) - std::stod(before), 15.0, 1e-9);
}

TEST_F(WebhookTest, BackOfficeRefusesBadActions) {
    std::uint64_t id = deposit(1, 1001, "12.00");
    EXPECT_EQ(action(id, "refund").status, 409);    // Not credited.
    EXPECT_EQ(action(id, "approve").status, 409);   // Not in review.
    EXPECT_EQ(action(id, "recredit").status, 409);  // Not credit_failed.
    EXPECT_EQ(action(id, "explode").status, 404);   // No such action.
    EXPECT_EQ(action(999999999, "approve").status, 404);
    Headers headers = manager();
    headers.emplace_back("Content-Type", "application/json");
    HttpResponse no_comment =
            http_request(port(), "POST", "/admin/transactions/" + std::to_string(id) + "/approve",
                         "{}", headers);
    EXPECT_EQ(no_comment.status, 400);
    EXPECT_EQ(json_field(no_comment.body, "field"), "comment");
    HttpResponse no_token =
            http_request(port(), "POST", "/admin/transactions/" + std::to_string(id) + "/approve",
                         R"({"comment":"x"})", {{"Content-Type", "application/json"}});
    EXPECT_EQ(no_token.status, 401);
    EXPECT_EQ(status_of(id), "1");
}

TEST_F(WebhookTest, ListingFiltersAndPagesAcrossShards) {
    std::set<std::uint64_t> mine;
    for (int i = 0; i < 3; ++i) {
        mine.insert(deposit(1, 1001, "11.00"));
        mine.insert(deposit(2, 1002, "11.00"));
    }
    // Page through everything two at a time: newest first, each transaction once.
    std::set<std::uint64_t> seen;
    std::uint64_t previous = UINT64_MAX;
    std::string cursor;
    for (int pages = 0; pages < 1000; ++pages) {
        std::string path = "/admin/transactions?limit=2&type=deposit";
        if (!cursor.empty()) path += "&cursor=" + cursor;
        HttpResponse page = http_request(port(), "GET", path, {}, manager());
        ASSERT_EQ(page.status, 200) << page.body;
        for (std::size_t at = page.body.find("{\"id\":"); at != std::string::npos;
             at = page.body.find("{\"id\":", at + 1)) {
            std::uint64_t id = std::stoull(page.body.substr(at + 6));
            EXPECT_LT(id, previous);
            previous = id;
            EXPECT_TRUE(seen.insert(id).second) << id;
        }
        cursor = json_field(page.body, "next_cursor");
        if (cursor == "null") break;
    }
    for (std::uint64_t id : mine)
        EXPECT_TRUE(seen.count(id)) << id;
    // By login: only that login's.
    HttpResponse by_login =
            http_request(port(), "GET", "/admin/transactions?login=1002&limit=200", {}, manager());
    ASSERT_EQ(by_login.status, 200);
    EXPECT_EQ(by_login.body.find("\"login\":1001"), std::string::npos);
    EXPECT_NE(by_login.body.find("\"login\":1002"), std::string::npos);
    EXPECT_EQ(http_request(port(), "GET", "/admin/transactions?status=nope", {}, manager()).status,
              400);
    EXPECT_EQ(http_request(port(), "GET", "/admin/transactions?login=77", {}, manager()).status,
              404);
}

TEST_F(WebhookTest, BankNotificationCreditsByReference) {
    std::string before = balance(1001);
    std::uint64_t id = deposit(1, 1001, "55.50", "bank_transfer");
    std::string body = R"({"id":"bank_ntf_)" + std::to_string(id) + R"(","reference":"CSH-)" +
                       std::to_string(id) +
                       R"(","status":"succeeded","amount":"55.50","currency":"USD"})";
    HttpResponse r = signed_webhook("bank_transfer", body, bank_secret);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_field(r.body, "status"), "3");
    EXPECT_NEAR(std::stod(balance(1001)) - std::stod(before), 55.5, 1e-9);
}

TEST_F(WebhookTest, StripeEventsAreVerifiedAndUnknownTypesAcknowledged) {
    std::int64_t now = std::time(nullptr);
    std::string ignored = R"({"id":"evt_1","type":"customer.created","data":{"object":{}}})";
    HttpResponse ok = post_webhook("stripe", ignored,
                                   providers::sign_webhook("whsec_stripe_0123456789", now, ignored),
                                   "Stripe-Signature");
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(json_field(ok.body, "outcome"), "ignored");
    HttpResponse bad =
            post_webhook("stripe", ignored, providers::sign_webhook("whsec_other", now, ignored),
                         "Stripe-Signature");
    EXPECT_EQ(bad.status, 401);
    std::string succeeded =
            R"({"id":"evt_2","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1",)"
            R"("amount":1000,"currency":"usd","metadata":{"transaction_id":"999999999"}}}})";
    HttpResponse unknown = post_webhook(
            "stripe", succeeded, providers::sign_webhook("whsec_stripe_0123456789", now, succeeded),
            "Stripe-Signature");
    EXPECT_EQ(unknown.status, 404) << unknown.body;
}

TEST_F(WebhookTest, SandboxPageButtonsDeliverTheSignedWebhook) {
    std::string before = balance(1002);
    std::uint64_t id = deposit(2, 1002, "33.00");
    std::string page_path = "/sandbox/pay/" + std::to_string(id);
    HttpResponse page = http_request(port(), "GET", page_path);
    ASSERT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("action=\"" + page_path + "/pay\""), std::string::npos) << page.body;
    EXPECT_NE(page.body.find("action=\"" + page_path + "/fail\""), std::string::npos);
    EXPECT_NE(page.body.find("action=\"" + page_path + "/cancel\""), std::string::npos);
    HttpResponse paid = http_request(port(), "POST", page_path + "/pay");
    EXPECT_EQ(paid.status, 303) << paid.body;
    EXPECT_EQ(paid.header("Location"), "https://broker.example/ok");
    EXPECT_EQ(status_of(id), "3");
    EXPECT_NEAR(std::stod(balance(1002)) - std::stod(before), 33.0, 1e-9);
    // Pressing again (a double click) moves nothing; the page no longer offers buttons.
    EXPECT_EQ(http_request(port(), "POST", page_path + "/pay").status, 303);
    EXPECT_NEAR(std::stod(balance(1002)) - std::stod(before), 33.0, 1e-9);
    EXPECT_EQ(http_request(port(), "GET", page_path).body.find("<form"), std::string::npos);

    std::uint64_t cancelled = deposit(2, 1002, "34.00");
    HttpResponse cancel =
            http_request(port(), "POST", "/sandbox/pay/" + std::to_string(cancelled) + "/cancel");
    EXPECT_EQ(cancel.status, 303);
    EXPECT_EQ(status_of(cancelled), "6");
    std::uint64_t failed = deposit(2, 1002, "35.00");
    http_request(port(), "POST", "/sandbox/pay/" + std::to_string(failed) + "/fail");
    EXPECT_EQ(status_of(failed), "5");
    EXPECT_EQ(http_request(port(), "POST", page_path + "/refund").status, 404);
}

TEST_F(WebhookTest, EveryStatusChangeReachesTheOutboxFile) {
    std::uint64_t id = deposit(1, 1001, "21.00");
    ASSERT_EQ(
            signed_webhook("sandbox", sandbox_event(id, "succeeded", "21.00", "evt_outbox")).status,
            200);
    std::string needle = "\"transaction_id\":" + std::to_string(id) + ",";
    std::vector<std::string> lines;
    for (int attempt = 0; attempt < 100 && lines.size() < 3; ++attempt) {
        lines.clear();
        std::ifstream file(server_->data_dir() + "/outbox.jsonl");
        for (std::string line; std::getline(file, line);) {
            if (line.find(needle) != std::string::npos) lines.push_back(line);
        }
        if (lines.size() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(lines.size(), 3u);
    // pending_payment (1), provider_confirmed (2), credited (3): in order, numbered.
    for (std::size_t i = 0; i < lines.size(); ++i) {
        EXPECT_EQ(json_field(lines[i], "type"), "transaction_status") << lines[i];
        EXPECT_EQ(json_field(lines[i], "status"), std::to_string(i + 1)) << lines[i];
        EXPECT_EQ(json_field(lines[i], "sequence"), std::to_string(i + 1)) << lines[i];
        EXPECT_EQ(json_field(lines[i], "customer_id"), "1");
        EXPECT_EQ(json_field(lines[i], "amount"), "21.00");
    }
}

}  // namespace
}  // namespace cashierd::test
