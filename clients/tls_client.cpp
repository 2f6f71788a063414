#include "clients/tls_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace octopus::clients {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> make_client_context(const TlsOptions& o) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    boost::system::error_code ec;
    if (o.ca_file.empty()) {
        ctx->set_default_verify_paths(ec);
        if (ec) throw std::runtime_error("cannot load the system's trust store: " + ec.message());
    } else {
        ctx->load_verify_file(o.ca_file, ec);
        if (ec) throw std::runtime_error(o.ca_file + ": cannot load the CA: " + ec.message());
    }
    ctx->set_verify_mode(ssl::verify_peer);
    if (!o.cert_file.empty() || !o.key_file.empty()) {
        if (o.cert_file.empty() || o.key_file.empty())
            throw std::runtime_error("--cert and --key go together");
        ctx->use_certificate_chain_file(o.cert_file, ec);
        if (ec)
            throw std::runtime_error(o.cert_file +
                                     ": cannot load the certificate: " + ec.message());
        ctx->use_private_key_file(o.key_file, ssl::context::pem, ec);
        if (ec) throw std::runtime_error(o.key_file + ": cannot load the key: " + ec.message());
    }
    return ctx;
}

bool prepare_tls_connection(void* handle, const std::string& host) {
    auto* s = static_cast<SSL*>(handle);
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    // SNI carries names only, never an address (RFC 6066).
    if (ec && SSL_set_tlsext_host_name(s, host.c_str()) != 1) return false;
    return SSL_set1_host(s, host.c_str()) == 1;
}

std::string describe_tls_error(const boost::system::error_code& ec, void* handle) {
    auto* s = static_cast<SSL*>(handle);
    long verify = s ? SSL_get_verify_result(s) : X509_V_OK;
    if (verify != X509_V_OK)
        return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
    if (ec == ssl::error::stream_truncated) return "the hub closed the TLS connection";
    std::string what = ec.message();
    if (ec.category() == boost::asio::error::get_ssl_category()) {
        char buf[256];
        ERR_error_string_n(static_cast<unsigned long>(ec.value()), buf, sizeof buf);
        what = buf;
    }
    return "TLS handshake failed: " + what;
}

bool apply_security_option(SecurityArgs& args, std::string_view flag, std::string_view value) {
    std::string* slot = flag == "--ca"           ? &args.tls.ca_file
                        : flag == "--cert"       ? &args.tls.cert_file
                        : flag == "--key"        ? &args.tls.key_file
                        : flag == "--token-file" ? &args.token_file
                                                 : nullptr;
    if (!slot) return false;
    *slot = std::string(value);
    return true;
}

Security load_security(const SecurityArgs& args, bool tls) {
    Security s;
    if (tls) s.tls = make_client_context(args.tls);
    if (!args.token_file.empty()) {
        std::ifstream in(args.token_file);
        if (!in) throw std::runtime_error(args.token_file + ": cannot read the token file");
        std::getline(in, s.token);
        while (!s.token.empty() && std::isspace(static_cast<unsigned char>(s.token.back())))
            s.token.pop_back();
        if (s.token.empty()) throw std::runtime_error(args.token_file + ": the file is empty");
    } else if (const char* env = std::getenv("OCTOPUS_TOKEN")) {
        s.token = env;
    }
    return s;
}

}  // namespace octopus::clients
