// cashierd: the composition root. Subcommands:
//   serve [--config FILE] [--listen HOST:PORT] [--data DIR] [--shards N]
//   check --config FILE
//   token [--config FILE] --customer ID [--ttl SECONDS]
//   verify --data DIR
//   backup --data DIR --out DIR
// Thread: main. Signals are blocked in every thread and taken here with sigwait.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <pthread.h>
#include <signal.h>

#include "http/admin_records.h"
#include "http/auth.h"
#include "http/config.h"
#include "http/server.h"
#include "ledger/backup.h"
#include "ledger/verify.h"
#include "providers/jwt.h"
#include "reactor/base/clock.h"
#include "reactor/base/log.h"
#include "reactor/listener.h"

namespace {

using cashierd::http::Config;

constexpr std::string_view usage =
        "usage: cashierd serve [--config FILE] [--listen HOST:PORT] [--data DIR] [--shards N]\n"
        "       cashierd check --config FILE\n"
        "       cashierd token [--config FILE] --customer ID [--ttl SECONDS]\n"
        "       cashierd verify --data DIR\n"
        "       cashierd backup --data DIR --out DIR\n";

struct Options {
    std::string config_path;
    std::string listen;
    std::string data_dir;
    std::string shards;
    std::string customer;  // token only
    std::string ttl;       // token only
    std::string out;       // backup only
};

bool parse_options(int argc, char** argv, int first, Options& options, std::string& error) {
    for (int i = first; i < argc; ++i) {
        std::string_view flag = argv[i];
        std::string* target = nullptr;
        if (flag == "--config") target = &options.config_path;
        if (flag == "--listen") target = &options.listen;
        if (flag == "--data") target = &options.data_dir;
        if (flag == "--shards") target = &options.shards;
        if (flag == "--customer") target = &options.customer;
        if (flag == "--ttl") target = &options.ttl;
        if (flag == "--out") target = &options.out;
        if (target == nullptr) {
            error = "unknown argument: " + std::string(flag);
            return false;
        }
        if (i + 1 >= argc) {
            error = std::string(flag) + " needs a value";
            return false;
        }
        *target = argv[++i];
    }
    return true;
}

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream buffer;
    buffer << in.rdbuf();
    out = buffer.str();
    return true;
}

std::string listen_url(const std::string& host, std::uint16_t port) {
    std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return "http://" + shown + ":" + std::to_string(port);
}

// Loads the config (the embedded demo config without --config) and applies flag overrides.
bool load_config(const Options& options, Config& config, std::string& error) {
    std::string text(cashierd::http::demo_config_json);
    std::string source = "embedded conf/demo.json";
    if (!options.config_path.empty()) {
        source = options.config_path;
        if (!read_file(options.config_path, text)) {
            error = options.config_path + ": cannot read";
            return false;
        }
    }
    std::string problem;
    if (!cashierd::http::parse_config(text, config, problem)) {
        error = source + ": " + problem;
        return false;
    }
    if (!options.listen.empty()) {
        // A public_url that was only the default for the file's listen follows the override.
        bool default_url = config.public_url == listen_url(config.listen_host, config.listen_port);
        if (!cashierd::http::parse_listen(options.listen, config.listen_host, config.listen_port)) {
            error = "--listen: expected HOST:PORT";
            return false;
        }
        if (default_url) config.public_url = listen_url(config.listen_host, config.listen_port);
    }
    if (!options.data_dir.empty()) config.data_dir = options.data_dir;
    if (!options.shards.empty()) {
        char* end = nullptr;
        unsigned long shards = std::strtoul(options.shards.c_str(), &end, 10);
        if (end == options.shards.c_str() || *end != '\0' ||
            shards > cashierd::limits::shards_max) {
            error = "--shards: expected 0.." + std::to_string(cashierd::limits::shards_max);
            return false;
        }
        config.shards = static_cast<std::uint32_t>(shards);
    }
    return true;
}

cashierd::log::Level to_log_level(cashierd::http::LogLevel level) {
    switch (level) {
        case cashierd::http::LogLevel::debug:
            return cashierd::log::Level::debug;
        case cashierd::http::LogLevel::info:
            return cashierd::log::Level::info;
        case cashierd::http::LogLevel::warn:
            return cashierd::log::Level::warn;
        case cashierd::http::LogLevel::error:
            return cashierd::log::Level::error;
    }
    return cashierd::log::Level::info;
}

std::string host_for_url(const std::string& host) {
    if (host.find(':') != std::string::npos) return "[" + host + "]";
    if (host == "0.0.0.0") return "127.0.0.1";
    return host;
}

void print_banner(const Config& config, const cashierd::http::Server& server) {
    std::string base =
            "http://" + host_for_url(config.listen_host) + ":" + std::to_string(server.port());
    std::string listen = host_for_url(config.listen_host) + ":" + std::to_string(server.port());
    std::printf(
            "cashierd listening on %s\n"
            "  shards      %zu\n"
            "  data dir    %s\n"
            "  durability  %s\n"
            "  health      %s/healthz\n"
            "  ready       %s/readyz\n"
            "  metrics     %s/metrics\n",
            base.c_str(), server.shard_count(), config.data_dir.c_str(),
            config.durability == cashierd::http::Durability::fsync ? "fsync" : "relaxed",
            base.c_str(), base.c_str(), base.c_str());
    std::fflush(stdout);
    cashierd::log::info("listening", {{"listen", listen},
                                      {"shards", static_cast<std::int64_t>(server.shard_count())},
                                      {"data_dir", config.data_dir}});
}

int serve(const Options& options) {
    Config config;
    std::string error;
    if (!load_config(options, config, error)) {
        std::fprintf(stderr, "cashierd: %s\n", error.c_str());
        return 2;
    }
    cashierd::log::set_level(to_log_level(config.log.level));

    // Writes to a closed socket must fail with EPIPE, not kill the process.
    signal(SIGPIPE, SIG_IGN);
    // Blocked before any thread starts, so every shard inherits the mask and only sigwait
    // below ever takes these signals.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    cashierd::reactor::raise_open_files_limit();

    cashierd::http::Server server(config);
    cashierd::http::add_health_routes(server);
    cashierd::http::add_docs_routes(server);
    cashierd::http::add_backoffice_routes(server);
    cashierd::http::add_admin_routes(server);
    cashierd::http::add_cashier_routes(server);
    cashierd::http::add_withdrawal_routes(server);
    cashierd::http::add_sandbox_routes(server);
    cashierd::http::add_webhook_routes(server);
    cashierd::http::add_transaction_routes(server);
    cashierd::http::add_wizard_routes(server);
    if (!server.start(error)) {
        cashierd::log::error("startup failed", {{"error", error}});
        std::fprintf(stderr, "cashierd: %s\n", error.c_str());
        return 1;
    }
    print_banner(config, server);

    while (true) {
        int signal_number = 0;
        if (sigwait(&signals, &signal_number) != 0) continue;
        if (signal_number == SIGHUP) {
            cashierd::log::info("SIGHUP: no reloadable settings in this version");
            continue;
        }
        cashierd::log::info("stopping",
                            {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
        break;
    }
    server.request_stop();
    server.wait();
    cashierd::log::info("stopped");
    return 0;
}

int check(const Options& options) {
    if (options.config_path.empty()) {
        std::fprintf(stderr, "cashierd check: --config FILE is required\n");
        return 2;
    }
    Config config;
    std::string error;
    if (!load_config(options, config, error)) {
        std::fprintf(stderr, "cashierd check: %s\n", error.c_str());
        return 1;
    }
    // What serve would refuse later is refused here too: keys that do not load, initial data
    // that does not fit together.
    cashierd::http::InitialData initial;
    bool keys_ok = cashierd::http::make_jwt_verifier(config, error) != nullptr;
    if (keys_ok && !cashierd::http::parse_initial_data(config.initial_data_json, initial, error)) {
        error = "initial data: " + error;
        keys_ok = false;
    }
    if (!keys_ok) {
        std::fprintf(stderr, "cashierd check: %s: %s\n", options.config_path.c_str(),
                     error.c_str());
        return 1;
    }
    std::printf("%s: ok\n", options.config_path.c_str());
    return 0;
}

// A whole decimal number in [min, max]; false for anything else (signs, spaces, overflow).
bool parse_bounded(const std::string& text, std::uint64_t min, std::uint64_t max,
                   std::uint64_t& out) {
    if (text.empty() || text.size() > 19) return false;
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (value < min || value > max) return false;
    out = value;
    return true;
}

// Mints a customer JWT with the config's first HS256 key, for demos and tests (SPEC §2).
int token(const Options& options) {
    constexpr std::uint64_t ttl_default_seconds = 3600;
    constexpr std::uint64_t ttl_max_seconds = 86400;
    constexpr auto customer_id_max = static_cast<std::uint64_t>(INT64_MAX);
    std::uint64_t customer_id = 0;
    if (!parse_bounded(options.customer, 1, customer_id_max, customer_id)) {
        std::fprintf(stderr, "cashierd token: --customer: expected a customer id 1..%llu\n",
                     static_cast<unsigned long long>(customer_id_max));
        return 2;
    }
    std::uint64_t ttl = ttl_default_seconds;
    if (!options.ttl.empty() && !parse_bounded(options.ttl, 1, ttl_max_seconds, ttl)) {
        std::fprintf(stderr, "cashierd token: --ttl: expected 1..%llu seconds\n",
                     static_cast<unsigned long long>(ttl_max_seconds));
        return 2;
    }
    Config config;
    std::string error;
    if (!load_config(options, config, error)) {
        std::fprintf(stderr, "cashierd token: %s\n", error.c_str());
        return 2;
    }
    const cashierd::http::JwtKeyConfig* key = nullptr;
    for (const cashierd::http::JwtKeyConfig& candidate : config.jwt_keys) {
        if (candidate.alg == "HS256") {
            key = &candidate;
            break;
        }
    }
    if (key == nullptr) {
        std::fprintf(stderr,
                     "cashierd token: the config has no HS256 key in jwt.keys (ES256 keys are "
                     "public keys: tokens for them are minted by whoever holds the private key)\n");
        return 2;
    }
    const std::int64_t now = cashierd::RealClock::instance().unix_seconds();
    const std::string jwt = cashierd::providers::mint_hs256(key->kid, key->secret, customer_id, now,
                                                            now + static_cast<std::int64_t>(ttl));
    std::printf("%s\n", jwt.c_str());
    return std::fflush(stdout) == 0 ? 0 : 1;
}

// Checks a data dir's ledger invariants (SPEC §2): the report on stdout; exit 1 when it lists a
// problem, 2 when the data dir cannot be checked at all.
int verify(const Options& options) {
    if (options.data_dir.empty()) {
        std::fprintf(stderr, "cashierd verify: --data DIR is required\n");
        return 2;
    }
    std::string error;
    cashierd::Result<cashierd::ledger::VerifyReport> report =
            cashierd::ledger::verify_data_dir(options.data_dir, &error);
    if (!report.ok()) {
        std::fprintf(stderr, "cashierd verify: %s\n", error.c_str());
        return 2;
    }
    std::fputs(cashierd::ledger::format_verify_report(report.value()).c_str(), stdout);
    if (std::fflush(stdout) != 0) return 2;
    return report->clean() ? 0 : 1;
}

// A hot, consistent, compacted copy of a data dir, safe while the server runs (SPEC §2).
int backup(const Options& options) {
    if (options.data_dir.empty() || options.out.empty()) {
        std::fprintf(stderr, "cashierd backup: --data DIR and --out DIR are required\n");
        return 2;
    }
    std::string error;
    cashierd::Result<cashierd::ledger::BackupReport> report =
            cashierd::ledger::backup_data_dir(options.data_dir, options.out, &error);
    if (!report.ok()) {
        std::fprintf(stderr, "cashierd backup: %s\n", error.c_str());
        return 1;
    }
    std::printf("backup: %s -> %s: %u shards and global, %llu bytes\n", options.data_dir.c_str(),
                options.out.c_str(), report->shards,
                static_cast<unsigned long long>(report->bytes));
    return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs(usage.data(), stderr);
        return 2;
    }
    std::string_view command = argv[1];
    Options options;
    std::string error;
    if (command == "help" || command == "--help" || command == "-h") {
        std::fputs(usage.data(), stdout);
        return 0;
    }
    if (!parse_options(argc, argv, 2, options, error)) {
        std::fprintf(stderr, "cashierd: %s\n%s", error.c_str(), usage.data());
        return 2;
    }
    if (command != "token" && (!options.customer.empty() || !options.ttl.empty())) {
        std::fprintf(stderr, "cashierd: --customer and --ttl belong to the token command\n%s",
                     usage.data());
        return 2;
    }
    if (command != "backup" && !options.out.empty()) {
        std::fprintf(stderr, "cashierd: --out belongs to the backup command\n%s", usage.data());
        return 2;
    }
    if (command == "serve") return serve(options);
    if (command == "check") return check(options);
    if (command == "token") return token(options);
    if (command == "verify") return verify(options);
    if (command == "backup") return backup(options);
    std::fprintf(stderr, "cashierd: unknown command %s\n%s", argv[1], usage.data());
    return 2;
}
