// Small pieces every handler needs: authorization, body reading, path numbers, money text.
// Thread: the handling shard.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/json_reader.h"
#include "http/json_writer.h"
#include "http/server.h"
#include "ledger/money.h"
#include "ledger/records.h"

namespace cashierd::http {

/// The manager token of the request (Bearer header, or `?token=` when `query` is true), or
/// answers 401 UNAUTHORIZED and returns nothing.
std::optional<std::size_t> authorize_manager(Exchange& exchange, bool query);

/// Reads the JSON object body into `out` (fields as JsonReader reads them). Answers 415 when
/// the Content-Type is not application/json and 400 INVALID_DATA when the body is not valid;
/// returns false then.
bool read_json_body(Exchange& exchange, std::span<const JsonField> fields,
                    std::span<JsonValue> out);

/// A positive decimal integer (a login, a customer id) from a path or query text.
std::optional<std::uint64_t> parse_id(std::string_view text);

/// `[A-Za-z0-9_-]{1,64}`: brand, group and provider ids.
bool valid_string_id(std::string_view id);

/// Writes `amount` (minor units) of `currency` as a JSON number ("250.00").
void write_amount(JsonWriter& json, std::string_view key, std::int64_t amount,
                  std::string_view currency);

/// Writes a transaction as the Cashier API shows it (seed 003's fields).
void write_transaction(JsonWriter& json, const ledger::TransactionRecord& t);

/// Answers `status` when it is an error, else `200 {"transaction": t}`.
void respond_transaction(Exchange& exchange, Status status, const ledger::TransactionRecord& t);

/// `type=deposit|withdrawal|0|1`.
std::optional<ledger::TxType> parse_tx_type(std::string_view text);

/// `status=credited|3` (any status name or number of seed 003).
std::optional<ledger::TxStatus> parse_tx_status(std::string_view text);

/// A page of a newest-first listing: ?limit= (1..200, default 50) and ?cursor= (an id from a
/// previous page's next_cursor).
struct Page {
    std::size_t limit = 50;
    std::uint64_t before = 0;  // 0: from the newest.
};

/// Reads ?limit= and ?cursor=; answers 400 INVALID_DATA naming the parameter and returns
/// false when one is malformed.
bool read_page(Exchange& exchange, Page& page);

/// Reads the ?type= and ?status= filters; answers 400 INVALID_DATA and returns false when one
/// is unknown.
bool read_transaction_filters(Exchange& exchange, std::optional<ledger::TxType>& type,
                              std::optional<ledger::TxStatus>& status);

/// An actor name for history records: "manager#<index>" (never the token itself).
std::string manager_actor(std::size_t index);

/// The customer of the request's JWT (Authorization: Bearer), or answers 401 UNAUTHORIZED
/// (with WWW-Authenticate) and returns nothing.
std::optional<ledger::CustomerId> authenticate_customer(Exchange& exchange);

/// The login must exist (400 ACCOUNT_NOT_AVAILABLE) and belong to the customer (403
/// PERMISSION_DENIED), whichever shard the request landed on: the directory is global. Answers
/// and returns false otherwise. `field` names the login in the error (static storage: seed
/// 001 calls it `accountId`).
bool authorize_login(Exchange& exchange, ledger::CustomerId customer, ledger::Login login,
                     std::string_view field = "login");

}  // namespace cashierd::http
