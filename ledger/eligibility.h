// Which payment methods a customer may use on an account (SPEC §4 "GET /cashier/methods"):
// filtered by the account group's brand, the account currency, the customer's country, enabled
// provider configs and loaded provider modules, then the customer's overrides (which can
// enable a method the rules hide, disable one, or narrow its limits). One function, used by
// the methods listing and rechecked by every deposit and withdrawal.
// Thread: any (pure over its inputs).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "ledger/catalog.h"
#include "ledger/records.h"

namespace cashierd::ledger {

struct EligibleMethod {
    const ProviderRecord* provider = nullptr;
    const MethodRecord* method = nullptr;
    std::int64_t min_amount = 0;  // Minor units of the account currency; 0: no minimum.
    std::int64_t max_amount = 0;  // 0: no maximum.
};

struct EligibilityQuery {
    const Catalog& catalog;
    const CustomerRecord& customer;
    const AccountRecord& account;
    std::optional<MethodType> type;
    /// Whether a provider module is loaded in this build.
    std::function<bool(std::string_view module)> module_loaded;
};

/// The eligible methods, in provider code then method id order.
std::vector<EligibleMethod> eligible_methods(const EligibilityQuery& query);

}  // namespace cashierd::ledger
