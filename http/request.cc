// Request lookups: header by name and query parameters by name, as linear scans over views into
// the connection's buffers (a request has at most limits::headers_count_max headers, and a short
// query, so scans beat building an index per request).
// Thread: any; a Request is only read by its connection's shard.
#include "http/request.h"

namespace cashierd::http {

namespace {

constexpr char to_lower_ascii(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Splits off the query's next "name[=value]" pair; `rest` advances past the following '&'.
struct QueryPair {
    std::string_view name;
    std::string_view value;
};

QueryPair next_query_pair(std::string_view& rest) {
    std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) return {pair, {}};
    return {pair.substr(0, eq), pair.substr(eq + 1)};
}

}  // namespace

bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_lower_ascii(a[i]) != to_lower_ascii(b[i])) return false;
    }
    return true;
}

std::string_view Request::header(std::string_view name) const {
    for (std::size_t i = 0; i < headers_count; ++i) {
        if (equals_ignore_case(headers[i].name, name)) return headers[i].value;
    }
    return {};
}

std::string_view Request::query_param(std::string_view name) const {
    std::string_view rest = query;
    while (!rest.empty()) {
        QueryPair pair = next_query_pair(rest);
        if (pair.name == name) return pair.value;
    }
    return {};
}

bool Request::has_query_param(std::string_view name) const {
    std::string_view rest = query;
    while (!rest.empty()) {
        if (next_query_pair(rest).name == name) return true;
    }
    return false;
}

}  // namespace cashierd::http
