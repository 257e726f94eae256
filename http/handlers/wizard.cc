// The withdrawal wizard with 2FA (seed 001), customer JWT on every route:
//   GET  /api/v2/my/withdrawals/wizard   a new wizard (uuid) owned by the customer
//   POST /api/v2/my/withdrawals          a withdrawal request on a wizard: a preview
//                                        (isPretend), the withdrawal itself (no 2FA), or a code
//                                        sent (email, sms) or expected (google)
//   POST /api/v2/my/withdrawals/wizard   the code: creates the withdrawal
// The accepting shard authenticates, validates and checks the login's owner; the customer's
// shard owns the wizard and decides everything else in its batch (ledger/wizard.h holds the
// rules; docs/WIZARD.md the choices).
// Thread: handlers on the accepting shard; jobs' apply() on the customer's shard.
#include "ledger/wizard.h"

#include <ctime>
#include <memory>

#include "http/auth.h"
#include "http/deposit_request.h"
#include "http/handlers/handler_support.h"
#include "http/ledger_gateway.h"
#include "http/withdrawal.h"
#include "providers/crypto.h"
#include "providers/totp.h"
#include "reactor/base/clock.h"

namespace cashierd::http {
namespace {

using ledger::CustomerId;
using ledger::CustomerRecord;
using ledger::Login;
using ledger::TransactionRecord;
using ledger::TwoFactor;
using ledger::WizardRecord;

// Seed 001's workflow names: a wizard in progress, and one that finished.
constexpr std::string_view workflow_withdraw = "B2B\\TCA\\Wizards\\Workflow\\WithdrawWorkflow";
constexpr std::string_view workflow_terminate = "B2B\\TCA\\Wizards\\Workflow\\TerminateWorkflow";
constexpr std::string_view code_template = "Withdraw_Confirm";
constexpr std::size_t code_bytes_max = 64;

// A version 4 UUID from the crypto module's RNG, in canonical lower-case text.
std::string new_uuid() {
    std::array<std::uint8_t, 16> bytes{};
    crypto::random_bytes(bytes);
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);
    std::string hex = crypto::to_hex(bytes);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
}

// A UUID's text (either case) as stored: lower case. Nothing when it is not 8-4-4-4-12 hex.
std::optional<std::string> canonical_uuid(std::string_view text) {
    if (text.size() != ledger::wizard_uuid_length) return std::nullopt;
    std::string out(text);
    for (std::size_t i = 0; i < out.size(); ++i) {
        char& c = out[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return std::nullopt;
        } else if (c >= 'A' && c <= 'F') {
            c = static_cast<char>(c - 'A' + 'a');
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return std::nullopt;
        }
    }
    return out;
}

// A uniformly random 6-digit code: 32-bit draws above the largest multiple of 10^6 are
// rejected, so no code is likelier than another.
std::string random_code() {
    constexpr std::uint64_t range = 1'000'000;
    constexpr std::uint64_t limit = (std::uint64_t{1} << 32) / range * range;
    std::uint64_t value = 0;
    do {
        std::array<std::uint8_t, 4> bytes{};
        crypto::random_bytes(bytes);
        value = std::uint64_t{bytes[0]} | std::uint64_t{bytes[1]} << 8 |
                std::uint64_t{bytes[2]} << 16 | std::uint64_t{bytes[3]} << 24;
    } while (value >= limit);
    value %= range;
    std::string code(ledger::wizard_code_digits, '0');
    for (std::size_t i = code.size(); i-- > 0; value /= 10)
        code[i] = static_cast<char>('0' + value % 10);
    return code;
}

// What is stored of an emailed or texted code: SHA-256 over the wizard's uuid and the code.
std::string code_hash(std::string_view uuid, std::string_view code) {
    std::string input(uuid);
    input.push_back(':');
    input.append(code);
    crypto::Sha256Digest digest = crypto::sha256(input);
    return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

// "2022-01-01T00:00:00+00:00" (seed 001's form).
std::string iso_time(std::int64_t unix_seconds) {
    std::time_t seconds = static_cast<std::time_t>(unix_seconds);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S+00:00", &utc);
    return std::string(text, length);
}

// Seed 001's final wizard object, plus the transaction (SPEC "Shapes the seeds leave open").
void write_final(JsonWriter& json, std::string_view uuid, const TransactionRecord& t) {
    json.begin_object();
    json.field("code", 202);
    json.key("data").begin_array().end_array();
    json.field("done", true);
    json.field("uuid", uuid);
    json.field("workflow", workflow_terminate);
    json.key("transaction");
    write_transaction(json, t);
    json.end_object();
}

// The withdrawal method a seed 001 methodId names: the first enabled provider (by code) with a
// withdrawal method of that id.
bool find_method(const ledger::Catalog& catalog, std::uint64_t method_id, std::string& provider,
                 std::string& method) {
    for (const auto& [code, record] : catalog.providers) {
        if (!record.enabled) continue;
        for (const ledger::MethodRecord& m : record.methods) {
            if (m.type == ledger::MethodType::withdrawal && m.method_id == method_id) {
                provider = code;
                method = m.method;
                return true;
            }
        }
    }
    return false;
}

// Looks up the wizard and checks it is this customer's and still usable.
Status usable_wizard(LedgerContext& context, CustomerId customer, std::string_view uuid,
                     std::string_view field, std::optional<WizardRecord>& out) {
    Result<std::optional<WizardRecord>> stored = context.ledger.wizard(uuid);
    if (!stored.ok()) return stored.status();
    out = std::move(stored.value());
    switch (ledger::wizard_status(out ? &*out : nullptr, customer, context.now)) {
        case ledger::WizardStatus::usable:
            return Status();
        case ledger::WizardStatus::not_found:
            return Status(StatusCode::not_found, "wizard_not_found", field);
        case ledger::WizardStatus::done:
            return Status(StatusCode::wizard_expired, "wizard_done", field);
        case ledger::WizardStatus::dead:
            break;
    }
    return Status(StatusCode::wizard_expired, "", field);
}

// GET /api/v2/my/withdrawals/wizard

class CreateWizardJob final : public LedgerJob {
public:
    CustomerId customer_id = 0;
    std::string uuid;

    void apply(LedgerContext& context) override {
        if (!context.ledger.customer(customer_id).ok()) {
            status_ = Status(StatusCode::customer_not_found);
            return;
        }
        WizardRecord wizard;
        wizard.uuid = uuid;
        wizard.customer_id = customer_id;
        wizard.created_time = wizard.updated_time = context.now;
        status_ = context.ledger.put_wizard(wizard);
    }

    void respond(Exchange& exchange) override {
        if (!status_.ok()) {
            exchange.respond_error(status_);
            return;
        }
        std::string& body = exchange.body_scratch();
        JsonWriter json(body);
        json.begin_object();
        json.field("code", 200);
        json.key("data").null();
        json.field("done", false);
        json.field("uuid", uuid);
        json.field("workflow", workflow_withdraw);
        json.end_object();
        exchange.respond_json(200, body);
    }

private:
    Status status_;
};

HandlerResult get_wizard(Exchange& exchange) {
    std::optional<CustomerId> customer = authenticate_customer(exchange);
    if (!customer) return HandlerResult::done;
    auto job = std::make_unique<CreateWizardJob>();
    job->customer_id = *customer;
    job->uuid = new_uuid();
    return submit_job(exchange, *customer, std::move(job));
}

// POST /api/v2/my/withdrawals

constexpr JsonField request_fields[] = {
        {"accountId", JsonType::uint64, true},
        {"methodId", JsonType::uint64, true},
        {"amount", JsonType::number_text, true},
        {"currencyCode", JsonType::uint64, true},
        {"uuid", JsonType::string, true},
        {"isPretend", JsonType::boolean, false, true},
        {"data", JsonType::object_raw, false, true},
};

class WithdrawalRequestJob final : public LedgerJob {
public:
    std::string uuid;
    std::uint64_t method_id = 0;
    bool pretend = false;
    TransactionRecord request;  // customer_id, login, amount, currency, metadata_json.

    void apply(LedgerContext& context) override {
        std::optional<WizardRecord> wizard;
        status_ = usable_wizard(context, request.customer_id, uuid, "uuid", wizard);
        if (!status_.ok()) return;
        TransactionRecord& t = request;
        t.type = ledger::TxType::withdrawal;
        if (!find_method(context.catalog, method_id, t.provider, t.method)) {
            status_ = Status(StatusCode::payment_method_not_available, "", "methodId");
            return;
        }
        Result<CustomerRecord> customer = context.ledger.customer(t.customer_id);
        if (!customer.ok()) {
            status_ = Status(StatusCode::customer_not_found);
            return;
        }
        WithdrawalPlacement placement;
        if (pretend) {
            // A preview: checked as a withdrawal would be, and nothing is written.
            status_ = place_withdrawal(context, t, true, placement);
            answer_ = Answer::preview;
            return;
        }
        if (customer->two_factor == TwoFactor::none) {
            status_ = place_withdrawal(context, t, false, placement);
            if (!status_.ok()) return;
            ledger::wizard_mark_done(*wizard, t.id, context.now);
            status_ = context.ledger.put_wizard(*wizard);
            answer_ = Answer::created;
            return;
        }
        request_code(context, customer.value(), *wizard);
    }

    void respond(Exchange& exchange) override {
        if (!status_.ok() || answer_ == Answer::preview) {
            respond_transaction(exchange, status_, request);
            return;
        }
        std::string& body = exchange.body_scratch();
        JsonWriter json(body);
        switch (answer_) {
            case Answer::preview:
                break;
            case Answer::created:
                write_final(json, uuid, request);
                break;
            case Answer::two_factor:
                json.begin_object();
                json.field("status", 0);
                json.field("sent", sent_ ? 1 : 0);
                json.field("expiredAt", iso_time(issued_ + ledger::wizard_code_ttl_seconds));
                json.field("sentAt", iso_time(issued_));
                json.key("recipient").begin_object();
                json.field("template", code_template);
                json.field("email", email_);
                if (method_ == TwoFactor::sms) json.field("phone", phone_);
                json.field("name", name_);
                json.field("method", ledger::two_factor_name(method_));
                json.end_object();
                json.end_object();
                break;
        }
        exchange.respond_json(200, body);
    }

private:
    enum class Answer : std::uint8_t { preview, created, two_factor };

    // The request is checked now (so a refusal is told before any code), stored in the
    // wizard, and its code sent through the outbox (email, sms) or expected from the
    // customer's authenticator (google).
    void request_code(LedgerContext& context, const CustomerRecord& customer,
                      WizardRecord& wizard) {
        WithdrawalPlacement placement;
        TransactionRecord preview = request;
        status_ = place_withdrawal(context, preview, true, placement);
        if (!status_.ok()) return;
        std::string recipient;
        if (customer.two_factor == TwoFactor::email) recipient = customer.email;
        if (customer.two_factor == TwoFactor::sms) recipient = customer.phone;
        if (customer.two_factor == TwoFactor::google) {
            std::string key;
            if (providers::base32_decode(customer.totp_secret, key) && !key.empty()) {
                recipient = "authenticator";
            }
        }
        if (recipient.empty()) {
            // The back office configured a 2FA method without its address or secret.
            status_ = Status(StatusCode::withdrawal_not_allowed, "two_factor_not_configured");
            return;
        }
        std::string code;
        std::string hash;
        if (customer.two_factor != TwoFactor::google) {
            code = random_code();
            hash = code_hash(uuid, code);
        }
        if (!ledger::wizard_issue_code(wizard, customer.two_factor, std::move(hash), context.now)) {
            status_ = context.ledger.put_wizard(wizard);
            if (status_.ok()) status_ = Status(StatusCode::wizard_expired, "codes_exhausted");
            return;
        }
        wizard.login = preview.login;
        wizard.provider = preview.provider;
        wizard.provider_method = preview.method;
        wizard.amount = preview.amount;
        wizard.currency = preview.currency;
        wizard.metadata_json = preview.metadata_json;
        status_ = context.ledger.put_wizard(wizard);
        if (!status_.ok()) return;
        if (!code.empty()) {
            ledger::OutboxRecord notice;
            notice.type = ledger::OutboxType::two_factor_code;
            notice.customer_id = customer.id;
            notice.login = preview.login;
            notice.actor = "system";
            notice.created_time = context.now;
            JsonWriter payload(notice.payload_json);
            payload.begin_object();
            payload.field("method", ledger::two_factor_name(customer.two_factor));
            payload.field("recipient", recipient);
            payload.field("template", code_template);
            payload.field("code", code);
            payload.field("wizard", uuid);
            payload.end_object();
            status_ = context.ledger.append_outbox(notice);
            if (!status_.ok()) return;
        }
        answer_ = Answer::two_factor;
        sent_ = !code.empty();
        issued_ = context.now;
        method_ = customer.two_factor;
        email_ = customer.email;
        phone_ = customer.phone;
        name_ = customer.name;
    }

    Status status_;
    Answer answer_ = Answer::preview;
    bool sent_ = false;
    std::int64_t issued_ = 0;
    TwoFactor method_ = TwoFactor::none;
    std::string email_;
    std::string phone_;
    std::string name_;
};

HandlerResult post_withdrawal(Exchange& exchange) {
    std::optional<CustomerId> customer = authenticate_customer(exchange);
    if (!customer) return HandlerResult::done;
    JsonValue v[std::size(request_fields)];
    if (!read_json_body(exchange, request_fields, v)) return HandlerResult::done;
    auto fail = [&exchange](std::string_view detail, std::string_view field) {
        exchange.respond_error(Status(StatusCode::invalid_data, detail, field));
        return HandlerResult::done;
    };
    if (v[0].unsigned_integer == 0 || v[0].unsigned_integer > INT64_MAX) {
        return fail("login_invalid", "accountId");
    }
    if (v[1].unsigned_integer == 0) return fail("method_invalid", "methodId");
    std::optional<ledger::Currency> currency;
    if (v[3].unsigned_integer > 0 && v[3].unsigned_integer <= 999) {
        currency =
                ledger::find_currency_by_numeric(static_cast<std::uint16_t>(v[3].unsigned_integer));
    }
    if (!currency) return fail("currency_unknown", "currencyCode");
    Result<std::int64_t> amount = ledger::parse_amount(v[2].text, currency->exponent);
    if (!amount.ok()) return fail(amount.status().detail(), "amount");
    std::optional<std::string> uuid = canonical_uuid(v[4].text);
    if (!uuid) return fail("uuid_invalid", "uuid");
    auto job = std::make_unique<WithdrawalRequestJob>();
    if (v[6].present) {
        if (v[6].text.size() > metadata_bytes_max) return fail("too_long", "data");
        job->request.metadata_json = v[6].text;
    }
    Login login = v[0].unsigned_integer;
    job->uuid = std::move(*uuid);
    job->method_id = v[1].unsigned_integer;
    job->pretend = v[5].present && v[5].boolean;
    job->request.customer_id = *customer;
    job->request.login = login;
    job->request.amount = amount.value();
    job->request.currency = currency->code;
    if (!job->request.metadata_json.empty()) {
        // The per-method fields are kept as the withdrawal's details: an object without
        // duplicated keys (the reader checks nested objects only when they are read).
        const Request& request = exchange.request();
        std::size_t offset = static_cast<std::size_t>(v[6].text.data() - request.body.data());
        Status nested = exchange.shard().json().read_object(v[6].text,
                                                            request.body_capacity - offset, {}, {});
        if (!nested.ok()) return fail(nested.detail(), "data");
    }
    if (!authorize_login(exchange, *customer, login, "accountId")) return HandlerResult::done;
    return submit_job(exchange, *customer, std::move(job));
}

// POST /api/v2/my/withdrawals/wizard

constexpr JsonField confirm_fields[] = {
        {"data", JsonType::object_raw, true},
};

constexpr JsonField confirm_data_fields[] = {
        {"action", JsonType::string, true},
        {"code", JsonType::string, true},
        {"uuid", JsonType::string, true},
};

// The fields of `data`, as the error names them.
std::string_view confirm_field_name(std::string_view field) {
    if (field == "action") return "data.action";
    if (field == "code") return "data.code";
    if (field == "uuid") return "data.uuid";
    return "data";
}

class ConfirmJob final : public LedgerJob {
public:
    CustomerId customer_id = 0;
    std::string uuid;
    std::string code;

    void apply(LedgerContext& context) override {
        Result<std::optional<WizardRecord>> stored = context.ledger.wizard(uuid);
        if (!stored.ok()) {
            status_ = stored.status();
            return;
        }
        std::optional<WizardRecord>& wizard = stored.value();
        if (!wizard || wizard->customer_id != customer_id) {
            status_ = Status(StatusCode::not_found, "wizard_not_found", "data.uuid");
            return;
        }
        Result<CustomerRecord> customer = context.ledger.customer(customer_id);
        if (!customer.ok()) {
            status_ = Status(StatusCode::customer_not_found);
            return;
        }
        Result<ledger::TwoFactorStateRecord> state = context.ledger.two_factor_state(customer_id);
        if (!state.ok()) {
            status_ = state.status();
            return;
        }
        std::optional<std::uint64_t> totp_step;
        auto matches = [&](const WizardRecord& w) {
            if (w.method == TwoFactor::google) {
                std::string key;
                if (!providers::base32_decode(customer->totp_secret, key)) return false;
                totp_step = providers::totp_verify(key, code, context.now, state->last_totp_step);
                return totp_step.has_value();
            }
            return crypto::constant_time_equal(code_hash(uuid, code), w.code_hash);
        };
        ledger::CodeOutcome outcome =
                ledger::wizard_check_code(*wizard, state.value(), context.now, matches);
        switch (outcome) {
            case ledger::CodeOutcome::done:
                status_ = Status(StatusCode::wizard_expired, "wizard_done", "data.uuid");
                return;
            case ledger::CodeOutcome::dead:
                status_ = Status(StatusCode::wizard_expired, "", "data.uuid");
                return;
            case ledger::CodeOutcome::no_code:
                status_ = Status(StatusCode::invalid_code, "no_code_issued", "data.code");
                return;
            case ledger::CodeOutcome::locked:
                status_ = Status(StatusCode::too_many_requests, "two_factor_locked", "data.code");
                return;
            case ledger::CodeOutcome::wrong:
                // The attempt is committed with the batch even though the answer is an error.
                status_ = context.ledger.put_wizard(*wizard);
                if (status_.ok()) {
                    status_ = context.ledger.put_two_factor_state(customer_id, state.value());
                }
                if (status_.ok()) status_ = Status(StatusCode::invalid_code, "", "data.code");
                return;
            case ledger::CodeOutcome::accepted:
                break;
        }
        if (totp_step) {
            state->last_totp_step = *totp_step;
            status_ = context.ledger.put_two_factor_state(customer_id, state.value());
            if (!status_.ok()) return;
        }
        TransactionRecord& t = transaction_;
        t.customer_id = customer_id;
        t.login = wizard->login;
        t.type = ledger::TxType::withdrawal;
        t.provider = wizard->provider;
        t.method = wizard->provider_method;
        t.amount = wizard->amount;
        t.currency = wizard->currency;
        t.metadata_json = wizard->metadata_json;
        WithdrawalPlacement placement;
        Status placed = place_withdrawal(context, t, false, placement);
        // The code is spent either way: a refused withdrawal leaves the wizard dead.
        if (placed.ok()) ledger::wizard_mark_done(*wizard, t.id, context.now);
        status_ = context.ledger.put_wizard(*wizard);
        if (status_.ok()) status_ = placed;
    }

    void respond(Exchange& exchange) override {
        if (!status_.ok()) {
            exchange.respond_error(status_);
            return;
        }
        std::string& body = exchange.body_scratch();
        JsonWriter json(body);
        write_final(json, uuid, transaction_);
        exchange.respond_json(200, body);
    }

private:
    Status status_;
    TransactionRecord transaction_;
};

HandlerResult post_confirm(Exchange& exchange) {
    std::optional<CustomerId> customer = authenticate_customer(exchange);
    if (!customer) return HandlerResult::done;
    JsonValue outer[std::size(confirm_fields)];
    if (!read_json_body(exchange, confirm_fields, outer)) return HandlerResult::done;
    const Request& request = exchange.request();
    std::string_view data = outer[0].text;
    std::size_t offset = static_cast<std::size_t>(data.data() - request.body.data());
    JsonValue v[std::size(confirm_data_fields)];
    Status status = exchange.shard().json().read_object(data, request.body_capacity - offset,
                                                        confirm_data_fields, v);
    if (!status.ok()) {
        exchange.respond_error(
                Status(status.code(), status.detail(), confirm_field_name(status.field())));
        return HandlerResult::done;
    }
    if (v[0].text != "code") {
        exchange.respond_error(Status(StatusCode::invalid_data, "action_unknown", "data.action"));
        return HandlerResult::done;
    }
    if (v[1].text.empty() || v[1].text.size() > code_bytes_max) {
        exchange.respond_error(Status(StatusCode::invalid_data, "code_invalid", "data.code"));
        return HandlerResult::done;
    }
    std::optional<std::string> uuid = canonical_uuid(v[2].text);
    if (!uuid) {
        exchange.respond_error(Status(StatusCode::invalid_data, "uuid_invalid", "data.uuid"));
        return HandlerResult::done;
    }
    auto job = std::make_unique<ConfirmJob>();
    job->customer_id = *customer;
    job->uuid = std::move(*uuid);
    job->code = v[1].text;
    return submit_job(exchange, *customer, std::move(job));
}

}  // namespace

void add_wizard_routes(Server& server) {
    server.add_route(Method::get, "/api/v2/my/withdrawals/wizard", get_wizard);
    server.add_route(Method::post, "/api/v2/my/withdrawals", post_withdrawal);
    server.add_route(Method::post, "/api/v2/my/withdrawals/wizard", post_confirm);
}

}  // namespace cashierd::http
