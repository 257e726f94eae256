// Operations routes: GET /healthz (the process answers), GET /readyz (every shard's loop
// answers a ping through its mailbox, and the server is not shutting down) and GET /metrics
// (Prometheus text exposition of every shard).
// Thread: handlers run on the shard that accepted the connection.
#include <charconv>

#include "http/json_writer.h"
#include "http/server.h"

namespace cashierd::http {
namespace {

HandlerResult healthz(Exchange& exchange) {
    exchange.respond_json(200, R"({"status":"ok"})");
    return HandlerResult::done;
}

void on_pong(Exchange& exchange, const ShardMessage&) {
    if (exchange.awaiting() != 0) return;
    std::string& body = exchange.body_scratch();
    JsonWriter json(body);
    json.begin_object();
    json.field("status", "ready");
    json.field("shards", static_cast<std::int64_t>(exchange.shard().server().shard_count()));
    json.end_object();
    exchange.respond_json(200, body);
}

HandlerResult readyz(Exchange& exchange) {
    Server& server = exchange.shard().server();
    if (!server.accepting()) {
        exchange.respond_error(Status(StatusCode::ret_err_noservice, "shutting_down"));
        return HandlerResult::done;
    }
    auto shards = static_cast<std::uint32_t>(server.shard_count());
    for (std::size_t i = 0; i < shards; ++i) {
        ShardMessage ping;
        ping.kind = ShardMessage::Kind::ping;
        ping.from = exchange.shard().id();
        ping.reply_to = exchange.connection_ref();
        ping.exchange = exchange.id();
        if (!server.shard(i).mailbox().post(std::move(ping))) {
            // Pongs from shards already pinged arrive for a finished exchange and are dropped.
            exchange.shard().metrics().mailbox_refused.add();
            exchange.respond_error(Status(StatusCode::ret_err_noservice, "overloaded"));
            return HandlerResult::done;
        }
    }
    exchange.defer(shards, on_pong);
    return HandlerResult::deferred;
}

HandlerResult metrics(Exchange& exchange) {
    std::string& body = exchange.body_scratch();
    exchange.shard().server().render_metrics_text(body);
    exchange.respond(200, "text/plain; version=0.0.4; charset=utf-8", body);
    return HandlerResult::done;
}

}  // namespace

void add_health_routes(Server& server) {
    server.add_route(Method::get, "/healthz", healthz);
    server.add_route(Method::get, "/readyz", readyz);
    server.add_route(Method::get, "/metrics", metrics);
}

}  // namespace cashierd::http
