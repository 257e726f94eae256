// The OpenAPI document and the docs page, through the real binary: /openapi.json is the
// committed docs/openapi.json and an OpenAPI 3.1 document; its error codes are exactly the wire
// codes of reactor/base/status.h, each documented under the HTTP status error_mapping gives it;
// every operation is served unless marked `x-cashierd-status: planned`, and none marked so is;
// /docs is the committed page and loads nothing from another host.
#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include "http/error_mapping.h"
#include "reactor/base/status.h"
#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace cashierd::test {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr std::string_view docs_policy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "img-src data:; font-src data:";

std::string read_source_file(const std::string& relative) {
    std::ifstream in(std::string(CASHIERD_SOURCE_DIR) + "/" + relative, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::map<std::string, StatusCode, std::less<>> wire_codes() {
    std::map<std::string, StatusCode, std::less<>> codes;
#define CASHIERD_X(name, text) codes.emplace(text, StatusCode::name);
    CASHIERD_STATUS_CODES(CASHIERD_X)
#undef CASHIERD_X
    return codes;
}

class OpenApiTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        server_ = new ServerProcess();
        ASSERT_TRUE(server_->start()) << server_->stderr_text();
        HttpResponse response = http_request(server_->port(), "GET", "/openapi.json");
        ASSERT_EQ(response.status, 200);
        document_ = new std::string(response.body);
        parser_ = new simdjson::dom::parser();
        ASSERT_EQ(parser_->parse(*document_).get(root_), simdjson::SUCCESS);
    }

    static void TearDownTestSuite() {
        if (server_ != nullptr && server_->running()) {
            EXPECT_EQ(server_->stop(SIGTERM), 0);
        }
        delete server_;
        delete parser_;
        delete document_;
        server_ = nullptr;
        parser_ = nullptr;
        document_ = nullptr;
    }

    // Follows "$ref": "#/..." to what it names (at most a few hops in this document).
    static element resolve(element value) {
        for (int hop = 0; hop < 8; ++hop) {
            std::string_view ref;
            if (value.at_key("$ref").get_string().get(ref) != simdjson::SUCCESS) return value;
            EXPECT_EQ(ref.substr(0, 2), "#/") << ref;
            element target;
            EXPECT_EQ(root_.at_pointer(ref.substr(1)).get(target), simdjson::SUCCESS) << ref;
            value = target;
        }
        ADD_FAILURE() << "reference chain too long";
        return value;
    }

    // The error codes a response schema allows: `enum` or `const` on its own `error` property,
    // through $ref and allOf. The general ErrorCode enum (reached by $ref from Error) is not a
    // restriction and is not collected.
    static void collect_codes(element schema, std::vector<std::string>& out) {
        schema = resolve(schema);
        element error;
        if (schema.at_pointer("/properties/error").get(error) == simdjson::SUCCESS &&
            error.at_key("$ref").error() != simdjson::SUCCESS) {
            std::string_view code;
            if (error.at_key("const").get_string().get(code) == simdjson::SUCCESS) {
                out.emplace_back(code);
            }
            array codes;
            if (error.at_key("enum").get_array().get(codes) == simdjson::SUCCESS) {
                for (element item : codes) {
                    EXPECT_EQ(item.get_string().get(code), simdjson::SUCCESS);
                    out.emplace_back(code);
                }
            }
        }
        array parts;
        if (schema.at_key("allOf").get_array().get(parts) == simdjson::SUCCESS) {
            for (element part : parts)
                collect_codes(part, out);
        }
    }

    struct Operation {
        std::string method;
        std::string path;
        element value;
        bool planned = false;
    };

    static std::vector<Operation> operations() {
        std::vector<Operation> out;
        object paths;
        EXPECT_EQ(root_.at_key("paths").get_object().get(paths), simdjson::SUCCESS);
        for (auto [path, item] : paths) {
            object methods;
            EXPECT_EQ(item.get_object().get(methods), simdjson::SUCCESS);
            for (auto [key, value] : methods) {
                if (key == "parameters" || key == "summary" || key == "description") continue;
                Operation operation{std::string(key), std::string(path), value};
                std::string_view status;
                if (value.at_key("x-cashierd-status").get_string().get(status) ==
                    simdjson::SUCCESS) {
                    EXPECT_EQ(status, "planned") << key << " " << path;
                    operation.planned = true;
                }
                out.push_back(operation);
            }
        }
        return out;
    }

    static ServerProcess* server_;
    static std::string* document_;
    static simdjson::dom::parser* parser_;
    static element root_;
};

ServerProcess* OpenApiTest::server_ = nullptr;
std::string* OpenApiTest::document_ = nullptr;
simdjson::dom::parser* OpenApiTest::parser_ = nullptr;
element OpenApiTest::root_;

TEST_F(OpenApiTest, ServesTheCommittedDocumentAsOpenApi31) {
    HttpResponse response = http_request(server_->port(), "GET", "/openapi.json");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("Content-Type"), "application/json");
    EXPECT_FALSE(response.header("X-Request-Id").empty());
    const std::string committed = read_source_file("docs/openapi.json");
    ASSERT_FALSE(committed.empty());
    // A stale build, or docs/openapi.json edited without a rebuild, serves other bytes.
    EXPECT_TRUE(response.body == committed) << "served " << response.body.size()
                                            << " bytes, docs/openapi.json has " << committed.size();

    std::string_view version;
    ASSERT_EQ(root_.at_key("openapi").get_string().get(version), simdjson::SUCCESS);
    EXPECT_EQ(version.substr(0, 4), "3.1.") << version;
    for (const char* path : {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"}) {
        element item;
        EXPECT_EQ(root_.at_key("paths").at_key(path).get(item), simdjson::SUCCESS) << path;
    }
}

TEST_F(OpenApiTest, ErrorCodeEnumIsEveryWireCode) {
    array codes;
    ASSERT_EQ(root_.at_pointer("/components/schemas/ErrorCode/enum").get_array().get(codes),
              simdjson::SUCCESS);
    std::set<std::string> documented;
    std::size_t count = 0;
    for (element item : codes) {
        std::string_view code;
        ASSERT_EQ(item.get_string().get(code), simdjson::SUCCESS);
        documented.emplace(code);
        ++count;
    }
    EXPECT_EQ(count, documented.size()) << "a code is listed twice";
    std::set<std::string> expected;
    for (const auto& [name, code] : wire_codes()) {
        if (code != StatusCode::ok) expected.insert(name);  // OK is never an error.
    }
    EXPECT_EQ(documented, expected);
}

TEST_F(OpenApiTest, EveryDocumentedErrorCodeHasItsHttpStatus) {
    const auto codes = wire_codes();
    std::size_t checked = 0;
    for (const Operation& operation : operations()) {
        object responses;
        ASSERT_EQ(operation.value.at_key("responses").get_object().get(responses),
                  simdjson::SUCCESS);
        for (auto [status_text, response_value] : responses) {
            const int status = std::stoi(std::string(status_text));
            if (status < 400) continue;
            std::string where =
                    operation.method + " " + operation.path + " " + std::string(status_text);
            element schema;
            ASSERT_EQ(resolve(response_value)
                              .at_pointer("/content/application~1json/schema")
                              .get(schema),
                      simdjson::SUCCESS)
                    << where << ": error answers are JSON";
            std::vector<std::string> allowed;
            collect_codes(schema, allowed);
            EXPECT_FALSE(allowed.empty()) << where << ": says which error codes it carries";
            for (const std::string& name : allowed) {
                auto code = codes.find(name);
                ASSERT_NE(code, codes.end()) << where << ": unknown code " << name;
                EXPECT_EQ(http::http_status(code->second), status) << where << ": " << name;
                ++checked;
            }
        }
    }
    // Every operation documents several error answers; an empty walk would prove nothing.
    EXPECT_GT(checked, 200u);
}

TEST_F(OpenApiTest, EveryOperationIsServedExactlyWhenNotPlanned) {
    std::size_t served = 0;
    for (const Operation& operation : operations()) {
        std::string path = operation.path;
        for (std::size_t open = path.find('{'); open != std::string::npos; open = path.find('{')) {
            path.replace(open, path.find('}', open) - open + 1, "1");
        }
        std::string method = operation.method;
        for (char& c : method)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        HttpResponse response = http_request(server_->port(), method, path);
        const bool no_route =
                response.status == 405 ||
                (response.status == 404 &&
                 response.body == R"({"error":"NOT_FOUND","message":"Not found: no such route"})");
        if (operation.planned) {
            EXPECT_TRUE(no_route)
                    << method << " " << path << " is marked planned but answers " << response.status
                    << " " << response.body
                    << ": remove x-cashierd-status and 'Not served yet.' from docs/openapi.yaml";
        } else {
            ++served;
            EXPECT_FALSE(no_route) << method << " " << path << " is documented but not served";
        }
    }
    // Planned operations come and go with the milestones (there may be none); the served ones
    // guard against an empty walk.
    EXPECT_GT(served, 5u);
}

// True if the attribute value starting at `at` names another host ("http://", "https://",
// "//").
bool remote_url_at(std::string_view text, std::size_t at) {
    while (at < text.size() && (text[at] == ' ' || text[at] == '"' || text[at] == '\'')) {
        ++at;
    }
    std::string_view rest = text.substr(at);
    return rest.starts_with("http://") || rest.starts_with("https://") || rest.starts_with("//");
}

// The name of the HTML tag `at` is inside, lower case ("" when there is none).
std::string enclosing_tag(std::string_view text, std::size_t at) {
    std::size_t open = text.rfind('<', at);
    if (open == std::string_view::npos) return "";
    std::string name;
    for (std::size_t i = open + 1;
         i < text.size() && std::isalnum(static_cast<unsigned char>(text[i])); ++i)
        name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))));
    return name;
}

TEST_F(OpenApiTest, DocsIsTheCommittedPageAndLoadsNothingRemote) {
    HttpResponse response = http_request(server_->port(), "GET", "/docs");
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(response.header("Content-Security-Policy"), docs_policy);
    EXPECT_FALSE(response.header("X-Request-Id").empty());
    const std::string committed = read_source_file("docs/api.html");
    ASSERT_GT(committed.size(), 100000u);
    EXPECT_TRUE(response.body == committed) << "served " << response.body.size()
                                            << " bytes, docs/api.html has " << committed.size();

    std::string page = response.body;
    for (char& c : page)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_NE(page.find("<!doctype html>"), std::string::npos);
    EXPECT_NE(page.find("redoc"), std::string::npos);
    // The document itself is inline: the page needs no request to /openapi.json.
    EXPECT_NE(page.find("__redoc_definition"), std::string::npos);
    EXPECT_NE(page.find("\"/cashier/deposit\""), std::string::npos);

    std::size_t links = 0;
    for (std::string_view attribute : {"src=", "href=", "srcset=", "data="}) {
        for (std::size_t at = page.find(attribute); at != std::string::npos;
             at = page.find(attribute, at + 1)) {
            if (!remote_url_at(page, at + attribute.size())) continue;
            // A link loads nothing until clicked; anything else with a remote URL would.
            std::string tag = enclosing_tag(page, at);
            if (attribute == "href=" && tag == "a") {
                ++links;
                continue;
            }
            ADD_FAILURE() << "<" << tag << "> loads " << page.substr(at, 80);
        }
    }
    // CSS that would fetch: url(REMOTE), @import REMOTE and @import url(REMOTE). (The page's
    // CSS-in-JS library names "@import" as a constant, which fetches nothing.)
    for (std::string_view css : {"url(", "@import"}) {
        for (std::size_t at = page.find(css); at != std::string::npos;
             at = page.find(css, at + 1)) {
            std::size_t value = at + css.size();
            while (value < page.size() && page[value] == ' ')
                ++value;
            if (css == "@import" && page.compare(value, 4, "url(") == 0) value += 4;
            EXPECT_FALSE(remote_url_at(page, value)) << page.substr(at, 80);
        }
    }
    // Where the page's code would fetch logos, icons and telemetry: the build removes them.
    for (std::string_view host : {"cdn.redoc.ly", "cdn.redocly.com", "otel.cloud.redocly.com"}) {
        EXPECT_EQ(page.find(host), std::string::npos) << host;
    }
    EXPECT_LT(links, 10u);
}

TEST_F(OpenApiTest, HeadOfDocsHasTheLengthAndNoBody) {
    RawClient client;
    ASSERT_TRUE(client.connect(server_->port()));
    ASSERT_TRUE(
            client.send("HEAD /docs HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    HttpResponse head;
    ASSERT_TRUE(client.read_response(head, 5000, true));
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("Content-Length"),
              std::to_string(read_source_file("docs/api.html").size()));
    // The next answer parses right after the head: no page bytes were sent.
    HttpResponse next;
    ASSERT_TRUE(client.read_response(next));
    EXPECT_EQ(next.body, R"({"status":"ok"})");
}

}  // namespace
}  // namespace cashierd::test
