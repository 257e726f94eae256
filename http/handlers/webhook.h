// Provider webhooks shared by the webhook route and the sandbox hosted page: turning a
// verified event into the ledger's command, and the answer both give.
// Thread: the calling shard.
#pragma once

#include <cstdint>
#include <string_view>

#include "http/json_writer.h"
#include "ledger/shard_ledger.h"
#include "providers/payment_module.h"

namespace cashierd::http {

/// The ledger command for a verified event of provider `provider` (kind must not be ignored).
ledger::ProviderEventCommand provider_event_command(std::string_view provider,
                                                    providers::WebhookEvent&& event);

/// The webhook answer: {"applied", "outcome", "transaction"}.
void write_webhook_answer(JsonWriter& json, const ledger::ProviderEventResult& result);

}  // namespace cashierd::http
