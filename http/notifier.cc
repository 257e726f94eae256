// The outbox JSON line and the `file` notifier: JSON lines appended to a path, each delivery
// made durable with one fdatasync before the dispatcher moves its cursor.
// Thread: a FileNotifier on one thread at a time (the dispatcher's); write_outbox_line() any
// (its parsers are thread_local).
#include "http/notifier.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger/money.h"
#include "reactor/base/log.h"

namespace cashierd::http {
namespace {

constexpr std::array<std::string_view, 4> common_fields = {"id", "type", "customer_id",
                                                           "created_time"};
constexpr std::array<std::string_view, 11> transaction_fields = {
        "transaction_id", "login",  "transaction_type", "status", "status_name", "previous_status",
        "sequence",       "amount", "currency",         "actor",  "comment"};

bool is_own_field(std::string_view key, ledger::OutboxType type) {
    auto has = [key](const auto& names) {
        return std::find(names.begin(), names.end(), key) != names.end();
    };
    if (has(common_fields)) return true;
    return type == ledger::OutboxType::transaction_status && has(transaction_fields);
}

std::string_view trim_trailing_whitespace(std::string_view text) {
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                             text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return text;
}

// The exact source text of one member's value, so numbers keep their digits ("250.10" stays
// "250.10"; a DOM round trip through double would not).
bool raw_value(simdjson::ondemand::value& value, std::string_view& raw) {
    simdjson::ondemand::json_type kind;
    if (value.type().get(kind) != simdjson::SUCCESS) return false;
    if (kind == simdjson::ondemand::json_type::object) {
        simdjson::ondemand::object object;
        if (value.get_object().get(object) != simdjson::SUCCESS) return false;
        return object.raw_json().get(raw) == simdjson::SUCCESS;
    }
    if (kind == simdjson::ondemand::json_type::array) {
        simdjson::ondemand::array array;
        if (value.get_array().get(array) != simdjson::SUCCESS) return false;
        return array.raw_json().get(raw) == simdjson::SUCCESS;
    }
    raw = trim_trailing_whitespace(value.raw_json_token());
    return true;
}

void warn_bad_payload(const ledger::OutboxRecord& record) {
    // Never the payload itself: a 2fa_code payload holds the code.
    log::warn("outbox: payload_json is not a JSON object; its fields are left out",
              {{"id", static_cast<std::int64_t>(record.id)},
               {"type", ledger::outbox_type_name(record.type)}});
}

void write_payload(JsonWriter& json, const ledger::OutboxRecord& record) {
    if (record.payload_json.empty()) return;
    simdjson::padded_string padded(record.payload_json);
    // The DOM parse validates the whole text, which on-demand skipping does not: only a valid
    // object is spliced, so the line stays valid JSON whatever was stored.
    thread_local simdjson::dom::parser validator;
    simdjson::dom::element root;
    if (validator.parse(padded).get(root) != simdjson::SUCCESS || !root.is_object()) {
        warn_bad_payload(record);
        return;
    }
    thread_local simdjson::ondemand::parser parser;
    simdjson::ondemand::document document;
    simdjson::ondemand::object object;
    if (parser.iterate(padded).get(document) != simdjson::SUCCESS ||
        document.get_object().get(object) != simdjson::SUCCESS) {
        warn_bad_payload(record);
        return;
    }
    for (auto member : object) {
        simdjson::ondemand::field field;
        std::string_view key;
        std::string_view raw;
        if (std::move(member).get(field) != simdjson::SUCCESS ||
            field.unescaped_key().get(key) != simdjson::SUCCESS) {
            warn_bad_payload(record);
            return;
        }
        if (is_own_field(key, record.type)) continue;
        if (!raw_value(field.value(), raw)) {
            warn_bad_payload(record);
            return;
        }
        json.key(key).raw(raw);
    }
}

std::string_view errno_name(int error) {
    const char* name = ::strerrorname_np(error);
    return name != nullptr ? name : "unknown";
}

class FileNotifier final : public Notifier {
public:
    explicit FileNotifier(std::string path) : path_(std::move(path)) {}

    ~FileNotifier() override { close_file(); }

    FileNotifier(const FileNotifier&) = delete;
    FileNotifier& operator=(const FileNotifier&) = delete;

    Status deliver(std::span<const ledger::OutboxRecord> records) override;

private:
    Status open_file();
    void close_file();
    bool path_names_open_file() const;
    Status fail(std::string_view what, std::string_view detail, int error);

    std::string path_;
    int fd_ = -1;
    dev_t device_ = 0;  // Identity of the open file, to notice a rotation.
    ino_t inode_ = 0;
    // A failed write left a partial line that could not be cut off: the next delivery starts
    // with a newline so the partial line stands alone and the records after it parse.
    bool torn_ = false;
    std::string lines_;  // Reused across deliveries.
};

Status FileNotifier::fail(std::string_view what, std::string_view detail, int error) {
    log::warn(what, {{"path", path_}, {"errno", errno_name(error)}});
    return Status(StatusCode::internal, detail);
}

void FileNotifier::close_file() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool FileNotifier::path_names_open_file() const {
    struct stat named {};

    if (::stat(path_.c_str(), &named) != 0) return false;
    return named.st_dev == device_ && named.st_ino == inode_;
}

Status FileNotifier::open_file() {
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return fail("outbox file: open failed", "outbox_open_failed", errno);

    struct stat opened {};

    if (::fstat(fd, &opened) != 0) {
        int error = errno;
        ::close(fd);
        return fail("outbox file: fstat failed", "outbox_open_failed", error);
    }
    // The file may be new: its name is durable only once the directory is synced, and a record
    // is not delivered until a crash cannot take it back.
    std::filesystem::path parent = std::filesystem::path(path_).parent_path();
    std::string directory = parent.empty() ? std::string(".") : parent.string();
    int directory_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory_fd < 0 || ::fsync(directory_fd) != 0) {
        int error = errno;
        if (directory_fd >= 0) ::close(directory_fd);
        ::close(fd);
        return fail("outbox file: directory sync failed", "outbox_open_failed", error);
    }
    ::close(directory_fd);
    if (opened.st_dev != device_ || opened.st_ino != inode_) torn_ = false;
    fd_ = fd;
    device_ = opened.st_dev;
    inode_ = opened.st_ino;
    return Status();
}

Status FileNotifier::deliver(std::span<const ledger::OutboxRecord> records) {
    if (records.empty()) return Status();
    if (fd_ >= 0 && !path_names_open_file()) {
        // Renamed (rotated) or removed: what was written there stays durable in the old file;
        // from now on the path gets a file of its own.
        log::info("outbox file: path names another file now; reopening", {{"path", path_}});
        close_file();
    }
    if (fd_ < 0) {
        Status opened = open_file();
        if (!opened.ok()) return opened;
    }
    lines_.clear();
    if (torn_) lines_.push_back('\n');
    for (const ledger::OutboxRecord& record : records) {
        JsonWriter json(lines_);
        write_outbox_line(json, record);
        lines_.push_back('\n');
    }

    struct stat before {};

    bool size_known = ::fstat(fd_, &before) == 0;
    std::size_t written = 0;
    while (written < lines_.size()) {
        ssize_t n = ::write(fd_, lines_.data() + written, lines_.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int error = n < 0 ? errno : EIO;
            // O_APPEND and a single writer: the file ended at `before` when this write began.
            if (written > 0 && (!size_known || ::ftruncate(fd_, before.st_size) != 0)) {
                torn_ = true;
            }
            return fail("outbox file: write failed", "outbox_write_failed", error);
        }
        written += static_cast<std::size_t>(n);
    }
    torn_ = false;
    if (::fdatasync(fd_) != 0) {
        int error = errno;
        // After a failed sync the kernel may have dropped the dirty pages and cleared the
        // error: start over with a fresh descriptor. The retry appends the records again, and
        // receivers drop the duplicates by id.
        close_file();
        return fail("outbox file: fdatasync failed", "outbox_sync_failed", error);
    }
    return Status();
}

}  // namespace

std::unique_ptr<Notifier> make_file_notifier(std::string path) {
    return std::make_unique<FileNotifier>(std::move(path));
}

void write_outbox_line(JsonWriter& json, const ledger::OutboxRecord& record) {
    json.begin_object();
    json.key("id").uint64(record.id);
    json.field("type", ledger::outbox_type_name(record.type));
    json.key("customer_id").uint64(record.customer_id);
    json.field("created_time", record.created_time);
    if (record.type == ledger::OutboxType::transaction_status) {
        json.key("transaction_id").uint64(record.transaction_id);
        json.key("login").uint64(record.login);
        json.field("transaction_type",
                   record.transaction_type == ledger::TxType::deposit ? "deposit" : "withdrawal");
        json.field("status", static_cast<std::int64_t>(record.status));
        json.field("status_name", ledger::tx_status_name(record.status));
        json.field("previous_status", static_cast<std::int64_t>(record.previous_status));
        json.key("sequence").uint64(record.sequence);
        std::optional<ledger::Currency> currency = ledger::find_currency(record.currency);
        char amount[ledger::amount_text_bytes_max];
        std::size_t length =
                ledger::format_amount(record.amount, currency ? currency->exponent : 2, amount);
        json.key("amount").raw(std::string_view(amount, length));
        json.field("currency", record.currency);
        json.field("actor", record.actor);
        json.field("comment", record.comment);
    }
    write_payload(json, record);
    json.end_object();
}

}  // namespace cashierd::http
