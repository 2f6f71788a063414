// Checks on every HTTP request and WebSocket upgrade before any route or session sees it, against
// what a web page the operator happens to open could do to a hub:
//   - Cross-site WebSocket hijacking: a browser sends Origin on every upgrade. It must be the
//     hub's own origin (scheme://HOST:PORT equal to the request's Host) or one listed in
//     [hub] allowed_origins; a client that sends no Origin (not a browser) is not affected.
//   - DNS rebinding: a hub bound to loopback answers only requests whose Host names a loopback
//     address or localhost (a rebinding page sends its own name). Without Host (HTTP/1.0) the
//     request is let through: no browser sends one.
// A refusal is 403 `forbidden`, counted; it never reveals anything about crabs.
#pragma once

#include <boost/beast/http.hpp>
#include <optional>
#include <string>
#include <vector>

#include "protocol/errors.hpp"

namespace octopus::server {

struct GuardPolicy {
    bool loopback_only_hosts = true;           // the hub listens on a loopback address
    std::vector<std::string> allowed_origins;  // besides the hub's own
};

using GuardedRequest = boost::beast::http::request<boost::beast::http::string_body>;

// Why `req` is refused, or nothing. `upgrade` is true for a WebSocket upgrade.
std::optional<protocol::Error> guard_request(const GuardedRequest& req, bool upgrade,
                                             const GuardPolicy& policy);

// True for 127.0.0.0/8, ::1 and "localhost" (a hostname, an address, or either with a port).
bool is_loopback_host(const std::string& host);

}  // namespace octopus::server
