// End-to-end tests of `cashierd token` through the real binary: the printed token verifies with
// the demo config's key (the embedded default and the same file given with --config), its
// lifetime follows --ttl, the first HS256 key of a config is the one used, and every bad
// argument or key-less config exits 2 without printing a token.
// Thread: the test's.
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http/config.h"
#include "providers/jwt.h"
#include "reactor/base/clock.h"
#include "tests/support/server_process.h"

namespace cashierd::test {
namespace {

// A P-256 public key, newlines escaped for a JSON string. ES256 keys are public: `token` can
// only mint with an HS256 secret.
constexpr std::string_view es_public_pem =
        "-----BEGIN PUBLIC KEY-----\\n"
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+3PWTTSQ8za7HbGviGJunO91zwy3\\n"
        "vFofpiRlTvLJEhy0Lx/WzZjxWNvADfJRBQoOwIIToC3mStv+dE7ZBzF7mQ==\\n"
        "-----END PUBLIC KEY-----\\n";

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string demo_config_path() {
    return std::string(CASHIERD_SOURCE_DIR) + "/conf/demo.json";
}

// The verifier a server started from `config_json` would build for its jwt.keys.
std::unique_ptr<providers::JwtVerifier> verifier_for(const std::string& config_json) {
    http::Config config;
    std::string error;
    EXPECT_TRUE(http::parse_config(config_json, config, error)) << error;
    std::vector<providers::JwtKeySpec> specs;
    for (const http::JwtKeyConfig& key : config.jwt_keys) {
        providers::JwtKeySpec spec;
        spec.kid = key.kid;
        const auto alg = providers::parse_jwt_algorithm(key.alg);
        EXPECT_TRUE(alg.has_value()) << key.alg;
        spec.alg = alg.value_or(providers::JwtKeySpec::Algorithm::hs256);
        spec.secret = key.secret;
        spec.public_key_pem = key.public_key_pem;
        specs.push_back(std::move(spec));
    }
    auto verifier = providers::JwtVerifier::create(std::move(specs), error);
    EXPECT_NE(verifier, nullptr) << error;
    return verifier;
}

// Runs `cashierd token <args>`; on exit 0 returns the one printed line without its newline.
std::string run_token(const std::vector<std::string>& args, int expected_exit = 0) {
    std::vector<std::string> command = {"token"};
    command.insert(command.end(), args.begin(), args.end());
    std::string output;
    const int exit_code = run_cashierd(command, &output);
    EXPECT_EQ(exit_code, expected_exit) << output;
    if (exit_code != 0) return output;
    EXPECT_FALSE(output.empty());
    EXPECT_EQ(output.back(), '\n') << output;
    EXPECT_EQ(output.find('\n'), output.size() - 1) << "more than one line: " << output;
    if (!output.empty() && output.back() == '\n') output.pop_back();
    return output;
}

class TokenCommandTest : public ::testing::Test {
protected:
    void TearDown() override {
        if (!dir_.empty()) remove_tree(dir_);
    }

    std::string write_config(const std::string& json) {
        if (dir_.empty()) dir_ = make_temp_dir();
        const std::string path = dir_ + "/config.json";
        std::ofstream(path, std::ios::binary) << json;
        return path;
    }

    std::string dir_;
};

TEST_F(TokenCommandTest, EmbeddedDemoConfigTokenVerifiesWithTheDemoKey) {
    const std::int64_t before = RealClock::instance().unix_seconds();
    const std::string token = run_token({"--customer", "7"});
    const std::int64_t after = RealClock::instance().unix_seconds();
    const auto verifier = verifier_for(read_text(demo_config_path()));
    ASSERT_NE(verifier, nullptr);
    const Result<providers::JwtClaims> claims = verifier->verify(token, after);
    ASSERT_TRUE(claims.ok()) << claims.status().detail() << " " << token;
    EXPECT_EQ(claims->customer_id, 7U);
    EXPECT_GE(claims->iat, before);
    EXPECT_LE(claims->iat, after);
    EXPECT_EQ(claims->exp - claims->iat, 3600);
    // Expired an hour (plus leeway) later.
    const Result<providers::JwtClaims> later =
            verifier->verify(token, claims->exp + providers::jwt_leeway_seconds);
    ASSERT_FALSE(later.ok());
    EXPECT_EQ(later.status().detail(), "expired");
}

TEST_F(TokenCommandTest, ConfigFileTokenMatchesTheEmbeddedDemo) {
    const std::string token = run_token({"--config", demo_config_path(), "--customer", "42"});
    const auto verifier = verifier_for(read_text(demo_config_path()));
    ASSERT_NE(verifier, nullptr);
    const Result<providers::JwtClaims> claims =
            verifier->verify(token, RealClock::instance().unix_seconds());
    ASSERT_TRUE(claims.ok()) << claims.status().detail();
    EXPECT_EQ(claims->customer_id, 42U);
}

TEST_F(TokenCommandTest, TtlSetsTheLifetime) {
    const auto verifier = verifier_for(read_text(demo_config_path()));
    ASSERT_NE(verifier, nullptr);
    for (const std::int64_t ttl : {1, 60, 86400}) {
        const std::string token = run_token({"--customer", "9", "--ttl", std::to_string(ttl)});
        const Result<providers::JwtClaims> claims =
                verifier->verify(token, RealClock::instance().unix_seconds());
        ASSERT_TRUE(claims.ok()) << ttl << " " << claims.status().detail();
        EXPECT_EQ(claims->exp - claims->iat, ttl);
    }
}

TEST_F(TokenCommandTest, UsesTheFirstHs256KeyOfTheConfig) {
    const std::string config = R"({"jwt":{"keys":[
        {"kid":"mobile","alg":"ES256","public_key_pem":")" +
                               std::string(es_public_pem) + R"("},
        {"kid":"first-hs","alg":"HS256","secret":"first-hs-secret-0123456789abcdef-0123"},
        {"kid":"second-hs","alg":"HS256","secret":"second-hs-secret-0123456789abcdef-012"}]}})";
    const std::string token = run_token({"--config", write_config(config), "--customer", "5"});
    const auto verifier = verifier_for(config);
    ASSERT_NE(verifier, nullptr);
    const Result<providers::JwtClaims> claims =
            verifier->verify(token, RealClock::instance().unix_seconds());
    ASSERT_TRUE(claims.ok()) << claims.status().detail();
    EXPECT_EQ(claims->customer_id, 5U);
    std::string header;
    ASSERT_TRUE(crypto::base64url_decode(token.substr(0, token.find('.')), header));
    EXPECT_NE(header.find(R"("kid":"first-hs")"), std::string::npos) << header;
}

TEST_F(TokenCommandTest, ConfigWithoutAnHs256KeyExits2) {
    const std::string es_only = R"({"jwt":{"keys":[{"kid":"mobile","alg":"ES256",)"
                                R"("public_key_pem":")" +
                                std::string(es_public_pem) + R"("}]}})";
    const std::string output = run_token({"--config", write_config(es_only), "--customer", "7"}, 2);
    EXPECT_NE(output.find("no HS256 key in jwt.keys"), std::string::npos) << output;
    EXPECT_EQ(output.find("eyJ"), std::string::npos) << output;

    const std::string output_no_keys =
            run_token({"--config", write_config(R"({"jwt":{"keys":[]}})"), "--customer", "7"}, 2);
    EXPECT_NE(output_no_keys.find("no HS256 key"), std::string::npos) << output_no_keys;
}

TEST_F(TokenCommandTest, BadArgumentsExit2WithoutAToken) {
    const std::vector<std::vector<std::string>> cases = {
            {},
            {"--ttl", "60"},
            {"--customer", "0"},
            {"--customer", "-1"},
            {"--customer", "abc"},
            {"--customer", "7x"},
            {"--customer", " 7"},
            {"--customer", "+7"},
            {"--customer", "9223372036854775808"},
            {"--customer", "99999999999999999999"},
            {"--customer", ""},
            {"--customer", "7", "--ttl", "0"},
            {"--customer", "7", "--ttl", "86401"},
            {"--customer", "7", "--ttl", "-5"},
            {"--customer", "7", "--ttl", "1h"},
            {"--customer"},
            {"--customer", "7", "--bogus", "1"},
            {"--customer", "7", "--config", "/nonexistent/cashierd.json"},
    };
    for (const std::vector<std::string>& args : cases) {
        std::string joined;
        for (const std::string& arg : args) {
            joined += "[" + arg + "]";
        }
        const std::string output = run_token(args, 2);
        EXPECT_EQ(output.find("eyJ"), std::string::npos) << joined << ": " << output;
        EXPECT_FALSE(output.empty()) << joined;
    }
    const std::string output = run_token({"--customer", "7", "--ttl", "86401"}, 2);
    EXPECT_NE(output.find("--ttl"), std::string::npos) << output;
}

TEST_F(TokenCommandTest, LargestCustomerIdIsAccepted) {
    const std::string token = run_token({"--customer", "9223372036854775807"});
    const auto verifier = verifier_for(read_text(demo_config_path()));
    ASSERT_NE(verifier, nullptr);
    const Result<providers::JwtClaims> claims =
            verifier->verify(token, RealClock::instance().unix_seconds());
    ASSERT_TRUE(claims.ok()) << claims.status().detail();
    EXPECT_EQ(claims->customer_id, 9223372036854775807ULL);
}

TEST_F(TokenCommandTest, TokenFlagsAreRefusedByOtherCommands) {
    std::string output;
    EXPECT_EQ(run_cashierd({"check", "--config", demo_config_path(), "--customer", "7"}, &output),
              2);
    EXPECT_NE(output.find("--customer and --ttl belong to the token command"), std::string::npos)
            << output;
    EXPECT_EQ(run_cashierd({"serve", "--ttl", "60"}, &output), 2);
    EXPECT_NE(output.find("token command"), std::string::npos) << output;
    // check itself still works.
    EXPECT_EQ(run_cashierd({"check", "--config", demo_config_path()}, &output), 0) << output;
}

TEST_F(TokenCommandTest, UsageMentionsTheTokenCommand) {
    std::string output;
    EXPECT_EQ(run_cashierd({"help"}, &output), 0);
    EXPECT_NE(output.find("cashierd token [--config FILE] --customer ID [--ttl SECONDS]"),
              std::string::npos)
            << output;
}

}  // namespace
}  // namespace cashierd::test
