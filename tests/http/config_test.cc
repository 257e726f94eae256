// Tests of http/config: the embedded demo config and conf/production.example.json parse, every
// refusal names its key path exactly, no error message carries a secret, defaults apply, and
// parse_listen accepts only literal addresses.
// Thread: the test's.
#include "http/config.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "reactor/base/limits.h"

namespace cashierd::http {
namespace {

constexpr std::string_view hs_secret = "hs256-secret-for-tests-0123456789abcdef";
constexpr std::string_view token_a = "manager-token-for-tests-aaaaaaaa";
constexpr std::string_view token_b = "manager-token-for-tests-bbbbbbbb";
constexpr std::string_view webhook_secret = "webhook-secret-for-tests-0123";
constexpr std::string_view pem =
        "-----BEGIN PUBLIC KEY-----\\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\\n-----END PUBLIC "
        "KEY-----\\n";

// Every secret the test configs use, including the ones that are refused for being too short.
const std::vector<std::string> all_secrets = {std::string(hs_secret),
                                              std::string(token_a),
                                              std::string(token_b),
                                              std::string(webhook_secret),
                                              "short-hs-secret-31-bytes-xxxxxx",
                                              "tiny-webhook",
                                              "short-token",
                                              "token with space 0123456789"};

Config parse_ok(std::string_view json) {
    Config config;
    std::string error;
    EXPECT_TRUE(parse_config(json, config, error)) << json << "\n-> " << error;
    return config;
}

std::string parse_error(std::string_view json) {
    Config config;
    std::string error;
    EXPECT_FALSE(parse_config(json, config, error)) << json;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    for (const std::string& secret : all_secrets)
        EXPECT_EQ(error.find(secret), std::string::npos) << "secret leaked: " << error;
    return error;
}

// A full valid config around `extra` top-level members, so a refusal of one key is not an
// artifact of a missing other one.
std::string full_config(std::string_view extra = {}) {
    std::string json = R"({"listen":"127.0.0.1:9090","shards":2,"data_dir":"/tmp/x",)";
    json += R"("durability":"relaxed","manager_tokens":[")" + std::string(token_a) + R"(",")" +
            std::string(token_b) + R"("],)";
    json += R"("jwt":{"keys":[{"kid":"k1","alg":"HS256","secret":")" + std::string(hs_secret) +
            R"("}]},)";
    json += R"("notifier":{"kind":"webhook","url":"https://hooks.example.com/x","secret":")" +
            std::string(webhook_secret) + R"("})";
    if (!extra.empty()) {
        json += ',';
        json += extra;
    }
    json += '}';
    return json;
}

std::string jwt_with_key(std::string_view key_object) {
    return R"({"jwt":{"keys":[)" + std::string(key_object) + "]}}";
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

TEST(ConfigTest, DemoConfigParses) {
    Config config = parse_ok(demo_config_json);
    EXPECT_EQ(config.listen_host, "127.0.0.1");
    EXPECT_EQ(config.listen_port, 8080);
    EXPECT_EQ(config.shards, 0U);
    EXPECT_EQ(config.data_dir, "./var");
    EXPECT_EQ(config.durability, Durability::fsync);
    ASSERT_EQ(config.manager_tokens.size(), 1U);
    EXPECT_EQ(config.manager_tokens[0], "demo-manager-token-0123456789abcdef");
    ASSERT_EQ(config.jwt_keys.size(), 1U);
    EXPECT_EQ(config.jwt_keys[0].kid, "demo");
    EXPECT_EQ(config.jwt_keys[0].alg, "HS256");
    EXPECT_EQ(config.jwt_keys[0].secret, "demo-jwt-secret-change-me-0123456789abcdef");
    EXPECT_TRUE(config.jwt_keys[0].public_key_pem.empty());
    EXPECT_EQ(config.notifier.kind, "file");
    EXPECT_EQ(config.notifier.path, "outbox.jsonl");
    EXPECT_EQ(config.limits.header_bytes_max, 8192U);
    EXPECT_EQ(config.limits.body_bytes_max, 65536U);
    EXPECT_EQ(config.limits.connections_per_shard_max, 10000U);
    EXPECT_EQ(config.limits.header_timeout_ms, 10000U);
    EXPECT_EQ(config.limits.body_timeout_ms, 30000U);
    EXPECT_EQ(config.limits.idle_timeout_ms, 60000U);
    EXPECT_EQ(config.log.level, LogLevel::info);
    EXPECT_TRUE(config.log.access);
    EXPECT_EQ(config.public_url, "http://127.0.0.1:8080");

    // Whatever initial data the demo carries must come out as an object of arrays of objects.
    simdjson::dom::parser parser;
    simdjson::padded_string padded(config.initial_data_json);
    simdjson::dom::element root;
    ASSERT_EQ(parser.parse(padded).get(root), simdjson::SUCCESS);
    simdjson::dom::object sections;
    ASSERT_EQ(root.get_object().get(sections), simdjson::SUCCESS);
    for (auto section : sections) {
        simdjson::dom::array items;
        ASSERT_EQ(section.value.get_array().get(items), simdjson::SUCCESS) << section.key;
        for (simdjson::dom::element item : items)
            EXPECT_TRUE(item.is_object()) << section.key;
    }
}

TEST(ConfigTest, ProductionExampleParses) {
    std::filesystem::path path =
            std::filesystem::path(__FILE__).parent_path() / "../../conf/production.example.json";
    std::string text = read_text(path);
    ASSERT_FALSE(text.empty()) << path;
    Config config = parse_ok(text);
    EXPECT_EQ(config.listen_host, "0.0.0.0");
    EXPECT_EQ(config.listen_port, 8080);
    EXPECT_EQ(config.shards, 0U);
    EXPECT_EQ(config.data_dir, "/var/lib/cashierd");
    EXPECT_EQ(config.durability, Durability::fsync);
    ASSERT_EQ(config.manager_tokens.size(), 2U);
    EXPECT_NE(config.manager_tokens[0], config.manager_tokens[1]);
    ASSERT_EQ(config.jwt_keys.size(), 2U);
    EXPECT_EQ(config.jwt_keys[0].alg, "HS256");
    EXPECT_GE(config.jwt_keys[0].secret.size(), 32U);
    EXPECT_EQ(config.jwt_keys[1].alg, "ES256");
    EXPECT_TRUE(config.jwt_keys[1].secret.empty());
    EXPECT_TRUE(config.jwt_keys[1].public_key_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    EXPECT_EQ(config.notifier.kind, "webhook");
    EXPECT_TRUE(config.notifier.url.starts_with("https://"));
    EXPECT_GE(config.notifier.secret.size(), 16U);
    EXPECT_EQ(config.limits.mailbox_messages_max, 4096U);
    EXPECT_EQ(config.limits.shutdown_timeout_ms, 15000U);
    EXPECT_EQ(config.log.level, LogLevel::info);
    EXPECT_TRUE(config.log.access);
    EXPECT_EQ(config.public_url, "https://cashier.example-broker.com");
    EXPECT_EQ(config.initial_data_json, "{}");
}

TEST(ConfigTest, EmptyObjectTakesEveryDefault) {
    Config config = parse_ok(" \t\r\n{ }\n");
    const Config defaults;
    EXPECT_EQ(config.listen_host, "127.0.0.1");
    EXPECT_EQ(config.listen_port, 8080);
    EXPECT_EQ(config.shards, 0U);
    EXPECT_EQ(config.data_dir, "./var");
    EXPECT_EQ(config.durability, Durability::fsync);
    EXPECT_TRUE(config.manager_tokens.empty());
    EXPECT_TRUE(config.jwt_keys.empty());
    EXPECT_EQ(config.notifier.kind, "file");
    EXPECT_EQ(config.notifier.path, "outbox.jsonl");
    EXPECT_EQ(config.limits.header_bytes_max, defaults.limits.header_bytes_max);
    EXPECT_EQ(config.limits.body_bytes_max, defaults.limits.body_bytes_max);
    EXPECT_EQ(config.limits.connections_per_shard_max, defaults.limits.connections_per_shard_max);
    EXPECT_EQ(config.limits.mailbox_messages_max, defaults.limits.mailbox_messages_max);
    EXPECT_EQ(config.limits.header_timeout_ms, defaults.limits.header_timeout_ms);
    EXPECT_EQ(config.limits.body_timeout_ms, defaults.limits.body_timeout_ms);
    EXPECT_EQ(config.limits.idle_timeout_ms, defaults.limits.idle_timeout_ms);
    EXPECT_EQ(config.limits.shutdown_timeout_ms, defaults.limits.shutdown_timeout_ms);
    EXPECT_EQ(config.log.level, LogLevel::info);
    EXPECT_TRUE(config.log.access);
    EXPECT_EQ(config.public_url, "http://127.0.0.1:8080");
    EXPECT_EQ(config.initial_data_json, "{}");
}

TEST(ConfigTest, FullConfigReadsEveryValue) {
    Config config = parse_ok(full_config(R"("log":{"level":"warn","access":false})"));
    EXPECT_EQ(config.listen_host, "127.0.0.1");
    EXPECT_EQ(config.listen_port, 9090);
    EXPECT_EQ(config.shards, 2U);
    EXPECT_EQ(config.data_dir, "/tmp/x");
    EXPECT_EQ(config.durability, Durability::relaxed);
    EXPECT_EQ(config.manager_tokens,
              (std::vector<std::string>{std::string(token_a), std::string(token_b)}));
    ASSERT_EQ(config.jwt_keys.size(), 1U);
    EXPECT_EQ(config.jwt_keys[0].secret, hs_secret);
    EXPECT_EQ(config.notifier.kind, "webhook");
    EXPECT_EQ(config.notifier.url, "https://hooks.example.com/x");
    EXPECT_EQ(config.notifier.secret, webhook_secret);
    EXPECT_TRUE(config.notifier.path.empty());
    EXPECT_EQ(config.log.level, LogLevel::warn);
    EXPECT_FALSE(config.log.access);
    EXPECT_EQ(config.public_url, "http://127.0.0.1:9090");
}

TEST(ConfigTest, PartialSectionsKeepOtherDefaults) {
    Config config = parse_ok(R"({"limits":{"body_bytes_max":2048},"log":{"level":"debug"},
                                 "notifier":{"kind":"file"}})");
    EXPECT_EQ(config.limits.body_bytes_max, 2048U);
    EXPECT_EQ(config.limits.header_bytes_max, 8192U);
    EXPECT_EQ(config.limits.shutdown_timeout_ms, 10000U);
    EXPECT_EQ(config.log.level, LogLevel::debug);
    EXPECT_TRUE(config.log.access);
    EXPECT_EQ(config.notifier.path, "outbox.jsonl");

    config = parse_ok(R"({"log":{"access":false,"level":"error"},
                          "notifier":{"kind":"file","path":"/var/spool/cashierd.jsonl"},
                          "manager_tokens":[],"jwt":{"keys":[]}})");
    EXPECT_FALSE(config.log.access);
    EXPECT_EQ(config.log.level, LogLevel::error);
    EXPECT_EQ(config.notifier.path, "/var/spool/cashierd.jsonl");
    EXPECT_TRUE(config.manager_tokens.empty());
    EXPECT_TRUE(config.jwt_keys.empty());
    EXPECT_TRUE(parse_ok(R"({"jwt":{}})").jwt_keys.empty());
}

TEST(ConfigTest, FailureLeavesOutputUntouched) {
    Config config;
    config.data_dir = "/keep/me";
    config.manager_tokens = {"old-token-0123456789"};
    std::string error;
    ASSERT_FALSE(parse_config(R"({"data_dir":"/new","shards":99})", config, error));
    EXPECT_EQ(error, "shards: must be an integer between 0 and 64");
    EXPECT_EQ(config.data_dir, "/keep/me");
    EXPECT_EQ(config.manager_tokens, std::vector<std::string>{"old-token-0123456789"});
}

TEST(ConfigTest, RefusesDocumentsThatAreNotOneObject) {
    for (std::string_view json : {"[]", "1", "\"x\"", "null", "true"})
        EXPECT_EQ(parse_error(json), "(document): must be a JSON object") << json;
    const std::string with_nul("{}\0", 3);
    for (std::string_view json :
         {std::string_view(""), std::string_view("   "), std::string_view("{"),
          std::string_view("{} x"), std::string_view("{}{}"), std::string_view(R"({"a":1,})"),
          std::string_view("\xEF\xBB\xBF{}"), std::string_view(with_nul),
          std::string_view(R"({"shards":1e400})")}) {
        EXPECT_TRUE(parse_error(json).starts_with("(document): not valid JSON: ")) << json;
    }
}

TEST(ConfigTest, RefusesUnknownKeysWithFullPath) {
    EXPECT_EQ(parse_error(R"({"listn":"127.0.0.1:80"})"), "listn: unknown key");
    EXPECT_EQ(parse_error(R"({"limits":{"body_bytes_mx":2048}})"),
              "limits.body_bytes_mx: unknown key");
    EXPECT_EQ(parse_error(R"({"jwt":{"kys":[]}})"), "jwt.kys: unknown key");
    EXPECT_EQ(parse_error(jwt_with_key(R"({"kid":"a","alg":"HS256","secrte":"x"})")),
              "jwt.keys[0].secrte: unknown key");
    EXPECT_EQ(parse_error(R"({"notifier":{"kind":"file","urll":"x"}})"),
              "notifier.urll: unknown key");
    EXPECT_EQ(parse_error(R"({"log":{"lvl":"info"}})"), "log.lvl: unknown key");
    EXPECT_EQ(parse_error(full_config(R"("Listen":"1.2.3.4:5")")), "Listen: unknown key");
    // A key with control bytes stays on one line; a huge key is cut.
    EXPECT_EQ(parse_error("{\"a\\nb\\u0007\":1}"), "a\\x0ab\\x07: unknown key");
    std::string long_key(200, 'k');
    EXPECT_EQ(parse_error(R"({")" + long_key + R"(":1})"),
              std::string(64, 'k') + "...: unknown key");
}

TEST(ConfigTest, RefusesDuplicateKeysAtEveryLevel) {
    EXPECT_EQ(parse_error(R"({"listen":"127.0.0.1:1","listen":"127.0.0.1:1"})"),
              "listen: duplicate key");
    EXPECT_EQ(parse_error(R"({"limits":{"body_bytes_max":2048,"body_bytes_max":4096}})"),
              "limits.body_bytes_max: duplicate key");
    EXPECT_EQ(parse_error(R"({"log":{"access":true,"level":"info","access":false}})"),
              "log.access: duplicate key");
    EXPECT_EQ(parse_error(jwt_with_key(R"({"kid":"a","alg":"HS256","secret":")" +
                                       std::string(hs_secret) + R"("},{"kid":"b","kid":"c"})")),
              "jwt.keys[1].kid: duplicate key");
    EXPECT_EQ(parse_error(R"({"jwt":{"keys":[],"keys":[]}})"), "jwt.keys: duplicate key");
    EXPECT_EQ(parse_error(R"({"notifier":{"kind":"file","kind":"webhook"}})"),
              "notifier.kind: duplicate key");
    EXPECT_EQ(parse_error(R"({"customers":[{"id":1},{"id":2,"overrides":[
                  {"provider":"p","enabled":true},{"provider":"p","enabled":true,"enabled":false}
              ]}]})"),
              "customers[1].overrides[1].enabled: duplicate key");
    EXPECT_EQ(parse_error(R"({"providers":[{"settings":{"a":{"b":1,"b":2}}}]})"),
              "providers[0].settings.a.b: duplicate key");
    // Duplicates are refused even under a key that is itself unknown: the document is ambiguous.
    EXPECT_EQ(parse_error(R"({"extra":{"x":1,"x":1}})"), "extra.x: duplicate key");
    // A duplicated secret-bearing key does not echo either value.
    EXPECT_EQ(parse_error(full_config(R"("manager_tokens":["short-token"])")),
              "manager_tokens: duplicate key");
}

TEST(ConfigTest, RefusesBadListen) {
    const std::string problem =
            "listen: must be \"HOST:PORT\" with an IPv4 address, localhost or [IPv6] and a port "
            "0..65535";
    for (std::string_view value :
         {R"(8080)", R"("example.com:80")", R"("127.0.0.1")", R"("127.0.0.1:65536")", R"("")",
          R"(["127.0.0.1:80"])", R"(null)"}) {
        EXPECT_EQ(parse_error(R"({"listen":)" + std::string(value) + "}"), problem) << value;
    }
}

TEST(ConfigTest, ListenSetsHostPortAndDefaultPublicUrl) {
    Config config = parse_ok(R"({"listen":"[::1]:9000"})");
    EXPECT_EQ(config.listen_host, "::1");
    EXPECT_EQ(config.listen_port, 9000);
    EXPECT_EQ(config.public_url, "http://[::1]:9000");
    config = parse_ok(R"({"listen":"localhost:80"})");
    EXPECT_EQ(config.public_url, "http://localhost:80");
    config = parse_ok(R"({"listen":"0.0.0.0:0"})");
    EXPECT_EQ(config.public_url, "http://0.0.0.0:0");
}

TEST(ConfigTest, RefusesBadShards) {
    const std::string problem =
            "shards: must be an integer between 0 and " + std::to_string(limits::shards_max);
    for (std::string_view value : {"-1", "65", "1.0", "1e1", "\"4\"", "true", "null",
                                   "18446744073709551615", "-9223372036854775808"}) {
        EXPECT_EQ(parse_error(R"({"shards":)" + std::string(value) + "}"), problem) << value;
    }
    EXPECT_EQ(parse_ok(R"({"shards":64})").shards, 64U);
    EXPECT_EQ(parse_ok(R"({"shards":0})").shards, 0U);
}

TEST(ConfigTest, RefusesBadDataDirAndDurability) {
    for (std::string_view value : {R"("")", "5", R"("a\u0000b")", "null", "[]"}) {
        EXPECT_EQ(parse_error(R"({"data_dir":)" + std::string(value) + "}"),
                  "data_dir: must be a non-empty string without NUL bytes")
                << value;
    }
    for (std::string_view value : {R"("FSYNC")", R"("none")", R"("")", "1", "false"}) {
        EXPECT_EQ(parse_error(R"({"durability":)" + std::string(value) + "}"),
                  R"(durability: must be "fsync" or "relaxed")")
                << value;
    }
    EXPECT_EQ(parse_ok(R"({"durability":"fsync"})").durability, Durability::fsync);
}

TEST(ConfigTest, RefusesBadManagerTokens) {
    const std::string token_problem =
            ": must be a string of at least 16 printable ASCII characters without spaces";
    EXPECT_EQ(parse_error(R"({"manager_tokens":"abc"})"),
              "manager_tokens: must be an array of strings");
    EXPECT_EQ(parse_error(R"({"manager_tokens":{}})"),
              "manager_tokens: must be an array of strings");
    EXPECT_EQ(parse_error(R"({"manager_tokens":[")" + std::string(token_a) + R"(",1]})"),
              "manager_tokens[1]" + token_problem);
    EXPECT_EQ(parse_error(R"({"manager_tokens":["short-token"]})"),
              "manager_tokens[0]" + token_problem);
    EXPECT_EQ(parse_error(R"({"manager_tokens":["token with space 0123456789"]})"),
              "manager_tokens[0]" + token_problem);
    EXPECT_EQ(parse_error(R"({"manager_tokens":["token-with-newline-0123\n"]})"),
              "manager_tokens[0]" + token_problem);
    EXPECT_EQ(parse_error(R"({"manager_tokens":[")" + std::string(token_a) + R"(",")" +
                          std::string(token_b) + R"(",")" + std::string(token_a) + R"("]})"),
              "manager_tokens[2]: duplicate token");
    // Exactly 16 bytes is enough.
    EXPECT_EQ(parse_ok(R"({"manager_tokens":["0123456789abcdef"]})").manager_tokens.size(), 1U);
}

TEST(ConfigTest, RefusesBadJwtKeys) {
    const std::string hs = std::string(hs_secret);
    EXPECT_EQ(parse_error(R"({"jwt":[]})"), "jwt: must be an object");
    EXPECT_EQ(parse_error(R"({"jwt":{"keys":{}}})"), "jwt.keys: must be an array");
    EXPECT_EQ(parse_error(R"({"jwt":{"keys":["k"]}})"), "jwt.keys[0]: must be an object");
    EXPECT_EQ(parse_error(jwt_with_key(R"({"alg":"HS256","secret":")" + hs + R"("})")),
              "jwt.keys[0].kid: required");
    EXPECT_EQ(parse_error(jwt_with_key(R"({"kid":7,"alg":"HS256"})")),
              "jwt.keys[0].kid: must be a string");
    const std::string kid_problem = ": must be 1 to 64 characters of A-Z a-z 0-9 . _ -";
    for (std::string kid : {std::string(""), std::string(65, 'k'), std::string("a/b"),
                            std::string("a b"), std::string("k\\u00e9")}) {
        EXPECT_EQ(parse_error(jwt_with_key(R"({"kid":")" + kid + R"(","alg":"HS256","secret":")" +
                                           hs + R"("})")),
                  "jwt.keys[0].kid" + kid_problem)
                << kid;
    }
    EXPECT_EQ(parse_error(jwt_with_key(R"({"kid":"k","secret":")" + hs + R"("})")),
              "jwt.keys[0].alg: required");
    for (std::string_view alg : {R"("none")", R"("hs256")", R"("RS256")", R"("")", "1"}) {
        std::string error = parse_error(jwt_with_key(R"({"kid":"k","alg":)" + std::string(alg) +
                                                     R"(,"secret":")" + hs + R"("})"));
        if (alg == "1") {
            EXPECT_EQ(error, "jwt.keys[0].alg: must be a string");
        } else {
            EXPECT_EQ(error, R"(jwt.keys[0].alg: must be "HS256" or "ES256")") << alg;
        }
    }
    // HS256.
    EXPECT_EQ(parse_error(jwt_with_key(R"({"kid":"k","alg":"HS256"})")),
              "jwt.keys[0].secret: required for HS256");
    EXPECT_EQ(parse_error(jwt_with_key(
                      R"({"kid":"k","alg":"HS256","secret":"short-hs-secret-31-bytes-xxxxxx"})")),
              "jwt.keys[0].secret: must be a string of at least 32 bytes");
    EXPECT_EQ(parse_error(jwt_with_key(R"({"kid":"k","alg":"HS256","secret":12345})")),
              "jwt.keys[0].secret: must be a string of at least 32 bytes");
    EXPECT_EQ(parse_error(jwt_with_key(R"({"kid":"k","alg":"HS256","secret":")" + hs +
                                       R"(","public_key_pem":")" + std::string(pem) + R"("})")),
              "jwt.keys[0].public_key_pem: not allowed for HS256");
    Config config = parse_ok(jwt_with_key(
            R"({"kid":"k","alg":"HS256","secret":"0123456789abcdef0123456789abcdef"})"));
    ASSERT_EQ(config.jwt_keys.size(), 1U);
    EXPECT_EQ(config.jwt_keys[0].secret.size(), 32U);
    // ES256.
    EXPECT_EQ(parse_error(jwt_with_key(R"({"kid":"k","alg":"ES256"})")),
              "jwt.keys[0].public_key_pem: required for ES256");
    EXPECT_EQ(parse_error(jwt_with_key(R"({"kid":"k","alg":"ES256","public_key_pem":")" +
                                       std::string(pem) + R"(","secret":")" + hs + R"("})")),
              "jwt.keys[0].secret: not allowed for ES256");
    const std::string pem_problem =
            "jwt.keys[0].public_key_pem: must be a PEM public key (-----BEGIN PUBLIC KEY----- ... "
            "-----END PUBLIC KEY-----)";
    for (std::string_view bad_pem :
         {R"("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")",
          R"("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----")",
          R"("-----BEGIN PUBLIC KEY-----\nabc\n")",
          R"("-----END PUBLIC KEY-----\n-----BEGIN PUBLIC KEY-----")", "42"}) {
        EXPECT_EQ(parse_error(jwt_with_key(R"({"kid":"k","alg":"ES256","public_key_pem":)" +
                                           std::string(bad_pem) + "}")),
                  pem_problem)
                << bad_pem;
    }
    config = parse_ok(jwt_with_key(R"({"kid":"A-z_0.9","alg":"ES256","public_key_pem":")" +
                                   std::string(pem) + R"("})"));
    ASSERT_EQ(config.jwt_keys.size(), 1U);
    EXPECT_EQ(config.jwt_keys[0].kid, "A-z_0.9");
    EXPECT_EQ(config.jwt_keys[0].public_key_pem.find("\n"), 26U);
    EXPECT_TRUE(config.jwt_keys[0].secret.empty());
    // Kids are unique across algorithms.
    EXPECT_EQ(parse_error(jwt_with_key(R"({"kid":"k","alg":"HS256","secret":")" + hs +
                                       R"("},{"kid":"k2","alg":"HS256","secret":")" + hs +
                                       R"("},{"kid":"k","alg":"ES256","public_key_pem":")" +
                                       std::string(pem) + R"("})")),
              "jwt.keys[2].kid: duplicate kid");
    // 64 characters is the longest kid.
    EXPECT_EQ(parse_ok(jwt_with_key(R"({"kid":")" + std::string(64, 'k') +
                                    R"(","alg":"HS256","secret":")" + hs + R"("})"))
                      .jwt_keys[0]
                      .kid.size(),
              64U);
}

TEST(ConfigTest, RefusesBadNotifier) {
    const std::string ws = std::string(webhook_secret);
    EXPECT_EQ(parse_error(R"({"notifier":"file"})"), "notifier: must be an object");
    EXPECT_EQ(parse_error(R"({"notifier":{}})"), "notifier.kind: required");
    EXPECT_EQ(parse_error(R"({"notifier":{"kind":1}})"), "notifier.kind: must be a string");
    EXPECT_EQ(parse_error(R"({"notifier":{"kind":"sms"}})"),
              R"(notifier.kind: must be "file" or "webhook")");
    // file
    EXPECT_EQ(parse_error(R"({"notifier":{"kind":"file","url":"https://x"}})"),
              R"(notifier.url: not allowed when kind is "file")");
    EXPECT_EQ(parse_error(R"({"notifier":{"kind":"file","secret":")" + ws + R"("}})"),
              R"(notifier.secret: not allowed when kind is "file")");
    for (std::string_view path : {R"("")", "3", R"("out\u0000box")"}) {
        EXPECT_EQ(parse_error(R"({"notifier":{"kind":"file","path":)" + std::string(path) + "}}"),
                  "notifier.path: must be a non-empty string without NUL bytes")
                << path;
    }
    // webhook
    EXPECT_EQ(parse_error(R"({"notifier":{"kind":"webhook","secret":")" + ws + R"("}})"),
              R"(notifier.url: required when kind is "webhook")");
    for (std::string_view url : {R"("ftp://x.example")", R"("https://")", R"("http:///path")",
                                 R"("https://a b")", R"("x.example/hook")", R"("")", "1"}) {
        EXPECT_EQ(parse_error(R"({"notifier":{"kind":"webhook","url":)" + std::string(url) +
                              R"(,"secret":")" + ws + R"("}})"),
                  "notifier.url: must be an http:// or https:// URL")
                << url;
    }
    EXPECT_EQ(parse_error(R"({"notifier":{"kind":"webhook","url":"https://x.example"}})"),
              R"(notifier.secret: required when kind is "webhook")");
    EXPECT_EQ(parse_error(R"({"notifier":{"kind":"webhook","url":"https://x.example",)"
                          R"("secret":"tiny-webhook"}})"),
              "notifier.secret: must be a string of at least 16 bytes");
    EXPECT_EQ(parse_error(R"({"notifier":{"kind":"webhook","url":"https://x.example",)"
                          R"("secret":"15-bytes-secret"}})"),
              "notifier.secret: must be a string of at least 16 bytes");
    EXPECT_EQ(parse_error(R"({"notifier":{"kind":"webhook","url":"https://x.example",)"
                          R"("secret":["a-long-enough-secret"]}})"),
              "notifier.secret: must be a string of at least 16 bytes");
    EXPECT_EQ(parse_error(R"({"notifier":{"kind":"webhook","path":"a","url":"https://x.example",)"
                          R"("secret":")" +
                          ws + R"("}})"),
              R"(notifier.path: not allowed when kind is "webhook")");
    Config config = parse_ok(R"({"notifier":{"kind":"webhook","url":"http://10.0.0.1:9/h",)"
                             R"("secret":"0123456789abcdef"}})");
    EXPECT_EQ(config.notifier.url, "http://10.0.0.1:9/h");
    EXPECT_EQ(config.notifier.secret, "0123456789abcdef");
}

std::uint64_t limit_value(const LimitsConfig& limits, std::string_view key) {
    if (key == "header_bytes_max") return limits.header_bytes_max;
    if (key == "body_bytes_max") return limits.body_bytes_max;
    if (key == "connections_per_shard_max") return limits.connections_per_shard_max;
    if (key == "mailbox_messages_max") return limits.mailbox_messages_max;
    if (key == "header_timeout_ms") return limits.header_timeout_ms;
    if (key == "body_timeout_ms") return limits.body_timeout_ms;
    if (key == "idle_timeout_ms") return limits.idle_timeout_ms;
    if (key == "shutdown_timeout_ms") return limits.shutdown_timeout_ms;
    ADD_FAILURE() << key;
    return 0;
}

TEST(ConfigTest, LimitsAcceptTheirRangeAndRefuseOutside) {
    struct Range {
        std::string_view key;
        std::uint64_t min;
        std::uint64_t max;
    };

    const Range ranges[] = {
            {"header_bytes_max", 1024, limits::request_head_bytes_max},
            {"body_bytes_max", 1024, limits::request_body_bytes_max},
            {"connections_per_shard_max", 1, limits::connections_per_shard_max},
            {"mailbox_messages_max", 16, limits::mailbox_messages_max},
            {"header_timeout_ms", 100, 600000},
            {"body_timeout_ms", 100, 600000},
            {"idle_timeout_ms", 100, 3600000},
            {"shutdown_timeout_ms", 0, 600000},
    };
    EXPECT_EQ(parse_error(R"({"limits":[]})"), "limits: must be an object");
    for (const Range& range : ranges) {
        const std::string key(range.key);
        const std::string problem = "limits." + key + ": must be an integer between " +
                                    std::to_string(range.min) + " and " + std::to_string(range.max);
        for (std::uint64_t good : {range.min, range.max}) {
            Config config =
                    parse_ok(R"({"limits":{")" + key + R"(":)" + std::to_string(good) + "}}");
            EXPECT_EQ(limit_value(config.limits, key), good) << key;
        }
        std::vector<std::string> bad = {
                std::to_string(range.max + 1), "-1", "\"1024\"", "1024.0", "true", "null", "{}"};
        if (range.min > 0) bad.push_back(std::to_string(range.min - 1));
        for (const std::string& value : bad) {
            EXPECT_EQ(parse_error(R"({"limits":{")" + key + R"(":)" + value + "}}"), problem)
                    << key << " = " << value;
        }
    }
    // The documented example of the header comment.
    EXPECT_EQ(parse_error(R"({"limits":{"body_bytes_max":100}})"),
              "limits.body_bytes_max: must be an integer between 1024 and 65536");
}

TEST(ConfigTest, RefusesBadLog) {
    EXPECT_EQ(parse_error(R"({"log":"info"})"), "log: must be an object");
    for (std::string_view level : {R"("verbose")", R"("INFO")", R"("")", "2"}) {
        EXPECT_EQ(parse_error(R"({"log":{"level":)" + std::string(level) + "}}"),
                  R"(log.level: must be "debug", "info", "warn" or "error")")
                << level;
    }
    for (std::string_view access : {R"("yes")", "1", "null"}) {
        EXPECT_EQ(parse_error(R"({"log":{"access":)" + std::string(access) + "}}"),
                  "log.access: must be true or false")
                << access;
    }
}

TEST(ConfigTest, PublicUrl) {
    EXPECT_EQ(parse_ok(R"({"public_url":"https://pay.example.com/"})").public_url,
              "https://pay.example.com");
    EXPECT_EQ(parse_ok(R"({"public_url":"https://pay.example.com"})").public_url,
              "https://pay.example.com");
    EXPECT_EQ(parse_ok(R"({"public_url":"http://x.example/cashier/"})").public_url,
              "http://x.example/cashier");
    // Only one slash is stripped.
    EXPECT_EQ(parse_ok(R"({"public_url":"http://x.example//"})").public_url, "http://x.example/");
    // An explicit public_url wins over the one derived from listen.
    EXPECT_EQ(parse_ok(R"({"listen":"0.0.0.0:80","public_url":"https://a.example"})").public_url,
              "https://a.example");
    for (std::string_view url : {R"("ftp://x")", R"("pay.example.com")", R"("https://")",
                                 R"("https://a\tb")", R"("")", "null", "1"}) {
        EXPECT_EQ(parse_error(R"({"public_url":)" + std::string(url) + "}"),
                  "public_url: must be an http:// or https:// URL")
                << url;
    }
}

TEST(ConfigTest, InitialDataSectionsMustBeArraysOfObjects) {
    for (std::string_view section :
         {"brands", "groups", "customers", "accounts", "providers", "api_clients", "rates"}) {
        const std::string key(section);
        EXPECT_EQ(parse_error(R"({")" + key + R"(":{}})"), key + ": must be an array of objects");
        EXPECT_EQ(parse_error(R"({")" + key + R"(":null})"), key + ": must be an array of objects");
        EXPECT_EQ(parse_error(R"({")" + key + R"(":[{},"x"]})"), key + "[1]: must be an object");
        EXPECT_EQ(parse_error(R"({")" + key + R"(":[[]]})"), key + "[0]: must be an object");
        EXPECT_EQ(parse_ok(R"({")" + key + R"(":[]})").initial_data_json,
                  R"({")" + key + R"(":[]})");
    }
}

TEST(ConfigTest, InitialDataIsMinifiedInFixedOrderWithOriginalNumbers) {
    Config config = parse_ok(R"({
        "rates": [ { "pair" : "USD-BTC", "rate" : 0.000016 } ],
        "listen": "127.0.0.1:8080",
        "accounts": [ {"login": 1001, "customer_id": 1, "group": "real-usd", "enabled": true} ],
        "brands": [ {"id": "demo", "name": "Demo  Broker \"FX\"\n", "enabled": true} ],
        "providers": [ {"code": "sandbox", "methods": [ {"min_amount": 100.50, "max_amount": 1e2,
                        "countries": [ ] } ] } ],
        "customers": [ ],
        "log": {"level": "info"}
    })");
    EXPECT_EQ(config.initial_data_json,
              R"({"brands":[{"id":"demo","name":"Demo  Broker \"FX\"\n","enabled":true}],)"
              R"("customers":[],)"
              R"("accounts":[{"login":1001,"customer_id":1,"group":"real-usd","enabled":true}],)"
              R"("providers":[{"code":"sandbox","methods":[{"min_amount":100.50,"max_amount":1e2,)"
              R"("countries":[]}]}],)"
              R"("rates":[{"pair":"USD-BTC","rate":0.000016}]})");
    EXPECT_EQ(config.listen_port, 8080);

    // The last member of the document is an initial-data section too (no trailing separator).
    config = parse_ok(
            R"({"groups":[{"id":"g","currency":"USD","enabled":false}],"api_clients":[{"id":"c","api_key":"k","secret":"s","callback_url":"https://cb.example/x"}]})");
    EXPECT_EQ(
            config.initial_data_json,
            R"({"groups":[{"id":"g","currency":"USD","enabled":false}],)"
            R"("api_clients":[{"id":"c","api_key":"k","secret":"s","callback_url":"https://cb.example/x"}]})");
}

TEST(ConfigTest, NoErrorMessageCarriesASecret) {
    // Each config holds every valid secret and breaks one thing; some break the secret itself.
    const std::vector<std::string> broken = {
            full_config(R"("shards":-1)"),
            full_config(R"("limits":{"body_bytes_max":1})"),
            full_config(R"("public_url":"nope")"),
            full_config(R"("brands":[1])"),
            full_config(R"("unknown":true)"),
            R"({"manager_tokens":[")" + std::string(token_a) + R"(",")" + std::string(token_a) +
                    R"("]})",
            R"({"manager_tokens":["short-token"]})",
            R"({"manager_tokens":["token with space 0123456789"]})",
            jwt_with_key(R"({"kid":"k","alg":"HS256","secret":"short-hs-secret-31-bytes-xxxxxx"})"),
            jwt_with_key(R"({"kid":"k","alg":"ES256","public_key_pem":")" + std::string(pem) +
                         R"(","secret":")" + std::string(hs_secret) + R"("})"),
            jwt_with_key(R"({"kid":"k","alg":"HS256","secret":")" + std::string(hs_secret) +
                         R"(","public_key_pem":"x"})"),
            jwt_with_key(R"({"kid":"k","alg":"none","secret":")" + std::string(hs_secret) +
                         R"("})"),
            jwt_with_key(R"({"kid":"k","alg":"HS256","secret":")" + std::string(hs_secret) +
                         R"("},{"kid":"k","alg":"HS256","secret":")" + std::string(hs_secret) +
                         R"("})"),
            R"({"notifier":{"kind":"webhook","url":"https://x.example","secret":"tiny-webhook"}})",
            R"({"notifier":{"kind":"file","secret":")" + std::string(webhook_secret) + R"("}})",
            R"({"notifier":{"kind":"webhook","url":")" + std::string(webhook_secret) +
                    R"(","secret":")" + std::string(webhook_secret) + R"("}})",
    };
    for (const std::string& json : broken) {
        std::string error = parse_error(json);  // Asserts no secret appears.
        EXPECT_FALSE(error.empty()) << json;
    }
}

TEST(ConfigTest, ParseListenAcceptsLiteralAddresses) {
    struct Good {
        std::string_view text;
        std::string_view host;
        std::uint16_t port;
    };

    const Good good[] = {
            {"127.0.0.1:8080", "127.0.0.1", 8080},
            {"0.0.0.0:0", "0.0.0.0", 0},
            {"localhost:80", "localhost", 80},
            {"[::1]:8080", "::1", 8080},
            {"[::]:1", "::", 1},
            {"[2001:db8::1]:443", "2001:db8::1", 443},
            {"[::ffff:10.0.0.1]:8443", "::ffff:10.0.0.1", 8443},
            {"255.255.255.255:65535", "255.255.255.255", 65535},
            {"10.0.0.10:9", "10.0.0.10", 9},
    };
    for (const Good& item : good) {
        std::string host = "unchanged";
        std::uint16_t port = 1;
        EXPECT_TRUE(parse_listen(item.text, host, port)) << item.text;
        EXPECT_EQ(host, item.host) << item.text;
        EXPECT_EQ(port, item.port) << item.text;
    }
}

TEST(ConfigTest, ParseListenRefusesEverythingElse) {
    for (std::string_view text : {
                 "",
                 "127.0.0.1",          // no port
                 "127.0.0.1:",         // empty port
                 ":8080",              // empty host
                 "127.0.0.1:65536",    // port too large
                 "127.0.0.1:99999",    // port too large
                 "127.0.0.1:123456",   // too many digits
                 "127.0.0.1:80a",      // non-digit port
                 "127.0.0.1:-1",       // sign
                 "127.0.0.1:+80",      // sign
                 "127.0.0.1: 80",      // space
                 "127.0.0.1:080",      // leading zero
                 "example.com:80",     // no DNS at startup
                 "LOCALHOST:80",       // only the literal "localhost"
                 "localhost.:80",      // trailing dot
                 "1.2.3:80",           // three parts
                 "1.2.3.4.5:80",       // five parts
                 "256.1.1.1:80",       // octet out of range
                 "1.2.3.1000:80",      // octet too long
                 "01.2.3.4:80",        // leading zero in an octet
                 "1..2.3:80",          // empty octet
                 "1.2.3.4.:80",        // trailing dot
                 " 127.0.0.1:80",      // space
                 "[::1]",              // bracketed, no port
                 "[::1]:",             // bracketed, empty port
                 "::1:8080",           // IPv6 without brackets
                 "[::1:8080",          // unclosed bracket
                 "[]:80",              // empty IPv6
                 "[zz::1]:80",         // not IPv6
                 "[127.0.0.1]:80",     // IPv4 in brackets
                 "[fe80::1%eth0]:80",  // zone ids are not supported
         }) {
        std::string host = "unchanged";
        std::uint16_t port = 7;
        EXPECT_FALSE(parse_listen(text, host, port)) << text;
        EXPECT_EQ(host, "unchanged") << text;
        EXPECT_EQ(port, 7) << text;
    }
}

}  // namespace
}  // namespace cashierd::http
