// tls_client: how every client (octopus-crab, octopus-bell, octopus-bench, the tests) speaks TLS
// to a hub: one client context per process from --ca (the system store when absent) and, for
// mutual TLS, --cert/--key; each connection sets SNI and checks that the certificate names the
// host it dialled (a DNS name or an IP address, OpenSSL's SSL_set1_host). A certificate problem
// surfaces as the handshake's error; describe_tls_error() turns it into one line.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <string>
#include <string_view>

namespace octopus::clients {

struct TlsOptions {
    std::string ca_file{};    // PEM CA bundle; empty: the system's trust store
    std::string cert_file{};  // client certificate (mutual TLS), with key_file
    std::string key_file{};
};

// Throws std::runtime_error naming the file that could not be loaded.
std::shared_ptr<boost::asio::ssl::context> make_client_context(const TlsOptions& options);

// SNI and host-name verification for one connection; `ssl` is its SSL*. False on failure.
bool prepare_tls_connection(void* ssl, const std::string& host);

// The security options every client takes: --ca, --cert, --key (TLS) and --token-file (the
// token is read from that file, else from $OCTOPUS_TOKEN; never from the command line, where
// `ps` would show it).
struct SecurityArgs {
    TlsOptions tls;
    std::string token_file;
};
// Applies one of those options; false when `flag` is none of them.
bool apply_security_option(SecurityArgs& args, std::string_view flag, std::string_view value);
inline constexpr const char* security_usage =
    "  --ca FILE         CA bundle that signs the hub's certificate (wss://; default: the\n"
    "                    system's trust store)\n"
    "  --cert, --key     client certificate and key, for a hub that requires them\n"
    "  --token-file F    file holding the token (default: $OCTOPUS_TOKEN when set)\n";

struct Security {
    std::shared_ptr<boost::asio::ssl::context> tls;  // set for wss://
    std::string token;
};
// Throws std::runtime_error with a one-line reason.
Security load_security(const SecurityArgs& args, bool tls);

// "certificate verify failed: self-signed certificate in certificate chain" and the like.
std::string describe_tls_error(const boost::system::error_code& ec, void* ssl);

}  // namespace octopus::clients
