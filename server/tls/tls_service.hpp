// The hub's TLS server context, built from [tls] (server/config.hpp) with Debian's OpenSSL 3.
// Every new connection takes the context in force (a shared_ptr it keeps for its life). A reload
// (SIGHUP, POST /v1/admin/reload) builds a fresh context from the files; if that fails, the one
// in force stays and the reason is returned (and logged). So new handshakes present the new
// certificate while established connections go on untouched with the old context.
// Settings: TLS 1.2 or 1.3 minimum, no compression, no renegotiation, the OpenSSL default
// cipher list (which excludes everything weak at SECLEVEL 2 on Debian 12); with client_ca a
// client certificate signed by that CA is required (mutual TLS).
// Network thread only.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <optional>
#include <string>

#include "server/config.hpp"

namespace octopus::server {

using SslContext = boost::asio::ssl::context;

// Builds a server context; throws std::runtime_error naming the file and OpenSSL's reason.
std::shared_ptr<SslContext> make_server_context(const TlsConfig& tls);

// The crab a client certificate names under `from` ("cn": its subject's common name; "san": its
// first DNS subjectAltName), or nullopt. `ssl` is the connection's SSL*.
std::optional<std::string> certificate_crab_name(void* ssl, const std::string& from);

class TlsService {
  public:
    explicit TlsService(std::optional<TlsConfig> config) : config_(std::move(config)) {}

    // At start: throws std::runtime_error on a bad certificate or key.
    void load();
    // The files again; on failure the context in force stays and the reason is returned.
    std::optional<std::string> reload();

    bool enabled() const { return config_.has_value(); }
    const TlsConfig& config() const { return *config_; }
    std::shared_ptr<SslContext> current() const { return current_; }

  private:
    std::optional<TlsConfig> config_;
    std::shared_ptr<SslContext> current_;
};

}  // namespace octopus::server
