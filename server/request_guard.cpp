#include "server/request_guard.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>

namespace octopus::server {

namespace http = boost::beast::http;

namespace {

// "HOST:PORT", "[::1]:PORT" or "HOST" -> HOST (brackets removed).
std::string host_part(std::string host) {
    if (!host.empty() && host.front() == '[') {
        auto end = host.find(']');
        return end == std::string::npos ? host : host.substr(1, end - 1);
    }
    auto colon = host.find(':');
    if (colon != std::string::npos && host.find(':', colon + 1) == std::string::npos)
        host.resize(colon);  // one colon: a port; more: a bare IPv6 address
    return host;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace

bool is_loopback_host(const std::string& host) {
    auto name = lower(host_part(host));
    if (name == "localhost") return true;
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(name, ec);
    return !ec && address.is_loopback();
}

std::optional<protocol::Error> guard_request(const GuardedRequest& req, bool upgrade,
                                             const GuardPolicy& policy) {
    auto host_it = req.find(http::field::host);
    std::string host = host_it == req.end() ? "" : std::string(host_it->value());
    if (policy.loopback_only_hosts && !host.empty() && !is_loopback_host(host)) {
        return protocol::Error{protocol::ErrorCode::forbidden,
                               "this hub serves loopback names only; Host is not one"};
    }
    auto origin_it = req.find(http::field::origin);
    if (!upgrade || origin_it == req.end()) return std::nullopt;
    std::string origin = lower(std::string(origin_it->value()));
    bool own =
        !host.empty() && (origin == "http://" + lower(host) || origin == "https://" + lower(host));
    bool listed = std::find(policy.allowed_origins.begin(), policy.allowed_origins.end(), origin) !=
                  policy.allowed_origins.end();
    if (own || listed) return std::nullopt;
    return protocol::Error{protocol::ErrorCode::forbidden,
                           "WebSocket upgrade from a foreign Origin; list it in [hub] "
                           "allowed_origins to allow it"};
}

}  // namespace octopus::server
