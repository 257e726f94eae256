// Notifier: how outbox records leave the server (SPEC §2 `notifier`), and the JSON line every
// notifier sends for a record. The `file` notifier appends JSON lines to a path.
// Thread: a notifier is used by one thread at a time (the outbox dispatcher's);
// write_outbox_line() is a pure function, callable from any thread.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "http/json_writer.h"
#include "ledger/records.h"
#include "reactor/base/status.h"

namespace cashierd::http {

/// Delivers outbox records outside. Kept behind this interface so the `webhook` notifier (signed
/// POST with retries, with the outbound HTTP client of a later issue) plugs in beside `file`.
class Notifier {
public:
    virtual ~Notifier() = default;
    /// Delivers `records` in order. OK only once every record is durable at the receiver (file:
    /// written and fdatasync'd). On failure the dispatcher retries the same records later: a
    /// receiver may see a record twice (it drops duplicates by `id`, and stale statuses by
    /// `sequence`), never miss one.
    virtual Status deliver(std::span<const ledger::OutboxRecord> records) = 0;
};

/// Appends JSON lines to `path` (O_APPEND|O_CREAT, 0640, fdatasync per delivery). Reopens the
/// path when it no longer names the open file (log rotation renamed it). Errors are INTERNAL
/// with detail "outbox_open_failed", "outbox_write_failed" or "outbox_sync_failed"; the errno
/// is logged. A write that fails half-way is cut back off the file, so a retry never leaves a
/// torn line in front of the records it repeats.
std::unique_ptr<Notifier> make_file_notifier(std::string path);

/// Renders one record as its JSON line (no newline): `id`, `type`, `customer_id`,
/// `created_time`; for transaction_status also `transaction_id`, `login`, `transaction_type`,
/// `status`, `status_name`, `previous_status`, `sequence`, `amount` (a decimal number in the
/// currency's exponent), `currency`, `actor`, `comment`; then the members of `payload_json`
/// at top level. A payload member named like one of the fields above is left out (the
/// record's own fields win), and a payload that is not a JSON object is left out whole.
void write_outbox_line(JsonWriter& json, const ledger::OutboxRecord& record);

}  // namespace cashierd::http
