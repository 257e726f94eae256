#include "ledger/wizard.h"

#include "ledger/record_codec.h"
#include "reactor/base/assert.h"

namespace cashierd::ledger {
namespace {

std::uint8_t read_version(RecordReader& in, std::uint8_t known) {
    std::uint8_t version = in.u8();
    CASHIERD_ASSERT(version >= 1 && version <= known);
    return version;
}

template <typename Enum>
Enum checked_enum(std::uint8_t value, Enum max) {
    CASHIERD_ASSERT(value <= static_cast<std::uint8_t>(max));
    return static_cast<Enum>(value);
}

bool customer_locked(const TwoFactorStateRecord& state, std::int64_t now) {
    return state.failures_in_window >= customer_code_failures_max &&
           now < state.failure_window_start + customer_code_failure_window_seconds;
}

void count_customer_failure(TwoFactorStateRecord& state, std::int64_t now) {
    if (state.failures_in_window == 0 ||
        now >= state.failure_window_start + customer_code_failure_window_seconds) {
        state.failure_window_start = now;
        state.failures_in_window = 0;
    }
    ++state.failures_in_window;
}

}  // namespace

void WizardRecord::encode(std::string& out) const {
    RecordWriter w(out);
    w.u8(version).string(uuid).u64(customer_id).u8(static_cast<std::uint8_t>(state));
    w.u8(static_cast<std::uint8_t>(method)).u32(attempts).u32(codes_issued).i64(code_issued_time);
    w.string(code_hash).u64(login).string(provider).string(provider_method).i64(amount);
    w.string(currency)
            .string(metadata_json)
            .u64(transaction_id)
            .i64(created_time)
            .i64(updated_time);
}

WizardRecord WizardRecord::decode(std::string_view bytes) {
    RecordReader in(bytes);
    read_version(in, version);
    WizardRecord r;
    r.uuid = in.string();
    r.customer_id = in.u64();
    r.state = checked_enum(in.u8(), WizardState::dead);
    r.method = checked_enum(in.u8(), TwoFactor::google);
    r.attempts = in.u32();
    r.codes_issued = in.u32();
    r.code_issued_time = in.i64();
    r.code_hash = in.string();
    r.login = in.u64();
    r.provider = in.string();
    r.provider_method = in.string();
    r.amount = in.i64();
    r.currency = in.string();
    r.metadata_json = in.string();
    r.transaction_id = in.u64();
    r.created_time = in.i64();
    r.updated_time = in.i64();
    CASHIERD_ASSERT(in.at_end());
    return r;
}

void TwoFactorStateRecord::encode(std::string& out) const {
    RecordWriter w(out);
    w.u8(version).u64(last_totp_step).i64(failure_window_start).u32(failures_in_window);
}

TwoFactorStateRecord TwoFactorStateRecord::decode(std::string_view bytes) {
    RecordReader in(bytes);
    read_version(in, version);
    TwoFactorStateRecord r;
    r.last_totp_step = in.u64();
    r.failure_window_start = in.i64();
    r.failures_in_window = in.u32();
    CASHIERD_ASSERT(in.at_end());
    return r;
}

bool wizard_expired(const WizardRecord& wizard, std::int64_t now) {
    switch (wizard.state) {
        case WizardState::dead:
            return true;
        case WizardState::done:
            return false;
        case WizardState::awaiting_code:
            return now >= wizard.code_issued_time + wizard_code_ttl_seconds;
        case WizardState::open:
            return now >= wizard.created_time + wizard_idle_ttl_seconds;
    }
    return true;
}

WizardStatus wizard_status(const WizardRecord* wizard, CustomerId customer, std::int64_t now) {
    if (wizard == nullptr || wizard->customer_id != customer) return WizardStatus::not_found;
    if (wizard->state == WizardState::done) return WizardStatus::done;
    if (wizard_expired(*wizard, now)) return WizardStatus::dead;
    return WizardStatus::usable;
}

bool wizard_issue_code(WizardRecord& wizard, TwoFactor method, std::string code_hash,
                       std::int64_t now) {
    CASHIERD_ASSERT(wizard.state == WizardState::open ||
                    wizard.state == WizardState::awaiting_code);
    wizard.updated_time = now;
    if (wizard.codes_issued >= wizard_codes_max) {
        wizard.state = WizardState::dead;
        wizard.code_hash.clear();
        return false;
    }
    ++wizard.codes_issued;
    wizard.state = WizardState::awaiting_code;
    wizard.method = method;
    wizard.code_hash = std::move(code_hash);
    wizard.code_issued_time = now;
    return true;
}

CodeOutcome wizard_check_code(WizardRecord& wizard, TwoFactorStateRecord& customer_state,
                              std::int64_t now,
                              const std::function<bool(const WizardRecord&)>& matches) {
    if (wizard.state == WizardState::done) return CodeOutcome::done;
    if (wizard_expired(wizard, now)) return CodeOutcome::dead;
    if (wizard.state != WizardState::awaiting_code) return CodeOutcome::no_code;
    if (customer_locked(customer_state, now)) return CodeOutcome::locked;
    wizard.updated_time = now;
    if (matches(wizard)) {
        // Single use: whatever the withdrawal's fate, this code is spent.
        wizard.state = WizardState::dead;
        wizard.code_hash.clear();
        return CodeOutcome::accepted;
    }
    ++wizard.attempts;
    if (wizard.attempts >= wizard_attempts_max) {
        wizard.state = WizardState::dead;
        wizard.code_hash.clear();
    }
    count_customer_failure(customer_state, now);
    return CodeOutcome::wrong;
}

void wizard_mark_done(WizardRecord& wizard, TransactionId transaction, std::int64_t now) {
    wizard.state = WizardState::done;
    wizard.transaction_id = transaction;
    wizard.code_hash.clear();
    wizard.updated_time = now;
}

}  // namespace cashierd::ledger
