// Small helpers the integration tests share: customer tokens for the test config's JWT key and
// reading one field out of a JSON answer.
// Thread: the test's.
#pragma once

#include <cstdint>
#include <string>

namespace cashierd::test {

/// The manager token of every test config.
inline constexpr const char* manager_token = "test-manager-token-0123456789";

/// A customer JWT signed with the test config's key (kid "test"), valid `exp_offset` seconds.
std::string token_for(std::uint64_t customer, std::int64_t exp_offset = 3600);

/// The first `"name":` value in `json`: a string's contents, or a number's / literal's text.
/// Enough for tests' flat answers; "" when absent.
std::string json_field(const std::string& json, const std::string& name);

}  // namespace cashierd::test
