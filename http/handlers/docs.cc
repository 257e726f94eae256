// Documentation routes: GET /openapi.json (docs/openapi.yaml, bundled by scripts/openapi.sh)
// and GET /docs (the same document rendered as one self-contained page). Both bodies are
// compiled in (the generated docs_assets.cc), so they always describe this binary.
// Thread: handlers run on the shard that accepted the connection.
#include <string_view>

#include "http/server.h"

namespace cashierd::http {

// Defined in the generated docs_assets.cc.
extern const std::string_view embedded_openapi_json;
extern const std::string_view embedded_api_html;

namespace {

// The page's scripts, styles and document are all inline. The policy keeps a browser from
// fetching anything else (fonts, images, telemetry) even if a future build of the page tried.
constexpr std::string_view docs_content_security_policy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "img-src data:; font-src data:";

HandlerResult openapi_json(Exchange& exchange) {
    exchange.respond_json(200, embedded_openapi_json);
    return HandlerResult::done;
}

HandlerResult docs_page(Exchange& exchange) {
    exchange.respond(200, "text/html; charset=utf-8", embedded_api_html,
                     {{"Content-Security-Policy", docs_content_security_policy}});
    return HandlerResult::done;
}

}  // namespace

void add_docs_routes(Server& server) {
    server.add_route(Method::get, "/openapi.json", openapi_json);
    server.add_route(Method::get, "/docs", docs_page);
}

}  // namespace cashierd::http
