#include "http/router.h"

#include "reactor/base/assert.h"

namespace cashierd::http {

std::string_view method_name(Method method) {
    switch (method) {
        case Method::get:
            return "GET";
        case Method::head:
            return "HEAD";
        case Method::post:
            return "POST";
        case Method::put:
            return "PUT";
        case Method::delete_:
            return "DELETE";
        case Method::patch:
            return "PATCH";
        case Method::options:
            return "OPTIONS";
        case Method::other:
            return "OTHER";
    }
    return "OTHER";
}

RouteId Router::add(Method method, std::string_view pattern) {
    CASHIERD_ASSERT(!pattern.empty() && pattern.front() == '/');
    CASHIERD_ASSERT(routes_.size() < limits::routes_max);
    Route route{method, std::string(pattern), {}};
    std::size_t parameters = 0;
    std::string_view rest = pattern.substr(1);
    while (true) {
        std::size_t slash = rest.find('/');
        std::string_view segment = rest.substr(0, slash);
        bool parameter = segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
        if (parameter) ++parameters;
        route.segments.push_back(
                Segment{parameter ? std::string() : std::string(segment), parameter});
        if (slash == std::string_view::npos) break;
        rest = rest.substr(slash + 1);
    }
    CASHIERD_ASSERT(parameters <= limits::path_params_max);
    routes_.push_back(std::move(route));
    return static_cast<RouteId>(routes_.size() - 1);
}

bool Router::match_segments(const Route& route, std::string_view path, PathParams& params) {
    if (path.empty() || path.front() != '/') return false;
    std::string_view rest = path.substr(1);
    params.count = 0;
    for (std::size_t i = 0; i < route.segments.size(); ++i) {
        std::size_t slash = rest.find('/');
        bool last = i + 1 == route.segments.size();
        if (last != (slash == std::string_view::npos)) return false;
        std::string_view segment = rest.substr(0, slash);
        const Segment& expected = route.segments[i];
        if (expected.parameter) {
            if (segment.empty()) return false;
            params.values[params.count++] = segment;
        } else if (segment != expected.literal) {
            return false;
        }
        if (!last) rest = rest.substr(slash + 1);
    }
    return true;
}

RouteMatch Router::match(Method method, std::string_view path) const {
    RouteMatch result;
    Method wanted = method == Method::head ? Method::get : method;
    PathParams params;
    for (std::size_t i = 0; i < routes_.size(); ++i) {
        const Route& route = routes_[i];
        if (!match_segments(route, path, params)) continue;
        if (route.method == method || route.method == wanted) {
            result.kind = RouteMatch::Kind::found;
            result.route = static_cast<RouteId>(i);
            result.params = params;
            return result;
        }
        result.allowed_methods |=
                static_cast<std::uint16_t>(1u << static_cast<unsigned>(route.method));
        if (route.method == Method::get) {
            result.allowed_methods |=
                    static_cast<std::uint16_t>(1u << static_cast<unsigned>(Method::head));
        }
    }
    result.kind = result.allowed_methods != 0 ? RouteMatch::Kind::method_not_allowed
                                              : RouteMatch::Kind::not_found;
    return result;
}

std::size_t Router::format_allow(std::uint16_t allowed_methods, char* out, std::size_t size) {
    std::size_t length = 0;
    for (unsigned m = 0; m <= static_cast<unsigned>(Method::other); ++m) {
        if ((allowed_methods & (1u << m)) == 0) continue;
        std::string_view name = method_name(static_cast<Method>(m));
        std::string_view separator = length == 0 ? "" : ", ";
        // Whole names only: a truncated list is still a valid list.
        if (length + separator.size() + name.size() > size) break;
        for (char c : separator)
            out[length++] = c;
        for (char c : name)
            out[length++] = c;
    }
    return length;
}

}  // namespace cashierd::http
