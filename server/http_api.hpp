// The HTTP API on the hub's port: health, Prometheus metrics, crab listing, ring buffers and
// HTTP push for crabs that cannot hold a socket. Handlers answer through `respond`, which a
// push calls only after its snapshots are durable. Errors are JSON bodies with the same codes
// as the WebSocket protocol (protocol/README.md).
#pragma once

#include <boost/beast/http.hpp>
#include <functional>
#include <optional>
#include <vector>

#include "core/auth/grant.hpp"
#include "protocol/errors.hpp"
#include "server/server_context.hpp"

namespace octopus::server {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using Respond = std::function<void(HttpResponse)>;

// Answers `req` from `peer` (its address and client certificate, for authentication).
void handle_http(ServerContext& ctx, const HttpRequest& req, const Peer& peer, Respond respond);

// Every route: method, pattern and the scope it needs (tests walk this list).
struct RouteInfo {
    boost::beast::http::verb method;
    std::string_view pattern;
    std::optional<core::auth::Right> need;
};
std::vector<RouteInfo> http_routes();

HttpResponse json_response(unsigned status, std::string body, unsigned version);
HttpResponse error_response(const protocol::Error& error, unsigned version);

}  // namespace octopus::server
