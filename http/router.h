// Router: a static table of (method, path pattern) built at startup, matched per request.
// Patterns are literal segments and {name} parameters ("/admin/accounts/{login}/history").
// A path that matches some pattern under another method is 405 (with the allowed methods);
// a path that matches none is 404. HEAD is served by the GET route.
// Thread: built on the main thread, then read-only and shared by every shard.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.h"
#include "reactor/base/limits.h"

namespace cashierd::http {

using RouteId = std::uint16_t;

struct PathParams {
    std::array<std::string_view, limits::path_params_max> values{};
    std::size_t count = 0;

    std::string_view operator[](std::size_t index) const { return values[index]; }
};

struct RouteMatch {
    enum class Kind : std::uint8_t { found, not_found, method_not_allowed };
    Kind kind = Kind::not_found;
    RouteId route = 0;
    PathParams params;
    std::uint16_t allowed_methods = 0;  // Bit per Method, for 405's Allow header.
};

class Router {
public:
    /// Adds a route; returns its id (dense, from 0, in order of addition). The pattern must
    /// start with '/', and have at most limits::path_params_max parameters.
    RouteId add(Method method, std::string_view pattern);

    RouteMatch match(Method method, std::string_view path) const;

    std::size_t size() const { return routes_.size(); }

    /// The pattern of a route, as registered: the metrics and log label.
    std::string_view pattern(RouteId route) const { return routes_[route].pattern; }

    Method method(RouteId route) const { return routes_[route].method; }

    /// Formats an Allow header value ("GET, HEAD, POST") into `out`; returns its length.
    static std::size_t format_allow(std::uint16_t allowed_methods, char* out, std::size_t size);

private:
    struct Segment {
        std::string literal;
        bool parameter = false;
    };

    struct Route {
        Method method;
        std::string pattern;
        std::vector<Segment> segments;
    };

    static bool match_segments(const Route& route, std::string_view path, PathParams& params);

    std::vector<Route> routes_;
};

/// The name of a method as a token ("GET"); "OTHER" for Method::other.
std::string_view method_name(Method method);

}  // namespace cashierd::http
