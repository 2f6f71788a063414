// The HTTP route table: one row per (method, path pattern, handler), the only list of what the
// hub serves over HTTP. Dispatch walks it once: a path no row matches is 404 not_found; a path
// some row matches with an invalid {crab} segment is 400 bad_name (before the method is looked
// at, so a hostile name never reaches a handler); a path matched only under other methods is
// 405 method_not_allowed. Patterns are literal segments, {crab}, which matches one segment, and
// {file}, which matches any one non-empty segment (the handler looks it up).
#pragma once

#include <ostream>  // verb.hpp uses std::ostream without including it

#include <boost/beast/http/verb.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/grant.hpp"

namespace octopus::server {

struct RouteMatch {
    std::string crab;  // the {crab} segment, when the pattern has one
};

// True when `path` (no query string) has the pattern's shape; fills `match`.
bool match_route(std::string_view pattern, std::string_view path, RouteMatch& match);

// `need` is the scope a caller must hold (core/auth/grant.hpp): for crab rights, over the {crab}
// segment, or over at least one crab on routes without one (the handler then shows only what
// the caller may see). No need: open to everyone (only /healthz).
template <typename Handler>
struct Route {
    boost::beast::http::verb method;
    std::string_view pattern;
    std::optional<core::auth::Right> need;
    Handler handler;
};

enum class RouteOutcome { found, not_found, bad_name, method_not_allowed };

// Finds the row for (method, path). On `found`, `row` points at it and `match` is filled.
template <typename Handler>
RouteOutcome find_route(const std::vector<Route<Handler>>& table, boost::beast::http::verb method,
                        std::string_view path, const Route<Handler>*& row, RouteMatch& match);

bool route_crab_valid(const RouteMatch& match, std::string_view pattern);

template <typename Handler>
RouteOutcome find_route(const std::vector<Route<Handler>>& table, boost::beast::http::verb method,
                        std::string_view path, const Route<Handler>*& row, RouteMatch& match) {
    bool shape = false;
    for (const auto& r : table) {
        RouteMatch m;
        if (!match_route(r.pattern, path, m)) continue;
        if (!route_crab_valid(m, r.pattern)) return RouteOutcome::bad_name;
        shape = true;
        if (r.method != method) continue;
        row = &r;
        match = std::move(m);
        return RouteOutcome::found;
    }
    return shape ? RouteOutcome::method_not_allowed : RouteOutcome::not_found;
}

}  // namespace octopus::server
