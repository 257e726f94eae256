// Config: the one JSON configuration file of SPEC §2, parsed and validated at startup.
// A bad value is refused with a message that names the key ("limits.body_bytes_max: ...").
// Unknown keys are refused too: a typo in a payments config must not pass silently.
// Thread: built on the main thread before shards start; read-only (const&) afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cashierd::http {

enum class Durability : std::uint8_t { fsync, relaxed };

enum class LogLevel : std::uint8_t { debug, info, warn, error };

struct LimitsConfig {
    std::size_t header_bytes_max = 8192;            // 1024 .. limits::request_head_bytes_max
    std::size_t body_bytes_max = 65536;             // 1024 .. limits::request_body_bytes_max
    std::size_t connections_per_shard_max = 10000;  // 1 .. limits::connections_per_shard_max
    std::size_t mailbox_messages_max = 4096;        // 16 .. limits::mailbox_messages_max
    std::uint32_t header_timeout_ms = 10000;        // 100 .. 600000
    std::uint32_t body_timeout_ms = 30000;          // 100 .. 600000
    std::uint32_t idle_timeout_ms = 60000;          // 100 .. 3600000
    std::uint32_t shutdown_timeout_ms = 10000;      // 0 .. 600000
};

struct JwtKeyConfig {
    std::string kid;
    std::string alg;             // "HS256" or "ES256"
    std::string secret;          // HS256: the key as UTF-8 (at least 32 bytes).
    std::string public_key_pem;  // ES256: a P-256 public key in PEM.
};

struct NotifierConfig {
    std::string kind = "file";          // "file" or "webhook"
    std::string path = "outbox.jsonl";  // file: relative paths are inside data_dir.
    std::string url;                    // webhook
    std::string secret;                 // webhook
};

struct LogConfig {
    LogLevel level = LogLevel::info;
    bool access = true;  // One JSON line per request.
};

struct Config {
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 8080;
    std::uint32_t shards = 0;  // 0 = one per core; at most limits::shards_max.
    std::string data_dir = "./var";
    Durability durability = Durability::fsync;
    std::vector<std::string> manager_tokens;  // Each at least 16 bytes; no duplicates.
    std::vector<JwtKeyConfig> jwt_keys;       // Unique kids.
    NotifierConfig notifier;
    LimitsConfig limits;
    LogConfig log;
    /// Base URL printed in the banner and used for links to cashierd's own pages
    /// (default "http://<listen>").
    std::string public_url;
    /// The initial-data sections (brands, groups, customers, accounts, providers, api_clients,
    /// rates) as one JSON object holding those present, each validated to be an array of
    /// objects; "{}" when none. Applied by the ledger on first start.
    std::string initial_data_json = "{}";
};

/// Parses and validates a whole config document. On failure returns false and sets `error` to
/// one line naming the key and the problem.
bool parse_config(std::string_view json, Config& out, std::string& error);

/// Parses "HOST:PORT" (IPv4 dotted quad, "localhost", or "[IPv6]"; port 0..65535).
bool parse_listen(std::string_view text, std::string& host, std::uint16_t& port);

/// conf/demo.json, compiled into the binary: the default when no --config is given.
extern const std::string_view demo_config_json;

}  // namespace cashierd::http
