// The withdrawal wizard with 2FA (seed 001) through real HTTP against the real binary: the
// wizard's shape, previews that create nothing, withdrawals without 2FA, emailed and texted
// codes read back from the outbox file, wrong codes counted until the wizard dies, Google
// Authenticator codes computed independently (python3) and accepted once, another customer's
// wizard never revealed, and malformed bodies refused naming the field.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/support/http_client.h"
#include "tests/support/server_process.h"
#include "tests/support/test_world.h"

namespace cashierd::test {
namespace {

// Base32 of "12345678901234567890" (RFC 6238's SHA-1 test key).
constexpr const char* totp_secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

const char* world_json =
        R"(,"brands":[{"id":"demo","name":"Demo"}],)"
        R"("groups":[{"id":"usd","brand":"demo","currency":"USD"}],)"
        R"("providers":[{"code":"bank","module":"bank_transfer",)"
        R"("webhook_secret":"whsec_bank_0123456789abcdef",)"
        R"("methods":[{"method":"bank_transfer","method_id":3,"type":"deposit"},)"
        R"({"method":"wire","method_id":7,"type":"withdrawal","currencies":["USD"]}]}],)"
        R"("customers":[{"id":1,"brand":"demo","country":"GB"},)"
        R"({"id":2,"brand":"demo","country":"GB"},{"id":3,"brand":"demo","country":"GB"},)"
        R"({"id":4,"brand":"demo","country":"GB"},{"id":5,"brand":"demo","country":"GB"},)"
        R"({"id":6,"brand":"demo","country":"GB"},{"id":7,"brand":"demo","country":"GB"},)"
        R"({"id":8,"brand":"demo","country":"GB"}],)"
        R"("accounts":[{"login":1001,"customer_id":1,"group":"usd"},)"
        R"({"login":1002,"customer_id":2,"group":"usd"},)"
        R"({"login":1003,"customer_id":3,"group":"usd"},)"
        R"({"login":1004,"customer_id":4,"group":"usd"},)"
        R"({"login":1005,"customer_id":5,"group":"usd"},)"
        R"({"login":1006,"customer_id":6,"group":"usd"},)"
        R"({"login":1007,"customer_id":7,"group":"usd"},)"
        R"({"login":1008,"customer_id":8,"group":"usd"}])";

using Headers = std::vector<std::pair<std::string, std::string>>;

class WizardTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ServerOptions options;
        options.shards = 2;
        options.extra_json = world_json;
        server_ = new ServerProcess(options);
        ASSERT_TRUE(server_->start()) << server_->stderr_text();
        put_customer(2, "email", R"("email":"ann@example.com","name":"Ann Lee")");
        put_customer(3, "sms", R"("email":"bob@example.com","phone":"+447700900123")");
        put_customer(4, "google", std::string(R"("totp_secret":")") + totp_secret + "\"");
        put_customer(6, "email", R"("email":"eve@example.com")");
        put_customer(7, "email", R"("email":"max@example.com")");
        put_customer(8, "sms", R"("phone":"+447700900888")");
        for (int login = 1001; login <= 1008; ++login) {
            HttpResponse r = http_request(port(), "POST",
                                          "/webserv/traders/" + std::to_string(login) +
                                                  "/changebalance?token=" + manager_token,
                                          R"({"login":)" + std::to_string(login) +
                                                  R"(,"preciseAmount":1000.00,"type":"DEPOSIT"})",
                                          {{"Content-Type", "application/json"}});
            ASSERT_EQ(r.status, 200) << r.body;
        }
    }

    static void TearDownTestSuite() {
        EXPECT_EQ(server_->stop(SIGTERM), 0);
        delete server_;
        server_ = nullptr;
    }

    static std::uint16_t port() { return server_->port(); }

    static Headers manager() {
        return {{"Authorization", std::string("Bearer ") + manager_token},
                {"Content-Type", "application/json"}};
    }

    static Headers customer(std::uint64_t id) {
        return {{"Authorization", "Bearer " + token_for(id)}, {"Content-Type", "application/json"}};
    }

    static void put_customer(std::uint64_t id, std::string_view two_factor,
                             const std::string& more) {
        std::string body = R"({"brand":"demo","country":"GB","two_factor":")" +
                           std::string(two_factor) + "\"," + more + "}";
        HttpResponse r = http_request(port(), "PUT", "/admin/customers/" + std::to_string(id), body,
                                      manager());
        ASSERT_EQ(r.status, 200) << r.body;
    }

    static std::string new_wizard(std::uint64_t id) {
        HttpResponse r =
                http_request(port(), "GET", "/api/v2/my/withdrawals/wizard", {}, customer(id));
        EXPECT_EQ(r.status, 200) << r.body;
        return json_field(r.body, "uuid");
    }

    static std::string request_body(std::uint64_t login, const std::string& uuid,
                                    std::string_view amount = "100.00", bool pretend = false) {
        return R"({"accountId":)" + std::to_string(login) + R"(,"methodId":7,"amount":)" +
               std::string(amount) + R"(,"currencyCode":840,"uuid":")" + uuid +
               R"(","isPretend":)" + (pretend ? "true" : "false") +
               R"(,"data":{"iban":"GB33BUKB20201555555555"}})";
    }

    static HttpResponse request(std::uint64_t id, const std::string& body) {
        return http_request(port(), "POST", "/api/v2/my/withdrawals", body, customer(id));
    }

    static HttpResponse confirm(std::uint64_t id, const std::string& uuid,
                                const std::string& code) {
        return http_request(
                port(), "POST", "/api/v2/my/withdrawals/wizard",
                R"({"data":{"action":"code","code":")" + code + R"(","uuid":")" + uuid + R"("}})",
                customer(id));
    }

    static std::string account_field(std::uint64_t login, const std::string& name) {
        HttpResponse r = http_request(port(), "GET", "/admin/accounts/" + std::to_string(login), {},
                                      manager());
        EXPECT_EQ(r.status, 200) << r.body;
        return json_field(r.body, name);
    }

    static std::string transactions(std::uint64_t id, std::uint64_t login) {
        HttpResponse r =
                http_request(port(), "GET", "/cashier/transactions?login=" + std::to_string(login),
                             {}, customer(id));
        EXPECT_EQ(r.status, 200) << r.body;
        return r.body;
    }

    static std::vector<std::string> outbox_lines() {
        std::vector<std::string> lines;
        std::ifstream file(server_->data_dir() + "/outbox.jsonl");
        for (std::string line; std::getline(file, line);)
            lines.push_back(line);
        return lines;
    }

    // The outbox line carrying the code of wizard `uuid` (the notifier appends it shortly
    // after the commit), or "".
    static std::string code_line(const std::string& uuid, std::size_t nth = 0) {
        for (int attempt = 0; attempt < 100; ++attempt) {
            std::size_t seen = 0;
            for (const std::string& line : outbox_lines()) {
                if (line.find("\"wizard\":\"" + uuid + "\"") == std::string::npos) continue;
                if (seen++ == nth) return line;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return "";
    }

    // The 6-digit TOTP code for now, computed by python3's hmac module, not by cashierd.
    static std::string python_totp(std::int64_t offset_steps = 0) {
        std::string command =
                "python3 -c \"import base64,hashlib,hmac,struct,time;"
                "k=base64.b32decode('" +
                std::string(totp_secret) +
                "');"
                "t=int(time.time())//30+(" +
                std::to_string(offset_steps) +
                ");"
                "h=hmac.new(k,struct.pack('>Q',t),hashlib.sha1).digest();o=h[-1]&15;"
                "print('%06d'%((struct.unpack('>I',h[o:o+4])[0]&0x7fffffff)%1000000))\"";
        FILE* pipe = ::popen(command.c_str(), "r");
        if (pipe == nullptr) return "";
        char buffer[32] = {};
        std::string out;
        if (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out = buffer;
        ::pclose(pipe);
        while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
            out.pop_back();
        return out;
    }

    static ServerProcess* server_;
};

ServerProcess* WizardTest::server_ = nullptr;

TEST_F(WizardTest, GetCreatesAWizardOfSeed001Shape) {
    HttpResponse r = http_request(port(), "GET", "/api/v2/my/withdrawals/wizard", {}, customer(1));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_field(r.body, "code"), "200");
    EXPECT_EQ(json_field(r.body, "data"), "null");
    EXPECT_EQ(json_field(r.body, "done"), "false");
    EXPECT_NE(json_field(r.body, "workflow"), "");
    std::string uuid = json_field(r.body, "uuid");
    EXPECT_TRUE(std::regex_match(
            uuid,
            std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
            << uuid;
    EXPECT_NE(new_wizard(1), uuid);
    EXPECT_EQ(http_request(port(), "GET", "/api/v2/my/withdrawals/wizard").status, 401);
}

TEST_F(WizardTest, APreviewCreatesNothing) {
    for (std::uint64_t id : {1, 2}) {
        std::uint64_t login = 1000 + id;
        std::string uuid = new_wizard(id);
        std::string before = transactions(id, login);
        std::string held = account_field(login, "held");
        std::size_t lines = outbox_lines().size();
        HttpResponse r = request(id, request_body(login, uuid, "100.00", true));
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(json_field(r.body, "id"), "0") << r.body;
        EXPECT_EQ(json_field(r.body, "type"), "1") << r.body;
        EXPECT_EQ(json_field(r.body, "amount"), "100.00") << r.body;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        EXPECT_EQ(transactions(id, login), before);
        EXPECT_EQ(account_field(login, "held"), held);
        EXPECT_EQ(outbox_lines().size(), lines);
        // Not even the wizard changed: it still has no code to confirm.
        HttpResponse c = confirm(id, uuid, "000000");
        EXPECT_EQ(c.status, 400);
        EXPECT_EQ(json_field(c.body, "error"), "INVALID_CODE") << c.body;
    }
}

TEST_F(WizardTest, WithoutTwoFactorTheWithdrawalIsCreatedAtOnce) {
    std::string held = account_field(1001, "held");
    std::string uuid = new_wizard(1);
    HttpResponse r = request(1, request_body(1001, uuid, "25.50"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_field(r.body, "code"), "202");
    EXPECT_EQ(json_field(r.body, "done"), "true");
    EXPECT_EQ(json_field(r.body, "uuid"), uuid);
    EXPECT_NE(r.body.find("TerminateWorkflow"), std::string::npos) << r.body;
    EXPECT_EQ(json_field(r.body, "status"), "9") << r.body;  // manual_review
    EXPECT_NE(json_field(r.body, "id"), "0");
    EXPECT_EQ(std::stod(account_field(1001, "held")), std::stod(held) + 25.50);
    EXPECT_NE(transactions(1, 1001).find("\"id\":" + json_field(r.body, "id")), std::string::npos);
    // The wizard is done: it takes no second request.
    HttpResponse again = request(1, request_body(1001, uuid, "25.50"));
    EXPECT_EQ(again.status, 400);
    EXPECT_EQ(json_field(again.body, "error"), "WIZARD_EXPIRED");
}

TEST_F(WizardTest, EmailCodeConfirmsTheWithdrawal) {
    std::string held = account_field(1002, "held");
    std::string uuid = new_wizard(2);
    HttpResponse r = request(2, request_body(1002, uuid, "40.00"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_field(r.body, "status"), "0");
    EXPECT_EQ(json_field(r.body, "sent"), "1");
    EXPECT_EQ(json_field(r.body, "template"), "Withdraw_Confirm");
    EXPECT_EQ(json_field(r.body, "email"), "ann@example.com");
    EXPECT_EQ(json_field(r.body, "name"), "Ann Lee");
    EXPECT_EQ(json_field(r.body, "method"), "email");
    std::regex iso("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+00:00");
    EXPECT_TRUE(std::regex_match(json_field(r.body, "expiredAt"), iso)) << r.body;
    EXPECT_TRUE(std::regex_match(json_field(r.body, "sentAt"), iso)) << r.body;
    // Nothing is held until the code is confirmed.
    EXPECT_EQ(account_field(1002, "held"), held);

    std::string line = code_line(uuid);
    ASSERT_NE(line, "");
    EXPECT_EQ(json_field(line, "type"), "2fa_code");
    EXPECT_EQ(json_field(line, "customer_id"), "2");
    EXPECT_EQ(json_field(line, "method"), "email");
    EXPECT_EQ(json_field(line, "recipient"), "ann@example.com");
    EXPECT_EQ(json_field(line, "template"), "Withdraw_Confirm");
    std::string code = json_field(line, "code");
    ASSERT_TRUE(std::regex_match(code, std::regex("[0-9]{6}"))) << line;

    std::string wrong = code == "000000" ? "000001" : "000000";
    HttpResponse bad = confirm(2, uuid, wrong);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(json_field(bad.body, "error"), "INVALID_CODE");
    EXPECT_EQ(json_field(bad.body, "field"), "data.code");

    HttpResponse ok = confirm(2, uuid, code);
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(json_field(ok.body, "code"), "202");
    EXPECT_EQ(json_field(ok.body, "done"), "true");
    EXPECT_EQ(json_field(ok.body, "uuid"), uuid);
    EXPECT_EQ(json_field(ok.body, "status"), "9") << ok.body;
    EXPECT_EQ(json_field(ok.body, "amount"), "40.00") << ok.body;
    EXPECT_EQ(std::stod(account_field(1002, "held")), std::stod(held) + 40.00);

    // Single use: the same code again, or any other, is refused.
    HttpResponse reuse = confirm(2, uuid, code);
    EXPECT_EQ(reuse.status, 400);
    EXPECT_EQ(json_field(reuse.body, "error"), "WIZARD_EXPIRED");
    EXPECT_EQ(std::stod(account_field(1002, "held")), std::stod(held) + 40.00);
}

TEST_F(WizardTest, FiveWrongCodesKillTheWizardEvenForTheRightCode) {
    std::string held = account_field(1006, "held");
    std::string uuid = new_wizard(6);
    ASSERT_EQ(request(6, request_body(1006, uuid, "10.00")).status, 200);
    std::string code = json_field(code_line(uuid), "code");
    ASSERT_EQ(code.size(), 6u);
    std::string wrong = code == "999999" ? "999998" : "999999";
    for (int i = 0; i < 5; ++i) {
        HttpResponse bad = confirm(6, uuid, wrong);
        EXPECT_EQ(bad.status, 400);
        EXPECT_EQ(json_field(bad.body, "error"), "INVALID_CODE") << i;
    }
    HttpResponse dead = confirm(6, uuid, code);
    EXPECT_EQ(dead.status, 400);
    EXPECT_EQ(json_field(dead.body, "error"), "WIZARD_EXPIRED");
    // Nor can a new request revive it.
    HttpResponse revived = request(6, request_body(1006, uuid, "10.00"));
    EXPECT_EQ(json_field(revived.body, "error"), "WIZARD_EXPIRED");
    EXPECT_EQ(account_field(1006, "held"), held);

    // A fresh wizard works.
    std::string fresh = new_wizard(6);
    ASSERT_EQ(request(6, request_body(1006, fresh, "10.00")).status, 200);
    HttpResponse ok = confirm(6, fresh, json_field(code_line(fresh), "code"));
    EXPECT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(json_field(ok.body, "done"), "true");
}

TEST_F(WizardTest, ARepostedRequestReplacesTheCodeButNotTheAttempts) {
    std::string uuid = new_wizard(6);
    ASSERT_EQ(request(6, request_body(1006, uuid, "1.00")).status, 200);
    std::string first = json_field(code_line(uuid, 0), "code");
    std::string wrong = first == "123456" ? "654321" : "123456";
    for (int i = 0; i < 4; ++i)
        ASSERT_EQ(confirm(6, uuid, wrong).status, 400);
    ASSERT_EQ(request(6, request_body(1006, uuid, "2.00")).status, 200);
    std::string second = json_field(code_line(uuid, 1), "code");
    ASSERT_EQ(second.size(), 6u);
    // One attempt was left; the old code is no longer the one asked for (unless equal).
    if (first != second) {
        EXPECT_EQ(json_field(confirm(6, uuid, first).body, "error"), "INVALID_CODE");
        EXPECT_EQ(json_field(confirm(6, uuid, second).body, "error"), "WIZARD_EXPIRED");
    }
}

TEST_F(WizardTest, AWizardIssuesAtMostFiveCodes) {
    std::string uuid = new_wizard(3);
    for (int i = 0; i < 5; ++i) {
        HttpResponse r = request(3, request_body(1003, uuid, "1.00"));
        ASSERT_EQ(r.status, 200) << i << " " << r.body;
    }
    HttpResponse sixth = request(3, request_body(1003, uuid, "1.00"));
    EXPECT_EQ(sixth.status, 400);
    EXPECT_EQ(json_field(sixth.body, "error"), "WIZARD_EXPIRED");
    // Even the last code sent is dead with its wizard.
    std::string last = json_field(code_line(uuid, 4), "code");
    EXPECT_EQ(json_field(confirm(3, uuid, last).body, "error"), "WIZARD_EXPIRED");
}

TEST_F(WizardTest, TenWrongCodesWithinAnHourLockTheCustomer) {
    for (int round = 0; round < 2; ++round) {
        std::string uuid = new_wizard(8);
        ASSERT_EQ(request(8, request_body(1008, uuid, "1.00")).status, 200);
        std::string code = json_field(code_line(uuid), "code");
        std::string wrong = code == "424242" ? "242424" : "424242";
        for (int i = 0; i < 5; ++i)
            ASSERT_EQ(json_field(confirm(8, uuid, wrong).body, "error"), "INVALID_CODE");
    }
    std::string uuid = new_wizard(8);
    ASSERT_EQ(request(8, request_body(1008, uuid, "1.00")).status, 200);
    HttpResponse locked = confirm(8, uuid, json_field(code_line(uuid), "code"));
    EXPECT_EQ(locked.status, 429) << locked.body;
    EXPECT_EQ(json_field(locked.body, "error"), "TOO_MANY_REQUESTS");
    // Other customers are not affected.
    std::string other = new_wizard(3);
    ASSERT_EQ(request(3, request_body(1003, other, "1.00")).status, 200);
    EXPECT_EQ(confirm(3, other, json_field(code_line(other), "code")).status, 200);
}

TEST_F(WizardTest, SmsCodeGoesToThePhone) {
    std::string uuid = new_wizard(3);
    HttpResponse r = request(3, request_body(1003, uuid, "5.00"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_field(r.body, "sent"), "1");
    EXPECT_EQ(json_field(r.body, "method"), "sms");
    EXPECT_EQ(json_field(r.body, "phone"), "+447700900123");
    std::string line = code_line(uuid);
    EXPECT_EQ(json_field(line, "method"), "sms");
    EXPECT_EQ(json_field(line, "recipient"), "+447700900123");
    HttpResponse ok = confirm(3, uuid, json_field(line, "code"));
    EXPECT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(json_field(ok.body, "done"), "true");
}

TEST_F(WizardTest, GoogleAuthenticatorCodeWorksOnce) {
    std::string uuid = new_wizard(4);
    std::size_t lines = outbox_lines().size();
    HttpResponse r = request(4, request_body(1004, uuid, "7.00"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_field(r.body, "sent"), "0");
    EXPECT_EQ(json_field(r.body, "method"), "google");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(outbox_lines().size(), lines) << "nothing is sent for google";

    std::string code = python_totp();
    ASSERT_EQ(code.size(), 6u);
    // A code of two steps ago is outside the window.
    std::string stale = python_totp(-2);
    if (stale != code && stale != python_totp(-1) && stale != python_totp(1)) {
        EXPECT_EQ(json_field(confirm(4, uuid, stale).body, "error"), "INVALID_CODE");
    }
    HttpResponse ok = confirm(4, uuid, code);
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(json_field(ok.body, "done"), "true");
    EXPECT_EQ(json_field(ok.body, "status"), "9");

    // The same code on a second wizard: already used.
    std::string second = new_wizard(4);
    ASSERT_EQ(request(4, request_body(1004, second, "7.00")).status, 200);
    HttpResponse reused = confirm(4, second, code);
    EXPECT_EQ(reused.status, 400);
    EXPECT_EQ(json_field(reused.body, "error"), "INVALID_CODE");
}

TEST_F(WizardTest, AnotherCustomersWizardIsNotFound) {
    std::string uuid = new_wizard(2);
    HttpResponse r = request(5, request_body(1005, uuid));
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_EQ(json_field(r.body, "error"), "NOT_FOUND");
    HttpResponse c = confirm(5, uuid, "123456");
    EXPECT_EQ(c.status, 404) << c.body;
    // Unknown and foreign look the same.
    HttpResponse unknown = confirm(5, "00000000-0000-4000-8000-000000000000", "123456");
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(unknown.body.substr(0, unknown.body.find("\"message\"")),
              c.body.substr(0, c.body.find("\"message\"")));
    // The owner's wizard is untouched.
    EXPECT_EQ(request(2, request_body(1002, uuid, "1.00", true)).status, 200);
}

TEST_F(WizardTest, RefusalsNameTheirCause) {
    std::string uuid = new_wizard(2);
    // Another customer's login, an unknown login, an unknown method.
    HttpResponse r = request(2, request_body(1001, uuid));
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(json_field(r.body, "error"), "PERMISSION_DENIED");
    EXPECT_EQ(json_field(r.body, "field"), "accountId");
    r = request(2, request_body(9999, uuid));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(json_field(r.body, "error"), "ACCOUNT_NOT_AVAILABLE");
    std::string body = request_body(1002, uuid);
    r = request(2, std::regex_replace(body, std::regex("\"methodId\":7"), "\"methodId\":3"));
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(json_field(r.body, "error"), "PAYMENT_METHOD_NOT_AVAILABLE");
    EXPECT_EQ(json_field(r.body, "field"), "methodId");
    // More than is there: refused before any code is sent.
    std::size_t lines = outbox_lines().size();
    r = request(2, request_body(1002, uuid, "100000.00"));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(json_field(r.body, "error"), "INSUFFICIENT_FUNDS");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(outbox_lines().size(), lines);
}

TEST_F(WizardTest, MalformedBodiesAreInvalidDataNamingTheField) {
    std::string uuid = new_wizard(1);
    std::string good = request_body(1001, uuid, "1.00", true);

    struct Case {
        std::string body;
        std::string field;
    };

    std::vector<Case> cases = {
            {R"({"accountId":1001,"accountId":1001,"methodId":7,"amount":1,"currencyCode":840,"uuid":")" +
                     uuid + "\"}",
             "accountId"},
            {good + "x", ""},
            {std::regex_replace(good, std::regex("\"amount\":1.00"), "\"amount\":\"1.00\""),
             "amount"},
            {std::regex_replace(good, std::regex("\"amount\":1.00"), "\"amount\":1.001"), "amount"},
            {std::regex_replace(good, std::regex("\"amount\":1.00"), "\"amount\":-1"), "amount"},
            {std::regex_replace(good, std::regex("\"amount\":1.00"), "\"amount\":0"), "amount"},
            {std::regex_replace(good, std::regex("\"currencyCode\":840"), "\"currencyCode\":1000"),
             "currencyCode"},
            {std::regex_replace(good, std::regex("\"currencyCode\":840"),
                                "\"currencyCode\":\"840\""),
             "currencyCode"},
            {std::regex_replace(good, std::regex("\"methodId\":7"), "\"methodId\":\"7\""),
             "methodId"},
            {std::regex_replace(good, std::regex("\"accountId\":1001"), "\"accountId\":-1"),
             "accountId"},
            {std::regex_replace(good, std::regex("\"uuid\":\"[^\"]*\""), "\"uuid\":\"nope\""),
             "uuid"},
            {std::regex_replace(good, std::regex("\"uuid\":\"[^\"]*\","), ""), "uuid"},
            {std::regex_replace(good, std::regex("\"isPretend\":true"), "\"isPretend\":1"),
             "isPretend"},
            {std::regex_replace(good, std::regex("\\{\"iban\":\"[^\"]*\"\\}"), "[1]"), "data"},
            {std::regex_replace(good, std::regex("\\{\"iban\":\"[^\"]*\"\\}"),
                                R"({"iban":"a","iban":"b"})"),
             "data"},
    };
    for (const Case& c : cases) {
        HttpResponse r = request(1, c.body);
        EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
        EXPECT_EQ(json_field(r.body, "error"), "INVALID_DATA") << c.body;
        EXPECT_EQ(json_field(r.body, "field"), c.field) << c.body << " -> " << r.body;
    }
    std::vector<Case> confirms = {
            {R"({})", "data"},
            {R"({"data":"x"})", "data"},
            {R"({"data":{"action":"code","code":123456,"uuid":")" + uuid + "\"}}", "data.code"},
            {R"({"data":{"action":"resend","code":"123456","uuid":")" + uuid + "\"}}",
             "data.action"},
            {R"({"data":{"action":"code","code":"123456","code":"1","uuid":")" + uuid + "\"}}",
             "data.code"},
            {R"({"data":{"action":"code","code":"123456","uuid":"x"}})", "data.uuid"},
            {R"({"data":{"action":"code","code":"123456"}})", "data.uuid"},
            {R"({"data":{"action":"code","code":"123456","uuid":")" + uuid + "\"}} []", ""},
    };
    for (const Case& c : confirms) {
        HttpResponse r =
                http_request(port(), "POST", "/api/v2/my/withdrawals/wizard", c.body, customer(1));
        EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
        EXPECT_EQ(json_field(r.body, "error"), "INVALID_DATA") << c.body;
        EXPECT_EQ(json_field(r.body, "field"), c.field) << c.body << " -> " << r.body;
    }
}

TEST_F(WizardTest, AttemptsSurviveARestart) {
    std::string uuid = new_wizard(7);
    ASSERT_EQ(request(7, request_body(1007, uuid, "3.00")).status, 200);
    std::string code = json_field(code_line(uuid), "code");
    std::string wrong = code == "111111" ? "111112" : "111111";
    for (int i = 0; i < 4; ++i)
        ASSERT_EQ(json_field(confirm(7, uuid, wrong).body, "error"), "INVALID_CODE");
    // kill -9: the answered attempts were committed.
    ASSERT_EQ(server_->stop(SIGKILL), 128 + SIGKILL);
    ServerOptions options;
    options.shards = 2;
    options.extra_json = world_json;
    options.data_dir = server_->data_dir();
    ServerProcess* restarted = new ServerProcess(options);
    ASSERT_TRUE(restarted->start()) << restarted->stderr_text();
    ServerProcess* old = server_;
    server_ = restarted;
    EXPECT_EQ(json_field(confirm(7, uuid, wrong).body, "error"), "INVALID_CODE");
    EXPECT_EQ(json_field(confirm(7, uuid, code).body, "error"), "WIZARD_EXPIRED");
    // Every wizard of this suite, done ones with their withdrawals, passes verify.
    std::string report;
    EXPECT_EQ(run_cashierd({"verify", "--data", server_->data_dir()}, &report), 0) << report;
    delete old;  // Its directory held the data dir: keep it until here.
}

}  // namespace
}  // namespace cashierd::test
