// Config parsing and validation (SPEC §2) with simdjson's DOM API: startup-only code, so it
// favours plain checks and exact messages over speed. Every error is one line "<key path>:
// <problem>" and never echoes a configured value, so a secret cannot leak into a log or terminal.
// Thread: main, before shards start (and on SIGHUP reload); `out` is only written on success.
#include "http/config.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <simdjson.h>

#include "reactor/base/assert.h"
#include "reactor/base/limits.h"

namespace cashierd::http {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// The initial-data sections, in the order the ledger applies them (a group names its brand, an
// account its customer and group, ...). initial_data_json lists them in this order too.
constexpr std::array<std::string_view, 7> initial_data_sections = {
        "brands", "groups", "customers", "accounts", "providers", "api_clients", "rates"};

constexpr std::size_t displayed_key_bytes_max = 64;

// A key as it may appear in an error: control bytes escaped (the message stays one line) and
// long keys cut (a pasted blob must not flood the terminal).
std::string display_key(std::string_view key) {
    std::string text;
    std::size_t count = key.size();
    bool cut = false;
    if (count > displayed_key_bytes_max) {
        count = displayed_key_bytes_max;
        // Back off to a UTF-8 boundary so the message stays valid UTF-8.
        while (count > 0 && (static_cast<unsigned char>(key[count]) & 0xC0U) == 0x80U)
            --count;
        cut = true;
    }
    constexpr std::string_view hex = "0123456789abcdef";
    for (std::size_t i = 0; i < count; ++i) {
        auto byte = static_cast<unsigned char>(key[i]);
        if (byte < 0x20U || byte == 0x7FU) {
            text += "\\x";
            text += hex[byte >> 4U];
            text += hex[byte & 0x0FU];
        } else {
            text += static_cast<char>(byte);
        }
    }
    if (cut) text += "...";
    return text;
}

std::string member_path(std::string_view parent, std::string_view key) {
    std::string path(parent);
    if (!path.empty()) path += '.';
    path += display_key(key);
    return path;
}

std::string index_path(std::string_view parent, std::size_t index) {
    return std::string(parent) + "[" + std::to_string(index) + "]";
}

// Precondition: the element is an object (an array). The view is returned by value: a range-for
// over get_object().value_unsafe() would iterate a reference into a destroyed temporary.
simdjson::dom::object object_of(element value) {
    simdjson::dom::object object;
    simdjson::error_code code = value.get_object().get(object);
    CASHIERD_ASSERT(code == simdjson::SUCCESS);
    return object;
}

simdjson::dom::array array_of(element value) {
    simdjson::dom::array array;
    simdjson::error_code code = value.get_array().get(array);
    CASHIERD_ASSERT(code == simdjson::SUCCESS);
    return array;
}

bool fail(std::string& error, std::string_view path, std::string_view problem) {
    error = path.empty() ? std::string("(document)") : std::string(path);
    error += ": ";
    error += problem;
    return false;
}

// The DOM keeps every member of an object, duplicates included; a payments config with two
// values for one key is ambiguous, so it is refused wherever it occurs.
bool check_unique_keys(element value, const std::string& path, std::string& error) {
    if (value.type() == element_type::ARRAY) {
        std::size_t index = 0;
        for (element item : array_of(value)) {
            if (!check_unique_keys(item, index_path(path, index), error)) return false;
            ++index;
        }
        return true;
    }
    if (value.type() != element_type::OBJECT) return true;
    std::unordered_set<std::string_view> seen;
    for (auto member : object_of(value)) {
        std::string child = member_path(path, member.key);
        if (!seen.insert(member.key).second) return fail(error, child, "duplicate key");
        if (!check_unique_keys(member.value, child, error)) return false;
    }
    return true;
}

// The members of one config object, already checked against the keys it may hold.
class Members {
public:
    std::optional<element> find(std::string_view key) const {
        for (const auto& [name, value] : items_) {
            if (name == key) return value;
        }
        return std::nullopt;
    }

    void add(std::string_view key, element value) { items_.emplace_back(key, value); }

private:
    std::vector<std::pair<std::string_view, element>> items_;
};

bool read_object(element value, const std::string& path,
                 std::initializer_list<std::string_view> known, Members& out, std::string& error) {
    if (value.type() != element_type::OBJECT) {
        return fail(error, path, path.empty() ? "must be a JSON object" : "must be an object");
    }
    for (auto member : object_of(value)) {
        bool is_known = false;
        for (std::string_view key : known)
            is_known = is_known || key == member.key;
        if (!is_known) return fail(error, member_path(path, member.key), "unknown key");
        out.add(member.key, member.value);
    }
    return true;
}

bool read_string(element value, const std::string& path, std::string& out, std::string& error) {
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) {
        return fail(error, path, "must be a string");
    }
    out.assign(text);
    return true;
}

// A path handed to open(2) ends at the first NUL, so a NUL inside would silently name another
// file.
bool read_path(element value, const std::string& path, std::string& out, std::string& error) {
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS || text.empty() ||
        text.find('\0') != std::string_view::npos) {
        return fail(error, path, "must be a non-empty string without NUL bytes");
    }
    out.assign(text);
    return true;
}

bool read_bool(element value, const std::string& path, bool& out, std::string& error) {
    if (value.get_bool().get(out) != simdjson::SUCCESS) {
        return fail(error, path, "must be true or false");
    }
    return true;
}

// Integers only: 1e3 and 1024.0 are refused, since a size or a timeout written as a float is
// more likely a mistake than a wish.
template <typename T>
bool read_integer(element value, const std::string& path, std::uint64_t min, std::uint64_t max,
                  T& out, std::string& error) {
    std::optional<std::uint64_t> number;
    if (value.type() == element_type::INT64) {
        std::int64_t signed_number = value.get_int64().value_unsafe();
        if (signed_number >= 0) number = static_cast<std::uint64_t>(signed_number);
    } else if (value.type() == element_type::UINT64) {
        number = value.get_uint64().value_unsafe();
    }
    if (!number || *number < min || *number > max) {
        return fail(error, path,
                    "must be an integer between " + std::to_string(min) + " and " +
                            std::to_string(max));
    }
    out = static_cast<T>(*number);
    return true;
}

// Scheme, then a non-empty rest with no spaces or control bytes.
bool is_http_url(std::string_view text) {
    std::string_view rest;
    if (text.starts_with("http://")) {
        rest = text.substr(7);
    } else if (text.starts_with("https://")) {
        rest = text.substr(8);
    } else {
        return false;
    }
    if (rest.empty() || rest.front() == '/') return false;
    for (char c : rest) {
        auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20U || byte == 0x7FU) return false;
    }
    return true;
}

bool read_url(element value, const std::string& path, std::string& out, std::string& error) {
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS || !is_http_url(text)) {
        return fail(error, path, "must be an http:// or https:// URL");
    }
    out.assign(text);
    return true;
}

bool is_kid(std::string_view kid) {
    if (kid.empty() || kid.size() > 64) return false;
    for (char c : kid) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

// Manager tokens arrive in an Authorization header or a query parameter, where spaces and
// control bytes cannot survive; a token holding them could never match.
bool is_visible_ascii(std::string_view text) {
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x21U || byte > 0x7EU) return false;
    }
    return true;
}

bool read_manager_tokens(element value, std::vector<std::string>& out, std::string& error) {
    const std::string path = "manager_tokens";
    if (value.type() != element_type::ARRAY)
        return fail(error, path, "must be an array of strings");
    std::size_t index = 0;
    for (element item : array_of(value)) {
        std::string item_path = index_path(path, index);
        std::string_view token;
        if (item.get_string().get(token) != simdjson::SUCCESS || token.size() < 16 ||
            !is_visible_ascii(token)) {
            return fail(error, item_path,
                        "must be a string of at least 16 printable ASCII characters without "
                        "spaces");
        }
        for (const std::string& earlier : out) {
            if (earlier == token) return fail(error, item_path, "duplicate token");
        }
        out.emplace_back(token);
        ++index;
    }
    return true;
}

bool read_jwt_key(element value, const std::string& path, JwtKeyConfig& out, std::string& error) {
    Members members;
    if (!read_object(value, path, {"kid", "alg", "secret", "public_key_pem"}, members, error)) {
        return false;
    }
    const std::string kid_path = path + ".kid";
    auto kid = members.find("kid");
    if (!kid) return fail(error, kid_path, "required");
    if (!read_string(*kid, kid_path, out.kid, error)) return false;
    if (!is_kid(out.kid)) {
        return fail(error, kid_path, "must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
    }

    const std::string alg_path = path + ".alg";
    auto alg = members.find("alg");
    if (!alg) return fail(error, alg_path, "required");
    if (!read_string(*alg, alg_path, out.alg, error)) return false;
    if (out.alg != "HS256" && out.alg != "ES256") {
        return fail(error, alg_path, R"(must be "HS256" or "ES256")");
    }

    const std::string secret_path = path + ".secret";
    const std::string pem_path = path + ".public_key_pem";
    auto secret = members.find("secret");
    auto pem = members.find("public_key_pem");
    if (out.alg == "HS256") {
        if (pem) return fail(error, pem_path, "not allowed for HS256");
        if (!secret) return fail(error, secret_path, "required for HS256");
        std::string_view text;
        if (secret->get_string().get(text) != simdjson::SUCCESS || text.size() < 32) {
            return fail(error, secret_path, "must be a string of at least 32 bytes");
        }
        out.secret.assign(text);
        return true;
    }
    if (secret) return fail(error, secret_path, "not allowed for ES256");
    if (!pem) return fail(error, pem_path, "required for ES256");
    std::string_view text;
    constexpr std::string_view begin = "-----BEGIN PUBLIC KEY-----";
    constexpr std::string_view end = "-----END PUBLIC KEY-----";
    std::size_t begin_at = std::string_view::npos;
    if (pem->get_string().get(text) == simdjson::SUCCESS) begin_at = text.find(begin);
    if (begin_at == std::string_view::npos ||
        text.find(end, begin_at + begin.size()) == std::string_view::npos) {
        return fail(error, pem_path,
                    "must be a PEM public key (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC "
                    "KEY-----)");
    }
    out.public_key_pem.assign(text);
    return true;
}

bool read_jwt(element value, std::vector<JwtKeyConfig>& out, std::string& error) {
    Members members;
    if (!read_object(value, "jwt", {"keys"}, members, error)) return false;
    auto keys = members.find("keys");
    if (!keys) return true;
    if (keys->type() != element_type::ARRAY) return fail(error, "jwt.keys", "must be an array");
    std::size_t index = 0;
    for (element item : array_of(*keys)) {
        std::string item_path = index_path("jwt.keys", index);
        JwtKeyConfig key;
        if (!read_jwt_key(item, item_path, key, error)) return false;
        for (const JwtKeyConfig& earlier : out) {
            if (earlier.kid == key.kid) return fail(error, item_path + ".kid", "duplicate kid");
        }
        out.push_back(std::move(key));
        ++index;
    }
    return true;
}

bool read_notifier(element value, NotifierConfig& out, std::string& error) {
    Members members;
    if (!read_object(value, "notifier", {"kind", "path", "url", "secret"}, members, error)) {
        return false;
    }
    auto kind = members.find("kind");
    if (!kind) return fail(error, "notifier.kind", "required");
    if (!read_string(*kind, "notifier.kind", out.kind, error)) return false;
    auto path = members.find("path");
    auto url = members.find("url");
    auto secret = members.find("secret");
    if (out.kind == "file") {
        if (url) return fail(error, "notifier.url", R"(not allowed when kind is "file")");
        if (secret) return fail(error, "notifier.secret", R"(not allowed when kind is "file")");
        if (path && !read_path(*path, "notifier.path", out.path, error)) return false;
        return true;
    }
    if (out.kind != "webhook")
        return fail(error, "notifier.kind", R"(must be "file" or "webhook")");
    if (path) return fail(error, "notifier.path", R"(not allowed when kind is "webhook")");
    out.path.clear();
    if (!url) return fail(error, "notifier.url", R"(required when kind is "webhook")");
    if (!read_url(*url, "notifier.url", out.url, error)) return false;
    if (!secret) return fail(error, "notifier.secret", R"(required when kind is "webhook")");
    std::string_view text;
    if (secret->get_string().get(text) != simdjson::SUCCESS || text.size() < 16) {
        return fail(error, "notifier.secret", "must be a string of at least 16 bytes");
    }
    out.secret.assign(text);
    return true;
}

bool read_limits(element value, LimitsConfig& out, std::string& error) {
    Members members;
    if (!read_object(value, "limits",
                     {"header_bytes_max", "body_bytes_max", "connections_per_shard_max",
                      "mailbox_messages_max", "header_timeout_ms", "body_timeout_ms",
                      "idle_timeout_ms", "shutdown_timeout_ms"},
                     members, error)) {
        return false;
    }
    auto read = [&](std::string_view key, std::uint64_t min, std::uint64_t max, auto& field) {
        auto member = members.find(key);
        if (!member) return true;
        return read_integer(*member, member_path("limits", key), min, max, field, error);
    };
    return read("header_bytes_max", 1024, limits::request_head_bytes_max, out.header_bytes_max) &&
           read("body_bytes_max", 1024, limits::request_body_bytes_max, out.body_bytes_max) &&
           read("connections_per_shard_max", 1, limits::connections_per_shard_max,
                out.connections_per_shard_max) &&
           read("mailbox_messages_max", 16, limits::mailbox_messages_max,
                out.mailbox_messages_max) &&
           read("header_timeout_ms", 100, 600000, out.header_timeout_ms) &&
           read("body_timeout_ms", 100, 600000, out.body_timeout_ms) &&
           read("idle_timeout_ms", 100, 3600000, out.idle_timeout_ms) &&
           read("shutdown_timeout_ms", 0, 600000, out.shutdown_timeout_ms);
}

bool read_log(element value, LogConfig& out, std::string& error) {
    Members members;
    if (!read_object(value, "log", {"level", "access"}, members, error)) return false;
    if (auto level = members.find("level")) {
        std::string_view text;
        if (level->get_string().get(text) != simdjson::SUCCESS) text = {};
        if (text == "debug") {
            out.level = LogLevel::debug;
        } else if (text == "info") {
            out.level = LogLevel::info;
        } else if (text == "warn") {
            out.level = LogLevel::warn;
        } else if (text == "error") {
            out.level = LogLevel::error;
        } else {
            return fail(error, "log.level", R"(must be "debug", "info", "warn" or "error")");
        }
    }
    if (auto access = members.find("access"))
        return read_bool(*access, "log.access", out.access, error);
    return true;
}

bool check_initial_data_section(element value, const std::string& path, std::string& error) {
    if (value.type() != element_type::ARRAY)
        return fail(error, path, "must be an array of objects");
    std::size_t index = 0;
    for (element item : array_of(value)) {
        if (item.type() != element_type::OBJECT) {
            return fail(error, index_path(path, index), "must be an object");
        }
        ++index;
    }
    return true;
}

// Skips one JSON string starting at its opening quote; returns the index after its closing quote.
std::size_t skip_string(std::string_view text, std::size_t at) {
    CASHIERD_ASSERT(at < text.size() && text[at] == '"');
    ++at;
    while (true) {
        CASHIERD_ASSERT(at < text.size());
        if (text[at] == '"') return at + 1;
        at += text[at] == '\\' ? 2 : 1;
    }
}

std::size_t skip_whitespace(std::string_view text, std::size_t at) {
    while (at < text.size() &&
           (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r'))
        ++at;
    return at;
}

std::size_t skip_value(std::string_view text, std::size_t at) {
    CASHIERD_ASSERT(at < text.size());
    if (text[at] == '"') return skip_string(text, at);
    if (text[at] != '{' && text[at] != '[') {
        while (at < text.size() && text[at] != ',' && text[at] != '}' && text[at] != ']' &&
               skip_whitespace(text, at) == at)
            ++at;
        return at;
    }
    std::size_t depth = 0;
    while (true) {
        CASHIERD_ASSERT(at < text.size());
        char c = text[at];
        if (c == '"') {
            at = skip_string(text, at);
            continue;
        }
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') {
            --depth;
            if (depth == 0) return at + 1;
        }
        ++at;
    }
}

// The source text of each member value of the root object, in document order. The DOM keeps
// numbers only as doubles and integers, so re-serializing it would turn an amount of 100.50
// into 100.5 and 0.000016 into 1.6e-05; the ledger reads amounts from the original digits.
// Precondition: `text` is a JSON object simdjson has already accepted.
std::vector<std::string_view> root_member_values(std::string_view text) {
    std::vector<std::string_view> values;
    std::size_t at = skip_whitespace(text, 0);
    CASHIERD_ASSERT(at < text.size() && text[at] == '{');
    at = skip_whitespace(text, at + 1);
    CASHIERD_ASSERT(at < text.size());
    if (text[at] == '}') return values;
    while (true) {
        at = skip_whitespace(text, skip_string(text, at));
        CASHIERD_ASSERT(at < text.size() && text[at] == ':');
        at = skip_whitespace(text, at + 1);
        std::size_t value_begin = at;
        at = skip_value(text, at);
        values.push_back(text.substr(value_begin, at - value_begin));
        at = skip_whitespace(text, at);
        CASHIERD_ASSERT(at < text.size());
        if (text[at] == '}') return values;
        CASHIERD_ASSERT(text[at] == ',');
        at = skip_whitespace(text, at + 1);
    }
}

// Builds {"brands":[...],...} from the sections present, each minified from its source text.
// Precondition: `padded` is the document simdjson accepted, so its padding covers the SIMD
// minifier reading past the end of the last section.
std::string build_initial_data(element root, const simdjson::padded_string& padded) {
    std::string_view text(padded.data(), padded.size());
    std::vector<std::string_view> sources = root_member_values(text);
    std::array<std::string_view, initial_data_sections.size()> found{};
    std::size_t index = 0;
    for (auto member : object_of(root)) {
        CASHIERD_ASSERT(index < sources.size());
        for (std::size_t s = 0; s < initial_data_sections.size(); ++s) {
            if (member.key == initial_data_sections[s]) found[s] = sources[index];
        }
        ++index;
    }
    CASHIERD_ASSERT(index == sources.size());

    std::string json = "{";
    std::string minified;
    for (std::size_t s = 0; s < initial_data_sections.size(); ++s) {
        if (found[s].empty()) continue;
        // The SIMD minifier may store whole blocks, so the buffer gets the same slack as input.
        minified.resize(found[s].size() + simdjson::SIMDJSON_PADDING);
        std::size_t minified_bytes = 0;
        simdjson::error_code code =
                simdjson::minify(found[s].data(), found[s].size(), minified.data(), minified_bytes);
        CASHIERD_ASSERT(code == simdjson::SUCCESS);
        CASHIERD_ASSERT(minified_bytes <= found[s].size());
        if (json.size() > 1) json += ',';
        json += '"';
        json += initial_data_sections[s];
        json += "\":";
        json.append(minified.data(), minified_bytes);
    }
    json += '}';
    return json;
}

bool is_ipv4(std::string_view text) {
    std::size_t parts = 0;
    std::size_t at = 0;
    while (true) {
        std::size_t digits = 0;
        unsigned value = 0;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9' && digits < 4) {
            value = value * 10 + static_cast<unsigned>(text[at] - '0');
            ++digits;
            ++at;
        }
        // Leading zeros are refused: some resolvers read "010" as octal.
        if (digits == 0 || digits > 3 || value > 255) return false;
        if (digits > 1 && text[at - digits] == '0') return false;
        ++parts;
        if (at == text.size()) return parts == 4;
        if (text[at] != '.' || parts == 4) return false;
        ++at;
    }
}

}  // namespace

bool parse_listen(std::string_view text, std::string& host, std::uint16_t& port) {
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    std::string_view host_text = text.substr(0, colon);
    std::string_view port_text = text.substr(colon + 1);

    if (port_text.empty() || port_text.size() > 5) return false;
    if (port_text.size() > 1 && port_text.front() == '0') return false;
    std::uint32_t port_value = 0;
    for (char c : port_text) {
        if (c < '0' || c > '9') return false;
        port_value = port_value * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (port_value > 65535) return false;

    std::string parsed_host;
    if (host_text.starts_with('[')) {
        if (host_text.size() < 3 || !host_text.ends_with(']')) return false;
        parsed_host.assign(host_text.substr(1, host_text.size() - 2));
        in6_addr address{};
        if (inet_pton(AF_INET6, parsed_host.c_str(), &address) != 1) return false;
    } else if (host_text == "localhost" || is_ipv4(host_text)) {
        parsed_host.assign(host_text);
    } else {
        return false;
    }
    host = std::move(parsed_host);
    port = static_cast<std::uint16_t>(port_value);
    return true;
}

bool parse_config(std::string_view json, Config& out, std::string& error) {
    simdjson::padded_string padded(json);
    simdjson::dom::parser parser;
    element root;
    if (simdjson::error_code code = parser.parse(padded).get(root); code != simdjson::SUCCESS) {
        return fail(error, "", std::string("not valid JSON: ") + simdjson::error_message(code));
    }
    if (!check_unique_keys(root, "", error)) return false;

    Members members;
    std::initializer_list<std::string_view> known = {
            "listen",    "shards",   "data_dir",  "durability",  "manager_tokens", "jwt",
            "notifier",  "limits",   "log",       "public_url",  "brands",         "groups",
            "customers", "accounts", "providers", "api_clients", "rates"};
    if (!read_object(root, "", known, members, error)) return false;

    Config config;
    if (auto listen = members.find("listen")) {
        std::string_view text;
        if (listen->get_string().get(text) != simdjson::SUCCESS ||
            !parse_listen(text, config.listen_host, config.listen_port)) {
            return fail(error, "listen",
                        "must be \"HOST:PORT\" with an IPv4 address, localhost or [IPv6] and a "
                        "port 0..65535");
        }
    }
    if (auto shards = members.find("shards")) {
        if (!read_integer(*shards, "shards", 0, limits::shards_max, config.shards, error)) {
            return false;
        }
    }
    if (auto data_dir = members.find("data_dir")) {
        if (!read_path(*data_dir, "data_dir", config.data_dir, error)) return false;
    }
    if (auto durability = members.find("durability")) {
        std::string_view text;
        if (durability->get_string().get(text) != simdjson::SUCCESS) text = {};
        if (text == "fsync") {
            config.durability = Durability::fsync;
        } else if (text == "relaxed") {
            config.durability = Durability::relaxed;
        } else {
            return fail(error, "durability", R"(must be "fsync" or "relaxed")");
        }
    }
    if (auto tokens = members.find("manager_tokens")) {
        if (!read_manager_tokens(*tokens, config.manager_tokens, error)) return false;
    }
    if (auto jwt = members.find("jwt")) {
        if (!read_jwt(*jwt, config.jwt_keys, error)) return false;
    }
    if (auto notifier = members.find("notifier")) {
        if (!read_notifier(*notifier, config.notifier, error)) return false;
    }
    if (auto limits_value = members.find("limits")) {
        if (!read_limits(*limits_value, config.limits, error)) return false;
    }
    if (auto log = members.find("log")) {
        if (!read_log(*log, config.log, error)) return false;
    }
    if (auto public_url = members.find("public_url")) {
        if (!read_url(*public_url, "public_url", config.public_url, error)) return false;
        if (config.public_url.ends_with('/')) config.public_url.pop_back();
    } else {
        bool ipv6 = config.listen_host.find(':') != std::string::npos;
        config.public_url = "http://" +
                            (ipv6 ? "[" + config.listen_host + "]" : config.listen_host) + ":" +
                            std::to_string(config.listen_port);
    }
    for (std::string_view section : initial_data_sections) {
        if (auto value = members.find(section)) {
            if (!check_initial_data_section(*value, std::string(section), error)) return false;
        }
    }
    config.initial_data_json = build_initial_data(root, padded);

    out = std::move(config);
    return true;
}

}  // namespace cashierd::http
