// Back-office JSON objects -> ledger records, for the config's initial data and the PUT routes
// whose bodies carry lists (providers and their methods). Startup and back-office paths only:
// simdjson DOM, clarity over speed. Every refusal is INVALID_DATA naming the field.
// Thread: any (one parser per call).
#pragma once

#include <string>
#include <string_view>

#include "ledger/catalog.h"
#include "ledger/records.h"
#include "reactor/base/status.h"

namespace cashierd::http {

/// The account part of an initial-data entry, plus balances to seed.
struct InitialAccount {
    ledger::AccountRecord account;
    std::string balance;  // Decimal text; empty: none.
    std::string bonus;
};

/// Parses `json` (one object). `id` is the record's key when it comes from the path (empty
/// when the object carries it, as in initial data: "id", "code" or "login").
bool parse_provider(std::string_view json, std::string_view id, ledger::ProviderRecord& out,
                    std::string& error);

/// Parses a customer's `overrides` array ([{provider, method, enabled, min_amount?,
/// max_amount?}]); false with `error` naming the entry.
bool parse_overrides(std::string_view json, std::vector<ledger::MethodOverride>& out,
                     std::string& error);

/// The initial data of the config, applied once to a new data dir: brands, groups, providers
/// into the global store, customers and accounts (with seeded balances) into their shards.
/// `apply_customer` / `apply_account` are called in that order for each entry.
struct InitialData {
    std::vector<ledger::BrandRecord> brands;
    std::vector<ledger::GroupRecord> groups;
    std::vector<ledger::ProviderRecord> providers;
    std::vector<ledger::CustomerRecord> customers;
    std::vector<InitialAccount> accounts;
};

/// Parses Config::initial_data_json; `error` names the entry and field ("accounts[1].group:
/// unknown group").
bool parse_initial_data(std::string_view json, InitialData& out, std::string& error);

}  // namespace cashierd::http
