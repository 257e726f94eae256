// The payment modules compiled in:
//   sandbox        a test provider: redirects to cashierd's own hosted page
//                  (/sandbox/pay/{transaction id}), whose buttons deliver the signed webhook.
//   bank_transfer  no redirect: instructions with the broker's bank details (from the provider
//                  settings) and a payment reference the customer quotes on the transfer; the
//                  transaction waits for the bank's signed notification.
//   stripe         Stripe's signed events (payment intents, refunds, disputes); creating the
//                  PaymentIntent needs the outbound HTTPS client and is not available yet.
// Webhooks: the signature is verified before a byte of the body is parsed, then the body is read
// strictly (docs/WEBHOOKS.md has the three formats).
// Thread: modules are stateless; verify_webhook's parsers are thread_local (webhook_json.h).
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "providers/payment_module.h"
#include "providers/webhook_json.h"
#include "providers/webhook_signature.h"

namespace cashierd::providers {
namespace {

namespace dom = simdjson::dom;
namespace json = webhook_json;

constexpr std::string_view cashier_signature_header = "X-Cashier-Signature";
constexpr std::string_view stripe_signature_header = "Stripe-Signature";

// Event ids are remembered durably for replay protection; the local formats promise 128 bytes,
// Stripe documents its object ids as at most 255 characters.
constexpr std::size_t local_event_id_bytes_max = 128;
constexpr std::size_t stripe_id_bytes_max = 255;
constexpr std::size_t provider_payment_id_bytes_max = 255;

constexpr std::string_view detail_event_id_length = "event_id_length";
constexpr std::string_view detail_too_long = "too_long";
constexpr std::string_view detail_status_unknown = "status_unknown";
constexpr std::string_view detail_currency_invalid = "currency_invalid";
constexpr std::string_view detail_reference_invalid = "reference_invalid";
constexpr std::string_view detail_transaction_id_invalid = "transaction_id_invalid";
constexpr std::string_view detail_transaction_not_referenced = "transaction_not_referenced";

// The reference bank_transfer hands out, "CSH-<transaction id>".
constexpr std::string_view bank_reference_prefix = "CSH-";
constexpr std::string_view payout_auto_complete_setting = "payout_auto_complete_seconds";
constexpr std::uint64_t payout_auto_complete_seconds_max = 86400;

// Keeps the strings' capacity, so a caller reusing one WebhookEvent does not allocate.
void reset(WebhookEvent& event) {
    event.event_id.clear();
    event.kind = WebhookKind::ignored;
    event.transaction_id = 0;
    event.provider_payment_id.clear();
    event.amount_text.clear();
    event.amount_minor = -1;
    event.currency.clear();
    event.reason.clear();
}

Status invalid(std::string_view detail, std::string_view field) {
    return Status(StatusCode::invalid_data, detail, field);
}

Status read_event_id(dom::object object, std::string_view field, std::size_t bytes_max,
                     std::string& out) {
    std::string_view id;
    if (Status s = json::get_string(object, field, id); !s.ok()) return s;
    if (id.empty() || id.size() > bytes_max) return invalid(detail_event_id_length, field);
    out.assign(id);
    return Status();
}

Status check_provider_payment_id(std::string_view id, std::string_view field) {
    if (id.size() > provider_payment_id_bytes_max) return invalid(detail_too_long, field);
    return Status();
}

bool is_upper(char c) {
    return c >= 'A' && c <= 'Z';
}

bool is_lower(char c) {
    return c >= 'a' && c <= 'z';
}

// Three ASCII letters; upper case only unless `lower_allowed` (Stripe sends "usd"). Written to
// `out` upper-cased.
Status read_currency(dom::object object, std::string_view field, bool lower_allowed,
                     std::string& out) {
    std::string_view code;
    if (Status s = json::get_string(object, field, code); !s.ok()) return s;
    if (code.size() != 3) return invalid(detail_currency_invalid, field);
    out.resize(3);
    for (std::size_t i = 0; i < 3; ++i) {
        const char c = code[i];
        if (is_upper(c)) {
            out[i] = c;
        } else if (lower_allowed && is_lower(c)) {
            out[i] = static_cast<char>(c - 'a' + 'A');
        } else {
            out.clear();
            return invalid(detail_currency_invalid, field);
        }
    }
    return Status();
}

// A positive decimal id as cashierd writes one (std::to_string): digits, no sign, no leading
// zero, within uint64.
bool parse_decimal_id(std::string_view text, std::uint64_t& out) {
    if (text.empty() || text.size() > 20 || text[0] == '0') return false;
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return false;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
        value = value * 10 + digit;
    }
    out = value;
    return true;
}

std::optional<WebhookKind> local_status_kind(std::string_view status) {
    if (status == "succeeded") return WebhookKind::succeeded;
    if (status == "failed") return WebhookKind::failed;
    if (status == "cancelled") return WebhookKind::cancelled;
    if (status == "refunded") return WebhookKind::refunded;
    if (status == "chargeback") return WebhookKind::chargeback;
    return std::nullopt;
}

Status read_local_status(dom::object root, WebhookKind& out) {
    std::string_view status;
    if (Status s = json::get_string(root, "status", status); !s.ok()) return s;
    std::optional<WebhookKind> kind = local_status_kind(status);
    if (!kind) return invalid(detail_status_unknown, "status");
    out = *kind;
    return Status();
}

class SandboxModule final : public PaymentModule {
public:
    std::string_view name() const override { return "sandbox"; }

    Status create_payment(const PaymentRequest& request, PaymentCreation& out) const override {
        out.provider_payment_id = "sbx_" + std::to_string(request.transaction_id);
        out.redirect_url = std::string(request.public_url) + "/sandbox/pay/" +
                           std::to_string(request.transaction_id);
        out.status = PaymentStatus::pending;
        return Status();
    }

    // The same page plays the payout: Pay confirms it, Fail fails it. With the setting
    // `payout_auto_complete_seconds` (0..86400) the sandbox confirms it by itself after that
    // delay.
    Status request_payout(const PayoutRequest& request, PayoutCreation& out) const override {
        out.provider_payment_id = "sbx_" + std::to_string(request.transaction_id);
        out.page_url = std::string(request.public_url) + "/sandbox/pay/" +
                       std::to_string(request.transaction_id);
        out.auto_complete_seconds = -1;
        if (request.settings != nullptr) {
            auto found = request.settings->find(payout_auto_complete_setting);
            if (found != request.settings->end()) {
                std::uint64_t seconds = 0;
                if (!parse_decimal_id(found->second, seconds) && found->second != "0") {
                    return invalid("payout_auto_complete_seconds_invalid",
                                   payout_auto_complete_setting);
                }
                if (seconds > payout_auto_complete_seconds_max) {
                    return invalid("payout_auto_complete_seconds_invalid",
                                   payout_auto_complete_setting);
                }
                out.auto_complete_seconds = static_cast<std::int64_t>(seconds);
            }
        }
        return Status();
    }

    // {"id","transaction_id","provider_payment_id"?,"status","amount","currency"}
    Status verify_webhook(const WebhookInput& input, WebhookEvent& out) const override {
        reset(out);
        if (Status s = verify_webhook_input(input, cashier_signature_header); !s.ok()) return s;
        static constexpr std::array<std::string_view, 6> fields = {
                "id", "transaction_id", "provider_payment_id", "status", "amount", "currency"};
        dom::object root;
        if (Status s = json::parse_body(input.body, fields, root); !s.ok()) return s;
        if (Status s = read_event_id(root, "id", local_event_id_bytes_max, out.event_id); !s.ok()) {
            return s;
        }
        if (Status s = json::get_positive_uint64(root, "transaction_id", out.transaction_id);
            !s.ok()) {
            return s;
        }
        std::string_view payment_id;
        bool found = false;
        if (Status s = json::get_optional_string(root, "provider_payment_id", payment_id, found);
            !s.ok()) {
            return s;
        }
        if (Status s = check_provider_payment_id(payment_id, "provider_payment_id"); !s.ok()) {
            return s;
        }
        out.provider_payment_id.assign(payment_id);
        if (Status s = read_local_status(root, out.kind); !s.ok()) return s;
        std::string_view amount;
        if (Status s = json::get_root_amount_text(root, "amount", false, amount); !s.ok()) {
            return s;
        }
        out.amount_text.assign(amount);
        return read_currency(root, "currency", false, out.currency);
    }
};

class BankTransferModule final : public PaymentModule {
public:
    std::string_view name() const override { return "bank_transfer"; }

    Status create_payment(const PaymentRequest& request, PaymentCreation& out) const override {
        // The reference is what the bank's notification quotes back: it names the transaction.
        std::string reference = "CSH-" + std::to_string(request.transaction_id);
        out.provider_payment_id = reference;
        out.status = PaymentStatus::pending;
        static constexpr std::array<std::string_view, 5> detail_keys = {
                "beneficiary", "bank", "iban", "bic", "account_number"};
        if (request.settings != nullptr) {
            for (std::string_view key : detail_keys) {
                auto found = request.settings->find(key);
                if (found != request.settings->end()) {
                    out.instructions.emplace_back(std::string(key), found->second);
                }
            }
        }
        out.instructions.emplace_back("amount", std::string(request.amount_text));
        out.instructions.emplace_back("currency", std::string(request.currency));
        out.instructions.emplace_back("reference", reference);
        return Status();
    }

    // A bank payout is sent by the broker's own bank: the back office confirms it (or the
    // bank's signed notification quoting the same reference does).
    Status request_payout(const PayoutRequest& request, PayoutCreation& out) const override {
        out.provider_payment_id = "CSH-" + std::to_string(request.transaction_id);
        out.auto_complete_seconds = -1;
        return Status();
    }

    // {"id","reference","status","amount" (number or decimal string),"currency"}
    Status verify_webhook(const WebhookInput& input, WebhookEvent& out) const override {
        reset(out);
        if (Status s = verify_webhook_input(input, cashier_signature_header); !s.ok()) return s;
        static constexpr std::array<std::string_view, 5> fields = {"id", "reference", "status",
                                                                   "amount", "currency"};
        dom::object root;
        if (Status s = json::parse_body(input.body, fields, root); !s.ok()) return s;
        if (Status s = read_event_id(root, "id", local_event_id_bytes_max, out.event_id); !s.ok()) {
            return s;
        }
        std::string_view reference;
        if (Status s = json::get_string(root, "reference", reference); !s.ok()) return s;
        if (!reference.starts_with(bank_reference_prefix) ||
            !parse_decimal_id(reference.substr(bank_reference_prefix.size()), out.transaction_id)) {
            out.transaction_id = 0;
            return invalid(detail_reference_invalid, "reference");
        }
        out.provider_payment_id.assign(reference);
        if (Status s = read_local_status(root, out.kind); !s.ok()) return s;
        std::string_view amount;
        if (Status s = json::get_root_amount_text(root, "amount", true, amount); !s.ok()) {
            return s;
        }
        out.amount_text.assign(amount);
        return read_currency(root, "currency", false, out.currency);
    }
};

class StripeModule final : public PaymentModule {
public:
    std::string_view name() const override { return "stripe"; }

    Status create_payment(const PaymentRequest& /*request*/,
                          PaymentCreation& /*out*/) const override {
        // Creating the PaymentIntent (metadata.transaction_id set) waits for the
        // outbound HTTPS client.
        return Status(StatusCode::ret_err_noservice, "stripe_payments_not_available");
    }

    Status request_payout(const PayoutRequest& /*request*/,
                          PayoutCreation& /*out*/) const override {
        return Status(StatusCode::ret_err_noservice, "stripe_payouts_not_available");
    }

    bool creates_payments() const override { return false; }

    // {"id":"evt_..","type":"...","data":{"object":{...}}}; see map_object for the types acted on.
    Status verify_webhook(const WebhookInput& input, WebhookEvent& out) const override {
        reset(out);
        if (Status s = verify_webhook_input(input, stripe_signature_header); !s.ok()) return s;
        static constexpr std::array<std::string_view, 3> root_fields = {"id", "type", "data"};
        dom::object root;
        if (Status s = json::parse_body(input.body, root_fields, root); !s.ok()) return s;
        if (Status s = read_event_id(root, "id", stripe_id_bytes_max, out.event_id); !s.ok()) {
            return s;
        }
        std::string_view type;
        if (Status s = json::get_string(root, "type", type); !s.ok()) return s;
        std::optional<WebhookKind> kind = stripe_event_kind(type);
        // Stripe sends every event type the endpoint subscribes to; the rest are acknowledged.
        if (!kind) return Status();
        out.kind = *kind;

        static constexpr std::array<std::string_view, 1> data_fields = {"data.object"};
        dom::object data;
        if (Status s = json::get_object(root, "data", data_fields, data); !s.ok()) return s;
        dom::object object;
        if (Status s = json::get_object(data, "data.object", object_fields, object); !s.ok()) {
            return s;
        }
        if (Status s = map_object(object, out); !s.ok()) return s;
        bool referenced = false;
        if (Status s = read_transaction_id(object, out.transaction_id, referenced); !s.ok()) {
            return s;
        }
        // The rest of `out` stays mapped, so a caller may still find the payment by
        // provider_payment_id.
        if (!referenced) {
            return Status(StatusCode::not_found, detail_transaction_not_referenced,
                          "data.object.metadata.transaction_id");
        }
        return Status();
    }

private:
    static constexpr std::array<std::string_view, 10> object_fields = {
            "data.object.id",
            "data.object.amount",
            "data.object.amount_received",
            "data.object.amount_refunded",
            "data.object.currency",
            "data.object.payment_intent",
            "data.object.metadata",
            "data.object.last_payment_error",
            "data.object.cancellation_reason",
            "data.object.reason"};

    static std::optional<WebhookKind> stripe_event_kind(std::string_view type) {
        if (type == "payment_intent.succeeded") return WebhookKind::succeeded;
        if (type == "payment_intent.payment_failed") return WebhookKind::failed;
        if (type == "payment_intent.canceled") return WebhookKind::cancelled;
        if (type == "charge.refunded") return WebhookKind::refunded;
        if (type == "charge.dispute.created") return WebhookKind::chargeback;
        return std::nullopt;
    }

    // Reads the optional string `field` into `out` (cleared when absent or null).
    static Status read_optional_text(dom::object object, std::string_view field, std::string& out) {
        std::string_view text;
        bool found = false;
        if (Status s = json::get_optional_string(object, field, text, found); !s.ok()) return s;
        out.assign(text);
        return Status();
    }

    static Status read_payment_id(dom::object object, std::string_view field, bool required,
                                  std::string& out) {
        std::string_view id;
        bool found = true;
        Status read = required ? json::get_string(object, field, id)
                               : json::get_optional_string(object, field, id, found);
        if (!read.ok()) return read;
        if (id.size() > stripe_id_bytes_max) return invalid(detail_too_long, field);
        out.assign(id);
        return Status();
    }

    // The payment intent, charge or dispute of the event's type (out.kind) into `out`.
    static Status map_object(dom::object object, WebhookEvent& out) {
        switch (out.kind) {
            case WebhookKind::succeeded: {
                if (Status s = read_payment_id(object, "data.object.id", true,
                                               out.provider_payment_id);
                    !s.ok()) {
                    return s;
                }
                bool received = false;
                if (Status s = json::get_optional_positive_int64(
                            object, "data.object.amount_received", out.amount_minor, received);
                    !s.ok()) {
                    return s;
                }
                if (!received) {
                    if (Status s = json::get_positive_int64(object, "data.object.amount",
                                                            out.amount_minor);
                        !s.ok()) {
                        return s;
                    }
                }
                return read_currency(object, "data.object.currency", true, out.currency);
            }
            case WebhookKind::failed: {
                if (Status s = read_payment_id(object, "data.object.id", true,
                                               out.provider_payment_id);
                    !s.ok()) {
                    return s;
                }
                static constexpr std::array<std::string_view, 2> error_fields = {
                        "data.object.last_payment_error.code",
                        "data.object.last_payment_error.message"};
                dom::object error;
                bool found = false;
                if (Status s = json::get_optional_object(object, "data.object.last_payment_error",
                                                         error_fields, error, found);
                    !s.ok() || !found) {
                    return s;
                }
                if (Status s = read_optional_text(error, error_fields[0], out.reason); !s.ok()) {
                    return s;
                }
                if (!out.reason.empty()) return Status();
                return read_optional_text(error, error_fields[1], out.reason);
            }
            case WebhookKind::cancelled: {
                if (Status s = read_payment_id(object, "data.object.id", true,
                                               out.provider_payment_id);
                    !s.ok()) {
                    return s;
                }
                return read_optional_text(object, "data.object.cancellation_reason", out.reason);
            }
            case WebhookKind::refunded: {
                // A charge: the payment cashierd knows is its payment intent, when it has one.
                if (Status s = read_payment_id(object, "data.object.payment_intent", false,
                                               out.provider_payment_id);
                    !s.ok()) {
                    return s;
                }
                if (out.provider_payment_id.empty()) {
                    if (Status s = read_payment_id(object, "data.object.id", true,
                                                   out.provider_payment_id);
                        !s.ok()) {
                        return s;
                    }
                }
                if (Status s = json::get_positive_int64(object, "data.object.amount_refunded",
                                                        out.amount_minor);
                    !s.ok()) {
                    return s;
                }
                return read_currency(object, "data.object.currency", true, out.currency);
            }
            case WebhookKind::chargeback: {
                if (Status s = read_payment_id(object, "data.object.payment_intent", false,
                                               out.provider_payment_id);
                    !s.ok()) {
                    return s;
                }
                if (Status s = json::get_positive_int64(object, "data.object.amount",
                                                        out.amount_minor);
                    !s.ok()) {
                    return s;
                }
                if (Status s = read_currency(object, "data.object.currency", true, out.currency);
                    !s.ok()) {
                    return s;
                }
                return read_optional_text(object, "data.object.reason", out.reason);
            }
            case WebhookKind::ignored:
                break;
        }
        return Status();
    }

    // object.metadata.transaction_id: Stripe metadata values are strings, and cashierd writes
    // the id in decimal when it creates the PaymentIntent (Stripe copies it onto the charge).
    static Status read_transaction_id(dom::object object, std::uint64_t& out, bool& found) {
        static constexpr std::array<std::string_view, 1> metadata_fields = {
                "data.object.metadata.transaction_id"};
        dom::object metadata;
        if (Status s = json::get_optional_object(object, "data.object.metadata", metadata_fields,
                                                 metadata, found);
            !s.ok() || !found) {
            return s;
        }
        std::string_view text;
        if (Status s = json::get_optional_string(metadata, metadata_fields[0], text, found);
            !s.ok() || !found) {
            return s;
        }
        if (!parse_decimal_id(text, out)) {
            return invalid(detail_transaction_id_invalid, metadata_fields[0]);
        }
        return Status();
    }
};

const SandboxModule sandbox_module;
const BankTransferModule bank_transfer_module;
const StripeModule stripe_module;
constexpr std::array<const PaymentModule*, 3> modules = {&sandbox_module, &bank_transfer_module,
                                                         &stripe_module};

}  // namespace

const PaymentModule* find_payment_module(std::string_view name) {
    for (const PaymentModule* module : modules) {
        if (module->name() == name) return module;
    }
    return nullptr;
}

std::vector<std::string_view> payment_module_names() {
    std::vector<std::string_view> names;
    for (const PaymentModule* module : modules)
        names.push_back(module->name());
    return names;
}

}  // namespace cashierd::providers
