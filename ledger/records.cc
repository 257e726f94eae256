#include "ledger/records.h"

#include "ledger/record_codec.h"
#include "reactor/base/assert.h"

namespace cashierd::ledger {

std::string_view tx_status_name(TxStatus status) {
    switch (status) {
        case TxStatus::created:
            return "created";
        case TxStatus::pending_payment:
            return "pending_payment";
        case TxStatus::provider_confirmed:
            return "provider_confirmed";
        case TxStatus::credited:
            return "credited";
        case TxStatus::credit_failed:
            return "credit_failed";
        case TxStatus::failed:
            return "failed";
        case TxStatus::cancelled:
            return "cancelled";
        case TxStatus::refunded:
            return "refunded";
        case TxStatus::chargeback:
            return "chargeback";
        case TxStatus::manual_review:
            return "manual_review";
    }
    return "unknown";
}

std::string_view history_type_name(HistoryType type) {
    switch (type) {
        case HistoryType::deposit:
            return "DEPOSIT";
        case HistoryType::withdraw:
            return "WITHDRAW";
        case HistoryType::deposit_nonwithdrawable_bonus:
            return "DEPOSIT_NONWITHDRAWABLE_BONUS";
        case HistoryType::withdraw_nonwithdrawable_bonus:
            return "WITHDRAW_NONWITHDRAWABLE_BONUS";
        case HistoryType::deposit_credit:
            return "DEPOSIT_CREDIT";
        case HistoryType::refund:
            return "REFUND";
        case HistoryType::chargeback:
            return "CHARGEBACK";
        case HistoryType::withdrawal_debit:
            return "WITHDRAWAL_DEBIT";
        case HistoryType::withdrawal_reversal:
            return "WITHDRAWAL_REVERSAL";
    }
    return "UNKNOWN";
}

std::string_view two_factor_name(TwoFactor method) {
    switch (method) {
        case TwoFactor::none:
            return "none";
        case TwoFactor::email:
            return "email";
        case TwoFactor::sms:
            return "sms";
        case TwoFactor::google:
            return "google";
    }
    return "none";
}

std::optional<TwoFactor> parse_two_factor(std::string_view name) {
    for (TwoFactor method :
         {TwoFactor::none, TwoFactor::email, TwoFactor::sms, TwoFactor::google}) {
        if (name == two_factor_name(method)) return method;
    }
    return std::nullopt;
}

std::string_view outbox_type_name(OutboxType type) {
    switch (type) {
        case OutboxType::transaction_status:
            return "transaction_status";
        case OutboxType::two_factor_code:
            return "2fa_code";
    }
    return "unknown";
}

namespace {

template <typename Enum>
Enum checked_enum(std::uint8_t value, std::uint8_t max) {
    CASHIERD_ASSERT(value <= max);
    return static_cast<Enum>(value);
}

// Accepts every version from 1 to `known`: a newer record only appends fields, which older
// ones read as their defaults.
std::uint8_t read_version(RecordReader& in, std::uint8_t known) {
    std::uint8_t version = in.u8();
    CASHIERD_ASSERT(version >= 1 && version <= known);
    return version;
}

}  // namespace

void CustomerRecord::encode(std::string& out) const {
    RecordWriter w(out);
    w.u8(version).u64(id).string(brand).string(country).string(name).string(email).string(phone);
    w.boolean(deposit_allowed)
            .boolean(withdrawal_allowed)
            .u8(static_cast<std::uint8_t>(two_factor));
    w.string(totp_secret).u32(static_cast<std::uint32_t>(overrides.size()));
    for (const MethodOverride& o : overrides) {
        w.string(o.provider)
                .string(o.method)
                .boolean(o.enabled)
                .string(o.min_amount)
                .string(o.max_amount);
    }
    w.i64(created_time).i64(updated_time);
}

CustomerRecord CustomerRecord::decode(std::string_view bytes) {
    RecordReader in(bytes);
    read_version(in, version);
    CustomerRecord r;
    r.id = in.u64();
    r.brand = in.string();
    r.country = in.string();
    r.name = in.string();
    r.email = in.string();
    r.phone = in.string();
    r.deposit_allowed = in.boolean();
    r.withdrawal_allowed = in.boolean();
    r.two_factor = checked_enum<TwoFactor>(in.u8(), static_cast<std::uint8_t>(TwoFactor::google));
    r.totp_secret = in.string();
    std::uint32_t count = in.u32();
    for (std::uint32_t i = 0; i < count; ++i) {
        MethodOverride o;
        o.provider = in.string();
        o.method = in.string();
        o.enabled = in.boolean();
        o.min_amount = in.string();
        o.max_amount = in.string();
        r.overrides.push_back(std::move(o));
    }
    r.created_time = in.i64();
    r.updated_time = in.i64();
    CASHIERD_ASSERT(in.at_end());
    return r;
}

void AccountRecord::encode(std::string& out) const {
    RecordWriter w(out);
    w.u8(version).u64(login).u64(customer_id).string(group).string(currency).boolean(enabled);
    w.i64(balance).i64(bonus).i64(held).u64(last_history_id).i64(created_time).i64(updated_time);
    w.i64(negative_since);
}

AccountRecord AccountRecord::decode(std::string_view bytes) {
    RecordReader in(bytes);
    std::uint8_t stored = read_version(in, version);
    AccountRecord r;
    r.login = in.u64();
    r.customer_id = in.u64();
    r.group = in.string();
    r.currency = in.string();
    r.enabled = in.boolean();
    r.balance = in.i64();
    r.bonus = in.i64();
    r.held = in.i64();
    r.last_history_id = in.u64();
    r.created_time = in.i64();
    r.updated_time = in.i64();
    if (stored >= 2) r.negative_since = in.i64();
    CASHIERD_ASSERT(in.at_end());
    return r;
}

void TransactionRecord::encode(std::string& out) const {
    RecordWriter w(out);
    w.u8(version).u64(id).u64(customer_id).u64(login);
    w.u8(static_cast<std::uint8_t>(type)).u8(static_cast<std::uint8_t>(status));
    w.string(provider).string(method).string(provider_payment_id).i64(amount).string(currency);
    w.string(account_currency).i64(converted_amount).string(conversion_rate).string(failure_reason);
    w.string(idempotency_key).string(comment).string(metadata_json).string(success_url);
    w.string(failure_url).string(redirect_url).string(instructions_json);
    w.i64(created_time).i64(updated_time).u32(status_sequence);
}

TransactionRecord TransactionRecord::decode(std::string_view bytes) {
    RecordReader in(bytes);
    std::uint8_t stored = read_version(in, version);
    TransactionRecord r;
    r.id = in.u64();
    r.customer_id = in.u64();
    r.login = in.u64();
    r.type = checked_enum<TxType>(in.u8(), 1);
    r.status = checked_enum<TxStatus>(in.u8(), tx_status_max);
    r.provider = in.string();
    r.method = in.string();
    r.provider_payment_id = in.string();
    r.amount = in.i64();
    r.currency = in.string();
    r.account_currency = in.string();
    r.converted_amount = in.i64();
    r.conversion_rate = in.string();
    r.failure_reason = in.string();
    r.idempotency_key = in.string();
    r.comment = in.string();
    r.metadata_json = in.string();
    r.success_url = in.string();
    r.failure_url = in.string();
    r.redirect_url = in.string();
    r.instructions_json = in.string();
    r.created_time = in.i64();
    r.updated_time = in.i64();
    // Version 1 transactions were written once, at creation.
    r.status_sequence = stored >= 2 ? in.u32() : 1;
    CASHIERD_ASSERT(in.at_end());
    return r;
}

void HistoryRecord::encode(std::string& out) const {
    RecordWriter w(out);
    w.u8(version).u64(id).u64(login).u64(customer_id).u8(static_cast<std::uint8_t>(type));
    w.i64(balance_delta).i64(bonus_delta).i64(balance_after).i64(bonus_after).u64(transaction_id);
    w.string(actor).string(source).string(comment).string(external_id).string(external_note);
    w.i64(created_time);
}

HistoryRecord HistoryRecord::decode(std::string_view bytes) {
    RecordReader in(bytes);
    read_version(in, version);
    HistoryRecord r;
    r.id = in.u64();
    r.login = in.u64();
    r.customer_id = in.u64();
    r.type = checked_enum<HistoryType>(in.u8(),
                                       static_cast<std::uint8_t>(HistoryType::withdrawal_reversal));
    r.balance_delta = in.i64();
    r.bonus_delta = in.i64();
    r.balance_after = in.i64();
    r.bonus_after = in.i64();
    r.transaction_id = in.u64();
    r.actor = in.string();
    r.source = in.string();
    r.comment = in.string();
    r.external_id = in.string();
    r.external_note = in.string();
    r.created_time = in.i64();
    CASHIERD_ASSERT(in.at_end());
    return r;
}

void OutboxRecord::encode(std::string& out) const {
    RecordWriter w(out);
    w.u8(version).u64(id).u8(static_cast<std::uint8_t>(type)).u64(customer_id).u64(login);
    w.u64(transaction_id).u8(static_cast<std::uint8_t>(transaction_type));
    w.u8(static_cast<std::uint8_t>(status)).u8(static_cast<std::uint8_t>(previous_status));
    w.u32(sequence).i64(amount).string(currency).string(actor).string(comment);
    w.string(payload_json).i64(created_time);
}

OutboxRecord OutboxRecord::decode(std::string_view bytes) {
    RecordReader in(bytes);
    read_version(in, version);
    OutboxRecord r;
    r.id = in.u64();
    r.type = checked_enum<OutboxType>(in.u8(),
                                      static_cast<std::uint8_t>(OutboxType::two_factor_code));
    r.customer_id = in.u64();
    r.login = in.u64();
    r.transaction_id = in.u64();
    r.transaction_type = checked_enum<TxType>(in.u8(), 1);
    r.status = checked_enum<TxStatus>(in.u8(), tx_status_max);
    r.previous_status = checked_enum<TxStatus>(in.u8(), tx_status_max);
    r.sequence = in.u32();
    r.amount = in.i64();
    r.currency = in.string();
    r.actor = in.string();
    r.comment = in.string();
    r.payload_json = in.string();
    r.created_time = in.i64();
    CASHIERD_ASSERT(in.at_end());
    return r;
}

}  // namespace cashierd::ledger
