// The withdrawal wizard of seed 001: its stored record, the customer's 2FA state, and the state
// machine that decides what a confirmation code may do. Pure values and functions with an
// explicit `now`, so every rule (attempts, expiry, single use) is testable without a clock or
// HTTP. Hashing and TOTP live in providers/: the caller passes the code check in as a function,
// which is called only when the wizard could still accept a code.
// Thread: any (plain values); ShardLedger stores them on the customer's shard.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ledger/records.h"

namespace cashierd::ledger {

/// A code is accepted for this long after it was issued: at issued + 599 s it still counts, at
/// issued + 600 s the wizard is dead.
inline constexpr std::int64_t wizard_code_ttl_seconds = 600;

/// Wrong codes a wizard tolerates in its whole life, across re-sent codes: the fifth kills it.
inline constexpr std::uint32_t wizard_attempts_max = 5;

/// Codes a wizard may issue (a withdrawal request re-posted replaces the code): the request
/// after the fifth code kills it. Bounds a wizard's life to 5 * 10 minutes of codes and the
/// messages one wizard can send.
inline constexpr std::uint32_t wizard_codes_max = 5;

/// A wizard that never received a withdrawal request dies this long after its creation.
inline constexpr std::int64_t wizard_idle_ttl_seconds = 3600;

/// Wrong codes one customer may enter across all of its wizards within one window; more are
/// refused before any code is looked at until the window ends. Creating wizards is free, so
/// without this a stolen session could guess a 6-digit code 5 times per wizard forever.
inline constexpr std::uint32_t customer_code_failures_max = 10;
inline constexpr std::int64_t customer_code_failure_window_seconds = 3600;

/// Digits of an emailed or texted code.
inline constexpr std::size_t wizard_code_digits = 6;

/// Length of a wizard id: a UUID in its canonical lower-case text form.
inline constexpr std::size_t wizard_uuid_length = 36;

enum class WizardState : std::uint8_t {
    open = 0,           // Created; no withdrawal request yet.
    awaiting_code = 1,  // A request is pending its 2FA code.
    done = 2,           // The withdrawal was created (transaction_id).
    dead = 3,           // Too many wrong codes or codes, or the confirmed request was refused.
};

struct WizardRecord {
    static constexpr std::uint8_t version = 1;
    std::string uuid;  // The key: 36 characters, lower-case hex and dashes.
    CustomerId customer_id = 0;
    WizardState state = WizardState::open;
    TwoFactor method = TwoFactor::none;  // The 2FA method of the pending request.
    std::uint32_t attempts = 0;          // Wrong codes so far; never reset.
    std::uint32_t codes_issued = 0;      // Requests that issued a code so far.
    std::int64_t code_issued_time = 0;   // When the pending request's code was issued.
    std::string code_hash;               // SHA-256 of the emailed/texted code; empty for google.
    // The pending withdrawal request (awaiting_code), as the customer posted it.
    Login login = 0;
    std::string provider;
    std::string provider_method;
    std::int64_t amount = 0;  // Minor units of `currency`.
    std::string currency;
    std::string metadata_json;
    TransactionId transaction_id = 0;  // Set when done.
    std::int64_t created_time = 0;
    std::int64_t updated_time = 0;

    void encode(std::string& out) const;
    static WizardRecord decode(std::string_view bytes);
    friend bool operator==(const WizardRecord&, const WizardRecord&) = default;
};

/// Per-customer 2FA state, kept apart from CustomerRecord so that PUT /admin/customers (which
/// rewrites the customer) can never roll back the last used TOTP step.
struct TwoFactorStateRecord {
    static constexpr std::uint8_t version = 1;
    /// The last TOTP time step accepted (0: none): a code of this step or an earlier one is
    /// refused, so each Google Authenticator code works once.
    std::uint64_t last_totp_step = 0;
    std::int64_t failure_window_start = 0;  // Start of the current wrong-code window.
    std::uint32_t failures_in_window = 0;

    void encode(std::string& out) const;
    static TwoFactorStateRecord decode(std::string_view bytes);
    friend bool operator==(const TwoFactorStateRecord&, const TwoFactorStateRecord&) = default;
};

/// Why a wizard cannot take a request or a code, or that it can.
enum class WizardStatus : std::uint8_t {
    usable,
    not_found,  // Absent, or another customer's (never told apart).
    done,
    dead,  // Killed, or past its time.
};

/// True when the wizard is dead at `now`: killed, or its code (or, without a request, the
/// wizard itself) past its time.
bool wizard_expired(const WizardRecord& wizard, std::int64_t now);

/// Whether `customer` may use `wizard` (nullptr: absent) at `now`.
WizardStatus wizard_status(const WizardRecord* wizard, CustomerId customer, std::int64_t now);

/// Records a new pending request on a usable wizard: replaces the request and the code,
/// restarts the code's 10 minutes, keeps the attempts. Returns false and kills the wizard when
/// it already issued wizard_codes_max codes (the caller stores it and answers WIZARD_EXPIRED).
bool wizard_issue_code(WizardRecord& wizard, TwoFactor method, std::string code_hash,
                       std::int64_t now);

enum class CodeOutcome : std::uint8_t {
    accepted,  // The code matched: the caller creates the withdrawal and marks the wizard.
    wrong,     // Counted; the wizard died if this was the last attempt.
    no_code,   // The wizard has no pending request: nothing counted.
    done,      // Already used: refused, nothing counted.
    dead,      // Too many wrong codes or past its time: refused, even a right code.
    locked,    // The customer entered too many wrong codes lately: refused, nothing counted.
};

/// One confirmation code against `wizard` (which the caller checked belongs to the customer).
/// `matches` is called only when the code could still be accepted (the wizard awaiting its
/// code, alive at `now`, the customer not locked out); it compares the code in constant time.
/// On `wrong`, `wizard.attempts` and the customer's failure window grow (the wizard dies at
/// wizard_attempts_max); on `accepted`, the wizard leaves awaiting_code (dead until the caller
/// marks it done), so the code can never be used again. The caller stores both records
/// whatever the outcome, in the same batch.
CodeOutcome wizard_check_code(WizardRecord& wizard, TwoFactorStateRecord& customer_state,
                              std::int64_t now,
                              const std::function<bool(const WizardRecord&)>& matches);

/// Marks an accepted wizard done with the withdrawal it created.
void wizard_mark_done(WizardRecord& wizard, TransactionId transaction, std::int64_t now);

}  // namespace cashierd::ledger
