#include "server/tls/tls_service.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <spdlog/spdlog.h>

namespace octopus::server {

namespace ssl = boost::asio::ssl;

namespace {

// "FILE: what (OpenSSL's reason)".
[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what,
                       const boost::system::error_code& ec) {
    std::string reason = ec ? ec.message() : "";
    unsigned long err = ERR_get_error();
    if (err) {
        char buf[256];
        ERR_error_string_n(err, buf, sizeof buf);
        reason = buf;
    }
    ERR_clear_error();
    throw std::runtime_error(file.string() + ": " + what +
                             (reason.empty() ? "" : " (" + reason + ")"));
}

void load_identity(SslContext& ctx, const TlsConfig& tls) {
    boost::system::error_code ec;
    ctx.use_certificate_chain_file(tls.cert.string(), ec);
    if (ec) fail(tls.cert, "cannot load the certificate chain", ec);
    ctx.use_private_key_file(tls.key.string(), ssl::context::pem, ec);
    if (ec) fail(tls.key, "cannot load the private key", ec);
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1)
        fail(tls.key, "the private key does not match the certificate", {});
}

void require_client_certificates(SslContext& ctx, const std::filesystem::path& ca) {
    boost::system::error_code ec;
    ctx.load_verify_file(ca.string(), ec);
    if (ec) fail(ca, "cannot load the client CA", ec);
    ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    // The CA's subject goes into the CertificateRequest, so clients pick the right certificate.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca.c_str());
    if (names) SSL_CTX_set_client_CA_list(ctx.native_handle(), names);
}

}  // namespace

std::shared_ptr<SslContext> make_server_context(const TlsConfig& tls) {
    auto ctx = std::make_shared<SslContext>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                     ssl::context::single_dh_use);
    SSL_CTX_set_options(ctx->native_handle(),
                        SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_min_proto_version(ctx->native_handle(),
                                  tls.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
    load_identity(*ctx, tls);
    if (tls.client_ca) require_client_certificates(*ctx, *tls.client_ca);
    return ctx;
}

std::optional<std::string> certificate_crab_name(void* handle, const std::string& from) {
    X509* cert = SSL_get0_peer_certificate(static_cast<SSL*>(handle));
    if (!cert) return std::nullopt;
    if (from == "cn") {
        char buf[256] = {};
        int n =
            X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
        if (n <= 0) return std::nullopt;
        return std::string(buf, static_cast<std::size_t>(n));
    }
    auto* sans =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    std::optional<std::string> name;
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans) && !name; ++i) {
        const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
        if (g->type != GEN_DNS) continue;
        const unsigned char* data = ASN1_STRING_get0_data(g->d.dNSName);
        name = std::string(reinterpret_cast<const char*>(data),
                           static_cast<std::size_t>(ASN1_STRING_length(g->d.dNSName)));
    }
    GENERAL_NAMES_free(sans);
    return name;
}

void TlsService::load() {
    if (!config_) return;
    current_ = make_server_context(*config_);
    spdlog::info("TLS on: certificate {}{}", config_->cert.string(),
                 config_->client_ca ? ", client certificates required" : "");
}

std::optional<std::string> TlsService::reload() {
    if (!config_) return std::nullopt;
    try {
        current_ = make_server_context(*config_);
    } catch (const std::exception& e) {
        spdlog::error("TLS certificate not reloaded, the one in force stays: {}", e.what());
        return std::string(e.what());
    }
    spdlog::info("TLS certificate reloaded from {}", config_->cert.string());
    return std::nullopt;
}

}  // namespace octopus::server
