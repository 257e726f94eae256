#include "tests/support/test_world.h"

#include <ctime>

#include "providers/jwt.h"

namespace cashierd::test {

std::string token_for(std::uint64_t customer, std::int64_t exp_offset) {
    std::int64_t now = std::time(nullptr);
    return providers::mint_hs256("test", "test-jwt-secret-0123456789abcdef0123456789", customer,
                                 now, now + exp_offset);
}

std::string json_field(const std::string& json, const std::string& name) {
    std::string key = "\"" + name + "\":";
    std::size_t at = json.find(key);
    if (at == std::string::npos) return "";
    at += key.size();
    if (json[at] == '"') return json.substr(at + 1, json.find('"', at + 1) - at - 1);
    std::size_t end = json.find_first_of(",}", at);
    return json.substr(at, end - at);
}

}  // namespace cashierd::test
