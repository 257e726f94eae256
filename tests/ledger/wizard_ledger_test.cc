// The withdrawal wizard's rules with an explicit clock: five wrong codes kill a wizard and then
// even the right code is refused; a code lives exactly 600 s; a done wizard refuses; re-sent
// codes keep the attempt count; one customer's wizard is nobody else's; the customer-wide
// wrong-code window; and wizards and 2FA state stored in the shard survive a reopen.
#include <filesystem>

#include <gtest/gtest.h>

#include "ledger/shard_ledger.h"
#include "ledger/wizard.h"

namespace cashierd::ledger {
namespace {

constexpr std::int64_t t0 = 1'800'000'000;
constexpr CustomerId customer = 4;  // Shard 0 of 2.

const std::string right_hash = "hash-of-123456";

// The caller's check: the code's hash against the stored one.
std::function<bool(const WizardRecord&)> code(std::string_view hash) {
    return [hash = std::string(hash)](const WizardRecord& w) { return w.code_hash == hash; };
}

WizardRecord awaiting(std::int64_t issued = t0) {
    WizardRecord w;
    w.uuid = "36f59381-5b54-48bd-a0c7-3b908c476732";
    w.customer_id = customer;
    w.created_time = issued - 5;
    EXPECT_TRUE(wizard_issue_code(w, TwoFactor::email, right_hash, issued));
    return w;
}

TEST(WizardRules, FiveWrongCodesKillTheWizardAndThenTheRightCodeIsRefused) {
    WizardRecord w = awaiting();
    TwoFactorStateRecord state;
    for (std::uint32_t i = 1; i <= wizard_attempts_max; ++i) {
        EXPECT_EQ(wizard_check_code(w, state, t0 + i, code("wrong")), CodeOutcome::wrong);
        EXPECT_EQ(w.attempts, i);
    }
    EXPECT_EQ(w.state, WizardState::dead);
    bool asked = false;
    auto right = [&asked](const WizardRecord&) { return asked = true; };
    EXPECT_EQ(wizard_check_code(w, state, t0 + 10, right), CodeOutcome::dead);
    EXPECT_FALSE(asked) << "a dead wizard never looks at the code";
    EXPECT_EQ(w.attempts, wizard_attempts_max);
    EXPECT_EQ(wizard_status(&w, customer, t0 + 10), WizardStatus::dead);
}

TEST(WizardRules, FourWrongCodesThenTheRightOne) {
    WizardRecord w = awaiting();
    TwoFactorStateRecord state;
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(wizard_check_code(w, state, t0, code("wrong")), CodeOutcome::wrong);
    EXPECT_EQ(wizard_check_code(w, state, t0, code(right_hash)), CodeOutcome::accepted);
    wizard_mark_done(w, 42, t0);
    EXPECT_EQ(w.state, WizardState::done);
    EXPECT_EQ(w.transaction_id, 42u);
}

TEST(WizardRules, CodeExpiresExactlyTenMinutesAfterIssue) {
    TwoFactorStateRecord state;
    WizardRecord last_second = awaiting();
    EXPECT_EQ(wizard_check_code(last_second, state, t0 + wizard_code_ttl_seconds - 1,
                                code(right_hash)),
              CodeOutcome::accepted);
    WizardRecord at_expiry = awaiting();
    EXPECT_EQ(wizard_status(&at_expiry, customer, t0 + 599), WizardStatus::usable);
    EXPECT_EQ(wizard_status(&at_expiry, customer, t0 + 600), WizardStatus::dead);
    EXPECT_EQ(wizard_check_code(at_expiry, state, t0 + 600, code(right_hash)), CodeOutcome::dead);
    EXPECT_EQ(at_expiry.attempts, 0u);
}

TEST(WizardRules, ACodeIsSingleUseAndADoneWizardRefuses) {
    WizardRecord w = awaiting();
    TwoFactorStateRecord state;
    ASSERT_EQ(wizard_check_code(w, state, t0 + 1, code(right_hash)), CodeOutcome::accepted);
    // Accepted but not yet marked done (the withdrawal was refused): the code is spent anyway.
    EXPECT_EQ(wizard_check_code(w, state, t0 + 2, code(right_hash)), CodeOutcome::dead);
    wizard_mark_done(w, 7, t0 + 1);
    EXPECT_EQ(wizard_check_code(w, state, t0 + 2, code(right_hash)), CodeOutcome::done);
    EXPECT_EQ(wizard_status(&w, customer, t0 + 2), WizardStatus::done);
    EXPECT_EQ(w.attempts, 0u);
}

TEST(WizardRules, AWizardBelongsToOneCustomer) {
    WizardRecord w = awaiting();
    EXPECT_EQ(wizard_status(&w, customer, t0), WizardStatus::usable);
    EXPECT_EQ(wizard_status(&w, customer + 2, t0), WizardStatus::not_found);
    EXPECT_EQ(wizard_status(nullptr, customer, t0), WizardStatus::not_found);
}

TEST(WizardRules, ResentCodesKeepTheAttemptsAndAreBounded) {
    WizardRecord w = awaiting();
    TwoFactorStateRecord state;
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(wizard_check_code(w, state, t0, code("wrong")), CodeOutcome::wrong);
    ASSERT_TRUE(wizard_issue_code(w, TwoFactor::email, "hash-of-654321", t0 + 500));
    EXPECT_EQ(w.attempts, 3u);
    // The old code is gone with its request; the new one has its own ten minutes.
    EXPECT_EQ(wizard_check_code(w, state, t0 + 1000, code(right_hash)), CodeOutcome::wrong);
    EXPECT_EQ(wizard_check_code(w, state, t0 + 1001, code(right_hash)), CodeOutcome::wrong);
    EXPECT_EQ(w.state, WizardState::dead);

    WizardRecord many = awaiting();  // One code issued.
    for (std::uint32_t i = 1; i < wizard_codes_max; ++i)
        ASSERT_TRUE(wizard_issue_code(many, TwoFactor::sms, right_hash, t0 + i));
    EXPECT_FALSE(wizard_issue_code(many, TwoFactor::sms, right_hash, t0 + 10));
    EXPECT_EQ(wizard_status(&many, customer, t0 + 10), WizardStatus::dead);
}

TEST(WizardRules, AWizardWithoutARequestDiesAfterAnHour) {
    WizardRecord w;
    w.uuid = "36f59381-5b54-48bd-a0c7-3b908c476732";
    w.customer_id = customer;
    w.created_time = t0;
    TwoFactorStateRecord state;
    EXPECT_EQ(wizard_check_code(w, state, t0 + 1, code(right_hash)), CodeOutcome::no_code);
    EXPECT_EQ(wizard_status(&w, customer, t0 + wizard_idle_ttl_seconds - 1), WizardStatus::usable);
    EXPECT_EQ(wizard_status(&w, customer, t0 + wizard_idle_ttl_seconds), WizardStatus::dead);
}

TEST(WizardRules, TooManyWrongCodesAcrossWizardsLockTheCustomerForAWhile) {
    TwoFactorStateRecord state;
    std::uint32_t failures = 0;
    while (failures < customer_code_failures_max) {
        WizardRecord w = awaiting();
        for (int i = 0; i < 2; ++i, ++failures)
            ASSERT_EQ(wizard_check_code(w, state, t0 + 10, code("wrong")), CodeOutcome::wrong);
    }
    WizardRecord fresh = awaiting(t0 + 20);
    bool asked = false;
    auto right = [&asked](const WizardRecord&) { return asked = true; };
    EXPECT_EQ(wizard_check_code(fresh, state, t0 + 30, right), CodeOutcome::locked);
    EXPECT_FALSE(asked);
    EXPECT_EQ(fresh.attempts, 0u);
    // The window started at the first failure (t0 + 10): it ends an hour later.
    WizardRecord later = awaiting(t0 + 10 + customer_code_failure_window_seconds);
    EXPECT_EQ(wizard_check_code(later, state, t0 + 10 + customer_code_failure_window_seconds,
                                code(right_hash)),
              CodeOutcome::accepted);
}

class WizardStorageTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "wizard-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
        open();
    }

    void TearDown() override {
        ledger_.reset();
        std::filesystem::remove_all(dir_);
    }

    void open() {
        ledger_.reset();
        LedgerOptions options;
        options.map_bytes = std::size_t{64} << 20;
        auto opened = ShardLedger::open(dir_, 0, 2, options);
        ASSERT_TRUE(opened.ok());
        ledger_ = std::move(opened.value());
    }

    std::string dir_;
    std::unique_ptr<ShardLedger> ledger_;
};

TEST_F(WizardStorageTest, WizardsAndTwoFactorStateSurviveAReopen) {
    WizardRecord w = awaiting();
    w.login = 1001;
    w.provider = "bank";
    w.provider_method = "wire";
    w.amount = 12345;
    w.currency = "USD";
    w.metadata_json = R"({"iban":"DE89370400440532013000"})";
    TwoFactorStateRecord state;
    ASSERT_EQ(wizard_check_code(w, state, t0 + 1, code("wrong")), CodeOutcome::wrong);
    state.last_totp_step = 60'000'000;

    ASSERT_TRUE(ledger_->begin_batch().ok());
    ASSERT_TRUE(ledger_->put_wizard(w).ok());
    ASSERT_TRUE(ledger_->put_two_factor_state(customer, state).ok());
    // The batch sees its own writes.
    auto in_batch = ledger_->wizard(w.uuid);
    ASSERT_TRUE(in_batch.ok());
    ASSERT_TRUE(in_batch->has_value());
    ASSERT_TRUE(ledger_->commit_batch().ok());

    open();
    auto stored = ledger_->wizard(w.uuid);
    ASSERT_TRUE(stored.ok());
    ASSERT_TRUE(stored->has_value());
    EXPECT_EQ(**stored, w);
    EXPECT_EQ((*stored)->attempts, 1u);
    auto stored_state = ledger_->two_factor_state(customer);
    ASSERT_TRUE(stored_state.ok());
    EXPECT_EQ(*stored_state, state);

    auto absent = ledger_->wizard("00000000-0000-4000-8000-000000000000");
    ASSERT_TRUE(absent.ok());
    EXPECT_FALSE(absent->has_value());
    auto fresh = ledger_->two_factor_state(customer + 2);
    ASSERT_TRUE(fresh.ok());
    EXPECT_EQ(*fresh, TwoFactorStateRecord());
}

TEST_F(WizardStorageTest, AnAbortedBatchLeavesNoWizard) {
    WizardRecord w = awaiting();
    ASSERT_TRUE(ledger_->begin_batch().ok());
    ASSERT_TRUE(ledger_->put_wizard(w).ok());
    ledger_->abort_batch();
    auto stored = ledger_->wizard(w.uuid);
    ASSERT_TRUE(stored.ok());
    EXPECT_FALSE(stored->has_value());
}

}  // namespace
}  // namespace cashierd::ledger
