// The local payment modules:
//   sandbox        a test provider: redirects to cashierd's own hosted page
//                  (/sandbox/pay/{transaction id}), whose buttons deliver the signed webhook.
//   bank_transfer  no redirect: instructions with the broker's bank details (from the provider
//                  settings) and a payment reference the customer quotes on the transfer; the
//                  transaction waits for the bank's signed notification.
#include <array>

#include "providers/payment_module.h"

namespace cashierd::providers {
namespace {

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
};

const SandboxModule sandbox_module;
const BankTransferModule bank_transfer_module;
constexpr std::array<const PaymentModule*, 2> modules = {&sandbox_module, &bank_transfer_module};

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
