// Who is calling, and may they. With no [auth] tokens configured the hub is in protected mode
// (loopback only, see hub_server.cpp) and every caller may do everything. With a token file:
//   - a token travels in `Authorization: Bearer TOKEN` (HTTP, and WebSocket upgrades), or, for
//     browsers that cannot set that header on a WebSocket, as a subprotocol `bearer.TOKEN` offered
//     beside `octopus` (the hub answers `octopus`). Never in a URL.
//   - missing or unknown: 401 unauthorized; a peer address with 20 failures in 10 s is refused
//     with 429 rate_limited for 30 s (core/auth/failure_limiter.hpp).
//   - the file is reloaded on SIGHUP, POST /v1/admin/reload and when it changes on disk (checked
//     every 250 ms). A file with a mistake keeps the tokens in force and says why. After a
//     successful reload, and when a token expires, `on_change` runs so live sessions look their
//     token up again (Caller::refresh) within a second.
//   - with [tls] crab_name_from, a client certificate (verified against client_ca during the
//     handshake) that names crab C authenticates as push:C without a token.
// Network thread only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "core/auth/failure_limiter.hpp"
#include "core/auth/grant.hpp"
#include "protocol/result.hpp"

namespace octopus::server {

// Where a request comes from: the peer's address (for the failed-authentication limit) and the
// crab its TLS client certificate names ([tls] crab_name_from), if any.
struct Peer {
    std::string address;
    std::optional<std::string> cert_crab;
};

// An authenticated caller. A null grant means authentication is off: everything is allowed.
// A caller known by its client certificate holds push over the crab it names, nothing more.
struct Caller {
    core::auth::GrantPtr grant;
    bool by_certificate = false;
    bool allows(core::auth::Right right, std::string_view crab) const {
        return !grant || grant->allows(right, crab);
    }
    bool covers(core::auth::Right right, std::string_view glob) const {
        return !grant || grant->covers(right, glob);
    }
    bool holds(core::auth::Right right) const { return !grant || grant->holds(right); }
    // For logs: the token id, never the token.
    std::string who() const { return grant ? "token \"" + grant->id + "\"" : "anonymous"; }
};

class AuthService {
  public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;

    AuthService(boost::asio::io_context& io, std::optional<std::filesystem::path> file);

    // At start: loads the file; throws std::runtime_error "FILE:LINE:COLUMN: ..." on a mistake.
    void load();
    // Starts watching the file and expiry dates; `on_change` runs after every change in force.
    void start(std::function<void()> on_change);
    void stop();
    // Loads the file again; on a mistake keeps the tokens in force and returns why.
    std::optional<std::string> reload();

    bool enabled() const { return file_.has_value(); }
    std::size_t token_count() const { return tokens_.grants.size(); }

    // The caller behind `req` from `peer`: unauthorized or rate_limited when refused. A token
    // wins over a certificate; a certificate alone is enough to be its crab.
    protocol::Result<Caller> authenticate(const Request& req, const Peer& peer);
    // The caller's grant as it stands now: nullopt when its token was revoked or has expired.
    std::optional<Caller> refresh(const Caller& caller) const;

  private:
    void watch();
    void check();
    bool file_changed();
    bool expiry_passed();

    boost::asio::steady_timer timer_;
    std::optional<std::filesystem::path> file_;
    core::auth::TokenSet tokens_;
    core::auth::FailureLimiter limiter_;
    std::function<void()> on_change_;
    std::string stamp_;  // inode, size and mtime of the file last loaded (or tried)
    core::auth::SystemTime last_check_{};
};

// The token a request carries (Authorization: Bearer, or a `bearer.` WebSocket subprotocol).
std::optional<std::string> request_token(const AuthService::Request& req);

}  // namespace octopus::server
