// ServerProcess: starts the real cashierd binary for a test on 127.0.0.1 with an ephemeral
// port and a temporary data directory, learns the port from its "listening" log line, and
// stops it (SIGTERM, then SIGKILL) when the test ends.
// Thread: the test's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

namespace cashierd::test {

struct ServerOptions {
    int shards = 2;
    bool access_log = false;
    std::string limits_json = "{}";  // The config's "limits" object.
    std::string extra_json;          // More top-level members, e.g. R"(,"public_url":"...")".
    std::vector<std::string> extra_args;
    std::string data_dir;  // Empty: a fresh one inside the server's temp dir.

    static ServerOptions with_shards(int shards) {
        ServerOptions options;
        options.shards = shards;
        return options;
    }

    static ServerOptions with_limits(std::string limits_json, int shards = 2) {
        ServerOptions options;
        options.shards = shards;
        options.limits_json = std::move(limits_json);
        return options;
    }
};

class ServerProcess {
public:
    explicit ServerProcess(ServerOptions options = {});
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    /// Writes the config, starts the binary and waits (up to 15 s) until it listens.
    bool start();

    /// Sends `signal` and waits up to `timeout_ms` for exit. Returns the exit code, or
    /// 128 + signal number if it died by a signal, or -1 if it did not exit in time.
    int stop(int signal_number = 15, int timeout_ms = 15000);

    std::uint16_t port() const { return port_; }

    pid_t pid() const { return pid_; }

    bool running() const { return pid_ > 0; }

    const std::string& dir() const { return dir_; }

    std::string data_dir() const {
        return options_.data_dir.empty() ? dir_ + "/data" : options_.data_dir;
    }

    std::string config_path() const { return dir_ + "/config.json"; }

    std::string stderr_text() const;

    std::string stdout_text() const;

    /// Resident set size of the server process in KiB (VmRSS), or -1.
    long rss_kib() const;

    /// The config the server was started with.
    std::string config_json() const;

private:
    ServerOptions options_;
    std::string dir_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

/// Runs `cashierd <args...>` to completion; returns its exit code and captures its output.
int run_cashierd(const std::vector<std::string>& args, std::string* output = nullptr);

/// Path of a new empty temporary directory (removed by the caller with remove_tree).
std::string make_temp_dir();

void remove_tree(const std::string& path);

}  // namespace cashierd::test
