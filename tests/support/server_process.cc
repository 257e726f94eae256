#include "tests/support/server_process.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cashierd::test {
namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

int wait_exit(pid_t pid, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
        int status = 0;
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            if (WIFEXITED(status)) return WEXITSTATUS(status);
            if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
            return -1;
        }
        if (std::chrono::steady_clock::now() > deadline) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

pid_t spawn(const std::vector<std::string>& args, const std::string& out_path,
            const std::string& err_path) {
    pid_t pid = ::fork();
    if (pid != 0) return pid;
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    std::vector<char*> argv;
    std::string binary = CASHIERD_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (std::string& arg : copy)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
}

}  // namespace

std::string make_temp_dir() {
    std::string pattern =
            (std::filesystem::temp_directory_path() / "cashierd-test-XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    return made != nullptr ? std::string(made) : std::string();
}

void remove_tree(const std::string& path) {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
}

ServerProcess::ServerProcess(ServerOptions options) : options_(std::move(options)) {}

ServerProcess::~ServerProcess() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        wait_exit(pid_, 5000);
    }
    remove_tree(dir_);
}

std::string ServerProcess::config_json() const {
    std::ostringstream json;
    json << R"({"listen":"127.0.0.1:0","shards":)" << options_.shards << R"(,"data_dir":")"
         << data_dir() << R"(","durability":"fsync",)"
         << R"("manager_tokens":["test-manager-token-0123456789"],)"
         << R"("jwt":{"keys":[{"kid":"test","alg":"HS256","secret":"test-jwt-secret-0123456789abcdef0123456789"}]},)"
         << R"("limits":)" << options_.limits_json << R"(,"log":{"level":"info","access":)"
         << (options_.access_log ? "true" : "false") << "}" << options_.extra_json << "}";
    return json.str();
}

bool ServerProcess::start() {
    dir_ = make_temp_dir();
    if (dir_.empty()) return false;
    std::ofstream(config_path()) << config_json();
    std::vector<std::string> args = {"serve", "--config", config_path()};
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    pid_ = spawn(args, dir_ + "/stdout", dir_ + "/stderr");
    if (pid_ <= 0) return false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
        std::string err = stderr_text();
        std::size_t at = err.find("\"message\":\"listening\"");
        if (at != std::string::npos) {
            std::size_t listen = err.find("\"listen\":\"127.0.0.1:", at);
            if (listen != std::string::npos) {
                port_ = static_cast<std::uint16_t>(std::atoi(
                        err.c_str() + listen + std::string("\"listen\":\"127.0.0.1:").size()));
                return port_ != 0;
            }
        }
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

int ServerProcess::stop(int signal_number, int timeout_ms) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal_number);
    int code = wait_exit(pid_, timeout_ms);
    if (code != -1) pid_ = -1;
    return code;
}

std::string ServerProcess::stderr_text() const {
    return read_all(dir_ + "/stderr");
}

std::string ServerProcess::stdout_text() const {
    return read_all(dir_ + "/stdout");
}

long ServerProcess::rss_kib() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    }
    return -1;
}

int run_cashierd(const std::vector<std::string>& args, std::string* output) {
    std::string dir = make_temp_dir();
    pid_t pid = spawn(args, dir + "/out", dir + "/out");
    int code = wait_exit(pid, 60000);
    if (output != nullptr) *output = read_all(dir + "/out");
    remove_tree(dir);
    return code;
}

}  // namespace cashierd::test
