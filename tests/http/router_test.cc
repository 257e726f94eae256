// Tests for http::Router: literal and {param} patterns, what does not match (trailing slash,
// empty parameter, extra or missing segments), 404 versus 405 with the allowed-method bits,
// HEAD served by GET, the Allow header text, and route ids and accessors.
// Thread: test thread only.
#include "http/router.h"

#include <cstdint>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace cashierd::http {
namespace {

std::uint16_t bit(Method method) {
    return static_cast<std::uint16_t>(1u << static_cast<unsigned>(method));
}

std::string allow_text(std::uint16_t bits) {
    char out[128];
    std::size_t length = Router::format_allow(bits, out, sizeof out);
    return std::string(out, length);
}

class RouterTest : public ::testing::Test {
protected:
    void SetUp() override {
        healthz_ = router_.add(Method::get, "/healthz");
        deposit_ = router_.add(Method::post, "/cashier/deposit");
        account_get_ = router_.add(Method::get, "/admin/accounts/{login}");
        history_ = router_.add(Method::get, "/admin/accounts/{login}/history");
        action_ = router_.add(Method::post, "/admin/transactions/{id}/{action}");
        account_put_ = router_.add(Method::put, "/admin/accounts/{login}");
        root_ = router_.add(Method::get, "/");
        webhook_ = router_.add(Method::post, "/cashier/webhook/{provider}");
    }

    Router router_;
    RouteId healthz_ = 0;
    RouteId deposit_ = 0;
    RouteId account_get_ = 0;
    RouteId history_ = 0;
    RouteId action_ = 0;
    RouteId account_put_ = 0;
    RouteId root_ = 0;
    RouteId webhook_ = 0;
};

TEST_F(RouterTest, RouteIdsAreDenseInOrderOfAddition) {
    EXPECT_EQ(router_.size(), 8u);
    EXPECT_EQ(healthz_, 0);
    EXPECT_EQ(deposit_, 1);
    EXPECT_EQ(account_get_, 2);
    EXPECT_EQ(history_, 3);
    EXPECT_EQ(action_, 4);
    EXPECT_EQ(account_put_, 5);
    EXPECT_EQ(root_, 6);
    EXPECT_EQ(webhook_, 7);
}

TEST_F(RouterTest, AccessorsReturnThePatternAndMethodAsRegistered) {
    EXPECT_EQ(router_.pattern(healthz_), "/healthz");
    EXPECT_EQ(router_.method(healthz_), Method::get);
    EXPECT_EQ(router_.pattern(history_), "/admin/accounts/{login}/history");
    EXPECT_EQ(router_.method(history_), Method::get);
    EXPECT_EQ(router_.pattern(action_), "/admin/transactions/{id}/{action}");
    EXPECT_EQ(router_.method(action_), Method::post);
    EXPECT_EQ(router_.pattern(account_put_), "/admin/accounts/{login}");
    EXPECT_EQ(router_.method(account_put_), Method::put);
    EXPECT_EQ(router_.pattern(root_), "/");
}

TEST_F(RouterTest, PatternIsCopiedNotReferenced) {
    Router router;
    std::string pattern = "/temporary/{x}";
    RouteId id = router.add(Method::get, pattern);
    pattern.assign("/overwritten/{y}");
    EXPECT_EQ(router.pattern(id), "/temporary/{x}");
    EXPECT_EQ(router.match(Method::get, "/temporary/1").kind, RouteMatch::Kind::found);
}

TEST_F(RouterTest, LiteralRoutesMatchExactly) {
    RouteMatch match = router_.match(Method::get, "/healthz");
    EXPECT_EQ(match.kind, RouteMatch::Kind::found);
    EXPECT_EQ(match.route, healthz_);
    EXPECT_EQ(match.params.count, 0u);

    match = router_.match(Method::post, "/cashier/deposit");
    EXPECT_EQ(match.kind, RouteMatch::Kind::found);
    EXPECT_EQ(match.route, deposit_);

    match = router_.match(Method::get, "/");
    EXPECT_EQ(match.kind, RouteMatch::Kind::found);
    EXPECT_EQ(match.route, root_);

    // Case matters, and a prefix or an extension of a literal is a different path.
    for (std::string_view path : {"/HEALTHZ", "/health", "/healthzz", "/healthz/x", "/cashier",
                                  "/cashier/deposit/extra", "/cashier/depositx"}) {
        EXPECT_EQ(router_.match(Method::get, path).kind, RouteMatch::Kind::not_found) << path;
        EXPECT_EQ(router_.match(Method::post, path).kind, RouteMatch::Kind::not_found) << path;
    }
}

TEST_F(RouterTest, ParametersAreExtractedAsViewsIntoThePath) {
    std::string path = "/admin/accounts/2000009";
    RouteMatch match = router_.match(Method::get, path);
    ASSERT_EQ(match.kind, RouteMatch::Kind::found);
    EXPECT_EQ(match.route, account_get_);
    ASSERT_EQ(match.params.count, 1u);
    EXPECT_EQ(match.params[0], "2000009");
    // A view into the request, not a copy: no allocation on the request path.
    EXPECT_EQ(match.params[0].data(), path.data() + std::string_view("/admin/accounts/").size());

    match = router_.match(Method::get, "/admin/accounts/77/history");
    ASSERT_EQ(match.kind, RouteMatch::Kind::found);
    EXPECT_EQ(match.route, history_);
    ASSERT_EQ(match.params.count, 1u);
    EXPECT_EQ(match.params[0], "77");

    match = router_.match(Method::post, "/admin/transactions/15/approve");
    ASSERT_EQ(match.kind, RouteMatch::Kind::found);
    EXPECT_EQ(match.route, action_);
    ASSERT_EQ(match.params.count, 2u);
    EXPECT_EQ(match.params[0], "15");
    EXPECT_EQ(match.params[1], "approve");

    // A parameter takes any non-empty segment, including characters that are not digits.
    match = router_.match(Method::post, "/cashier/webhook/sandbox-1.v2%20x");
    ASSERT_EQ(match.kind, RouteMatch::Kind::found);
    EXPECT_EQ(match.route, webhook_);
    EXPECT_EQ(match.params[0], "sandbox-1.v2%20x");

    // A parameter never spans a slash.
    EXPECT_EQ(router_.match(Method::post, "/cashier/webhook/a/b").kind,
              RouteMatch::Kind::not_found);
}

TEST_F(RouterTest, TrailingSlashIsNotMatched) {
    for (std::string_view path : {"/healthz/", "/cashier/deposit/", "/admin/accounts/5/",
                                  "/admin/accounts/5/history/", "/admin/transactions/1/approve/"}) {
        EXPECT_EQ(router_.match(Method::get, path).kind, RouteMatch::Kind::not_found) << path;
        EXPECT_EQ(router_.match(Method::post, path).kind, RouteMatch::Kind::not_found) << path;
    }
}

TEST_F(RouterTest, EmptySegmentIsNotAParameter) {
    for (std::string_view path :
         {"/admin/accounts/", "/admin/accounts//history", "/admin/transactions//approve",
          "/admin/transactions/1/", "/admin/transactions///", "/cashier/webhook/"}) {
        EXPECT_EQ(router_.match(Method::get, path).kind, RouteMatch::Kind::not_found) << path;
        EXPECT_EQ(router_.match(Method::post, path).kind, RouteMatch::Kind::not_found) << path;
    }
}

TEST_F(RouterTest, PathsThatAreNotAbsoluteOrAreEmptyAreNotFound) {
    for (std::string_view path : {"", "healthz", "*", "//", "//healthz", "/admin//accounts/5"}) {
        RouteMatch match = router_.match(Method::get, path);
        EXPECT_EQ(match.kind, RouteMatch::Kind::not_found) << path;
        EXPECT_EQ(match.allowed_methods, 0) << path;
    }
}

TEST_F(RouterTest, WrongMethodIs405WithTheAllowedMethods) {
    RouteMatch match = router_.match(Method::delete_, "/admin/accounts/5");
    EXPECT_EQ(match.kind, RouteMatch::Kind::method_not_allowed);
    EXPECT_EQ(match.allowed_methods, bit(Method::get) | bit(Method::head) | bit(Method::put));
    EXPECT_EQ(allow_text(match.allowed_methods), "GET, HEAD, PUT");

    // No GET route: HEAD is not allowed either.
    match = router_.match(Method::get, "/cashier/deposit");
    EXPECT_EQ(match.kind, RouteMatch::Kind::method_not_allowed);
    EXPECT_EQ(match.allowed_methods, bit(Method::post));
    EXPECT_EQ(allow_text(match.allowed_methods), "POST");

    match = router_.match(Method::post, "/healthz");
    EXPECT_EQ(match.kind, RouteMatch::Kind::method_not_allowed);
    EXPECT_EQ(match.allowed_methods, bit(Method::get) | bit(Method::head));

    // Methods the parser does not know are refused the same way.
    match = router_.match(Method::other, "/healthz");
    EXPECT_EQ(match.kind, RouteMatch::Kind::method_not_allowed);
    EXPECT_EQ(match.allowed_methods, bit(Method::get) | bit(Method::head));

    // An unknown path is 404 whatever the method, with no allowed bits.
    for (Method method : {Method::get, Method::head, Method::post, Method::delete_}) {
        match = router_.match(method, "/nope");
        EXPECT_EQ(match.kind, RouteMatch::Kind::not_found);
        EXPECT_EQ(match.allowed_methods, 0);
    }
}

TEST_F(RouterTest, HeadIsServedByTheGetRoute) {
    RouteMatch match = router_.match(Method::head, "/healthz");
    EXPECT_EQ(match.kind, RouteMatch::Kind::found);
    EXPECT_EQ(match.route, healthz_);

    match = router_.match(Method::head, "/admin/accounts/9/history");
    ASSERT_EQ(match.kind, RouteMatch::Kind::found);
    EXPECT_EQ(match.route, history_);
    EXPECT_EQ(match.params[0], "9");

    // HEAD on a POST-only path is 405, not served by the POST route.
    match = router_.match(Method::head, "/cashier/deposit");
    EXPECT_EQ(match.kind, RouteMatch::Kind::method_not_allowed);
    EXPECT_EQ(match.allowed_methods, bit(Method::post));
}

// A route registered for HEAD itself must be reachable: the Allow header of a 405 lists HEAD
// for it, so refusing HEAD there would contradict the server's own Allow header.
TEST(RouterHeadTest, ExplicitHeadRouteIsMatched) {
    Router router;
    RouteId head = router.add(Method::head, "/probe");
    RouteMatch match = router.match(Method::head, "/probe");
    EXPECT_EQ(match.kind, RouteMatch::Kind::found);
    EXPECT_EQ(match.route, head);
    // GET on it is 405 allowing only HEAD.
    match = router.match(Method::get, "/probe");
    EXPECT_EQ(match.kind, RouteMatch::Kind::method_not_allowed);
    EXPECT_EQ(match.allowed_methods, bit(Method::head));
}

TEST(RouterParamsTest, UpToFourParameters) {
    Router router;
    RouteId id = router.add(Method::get, "/{a}/{b}/x/{c}/{d}");
    RouteMatch match = router.match(Method::get, "/1/22/x/333/4444");
    ASSERT_EQ(match.kind, RouteMatch::Kind::found);
    EXPECT_EQ(match.route, id);
    ASSERT_EQ(match.params.count, 4u);
    EXPECT_EQ(match.params[0], "1");
    EXPECT_EQ(match.params[1], "22");
    EXPECT_EQ(match.params[2], "333");
    EXPECT_EQ(match.params[3], "4444");
    EXPECT_EQ(router.match(Method::get, "/1/22/y/333/4444").kind, RouteMatch::Kind::not_found);
}

TEST(RouterParamsTest, FailedCandidateLeavesNoParameters) {
    // The first route binds a parameter before failing on its literal; the match must carry
    // only the winning route's parameters.
    Router router;
    router.add(Method::get, "/items/{id}/edit");
    RouteId list = router.add(Method::get, "/items/{id}/list/{page}");
    RouteMatch match = router.match(Method::get, "/items/5/list/2");
    ASSERT_EQ(match.kind, RouteMatch::Kind::found);
    EXPECT_EQ(match.route, list);
    ASSERT_EQ(match.params.count, 2u);
    EXPECT_EQ(match.params[0], "5");
    EXPECT_EQ(match.params[1], "2");

    match = router.match(Method::get, "/items/5/none");
    EXPECT_EQ(match.kind, RouteMatch::Kind::not_found);
}

TEST(RouterAllowTest, FormatsEveryMethodInOrder) {
    EXPECT_EQ(allow_text(0), "");
    EXPECT_EQ(allow_text(bit(Method::get)), "GET");
    std::uint16_t all = bit(Method::get) | bit(Method::head) | bit(Method::post) |
                        bit(Method::put) | bit(Method::delete_) | bit(Method::patch) |
                        bit(Method::options);
    EXPECT_EQ(allow_text(all), "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS");
    EXPECT_EQ(allow_text(bit(Method::options) | bit(Method::delete_)), "DELETE, OPTIONS");
}

TEST(RouterAllowTest, NeverWritesPastTheBufferAndTruncatesToAPrefix) {
    const std::uint16_t bits = bit(Method::get) | bit(Method::head) | bit(Method::post);
    const std::string full = "GET, HEAD, POST";
    ASSERT_EQ(allow_text(bits), full);
    for (std::size_t size = 0; size <= full.size(); ++size) {
        std::string buffer(size + 8, '#');
        std::size_t length = Router::format_allow(bits, buffer.data(), size);
        EXPECT_LE(length, size);
        EXPECT_EQ(buffer.substr(size), std::string(8, '#')) << "size " << size;
        // A cut-short value is still the start of the real one, never two names run together
        // ("GETH" would name a method that does not exist).
        EXPECT_EQ(full.compare(0, length, buffer, 0, length), 0)
                << "size " << size << ": " << buffer.substr(0, length);
    }
}

TEST(RouterMethodNameTest, Tokens) {
    EXPECT_EQ(method_name(Method::get), "GET");
    EXPECT_EQ(method_name(Method::head), "HEAD");
    EXPECT_EQ(method_name(Method::post), "POST");
    EXPECT_EQ(method_name(Method::put), "PUT");
    EXPECT_EQ(method_name(Method::delete_), "DELETE");
    EXPECT_EQ(method_name(Method::patch), "PATCH");
    EXPECT_EQ(method_name(Method::options), "OPTIONS");
    EXPECT_EQ(method_name(Method::other), "OTHER");
}

}  // namespace
}  // namespace cashierd::http
