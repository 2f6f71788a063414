#include "support/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

#include "clients/tls_client.hpp"

namespace octopus::test {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;

namespace {
const auto kLoopback = boost::asio::ip::make_address("127.0.0.1");

// Connects and completes the TLS handshake, verifying the certificate names 127.0.0.1.
void tls_connect(boost::asio::ssl::stream<tcp::socket>& s, std::uint16_t port) {
    s.next_layer().connect(tcp::endpoint(kLoopback, port));
    if (!clients::prepare_tls_connection(s.native_handle(), "127.0.0.1"))
        throw std::runtime_error("cannot set the TLS host name");
    beast::error_code ec;
    s.handshake(boost::asio::ssl::stream_base::client, ec);
    if (ec) throw std::runtime_error(clients::describe_tls_error(ec, s.native_handle()));
}
}  // namespace

template <typename Next>
BasicWsClient<Next>::BasicWsClient(std::uint16_t port, const std::string& path,
                                   const HttpHeaders& headers) requires(!tls)
    : ws_(ioc_) {
    ws_.next_layer().connect(tcp::endpoint(kLoopback, port));
    handshake(port, path, headers);
}

template <typename Next>
BasicWsClient<Next>::BasicWsClient(std::uint16_t port, boost::asio::ssl::context& ctx,
                                   const std::string& path,
                                   const HttpHeaders& headers) requires(tls)
    : ws_(ioc_, ctx) {
    tls_connect(ws_.next_layer(), port);
    handshake(port, path, headers);
}

template <typename Next>
void BasicWsClient<Next>::handshake(std::uint16_t port, const std::string& path,
                                    const HttpHeaders& headers) {
    ws_.set_option(beast::websocket::stream_base::decorator([headers](auto& req) {
        for (const auto& [name, value] : headers) req.set(name, value);
    }));
    ws_.handshake("127.0.0.1:" + std::to_string(port), path);
    ws_.text(true);
}

template <typename Next>
BasicWsClient<Next>::~BasicWsClient() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).close(ignored);
}

template <typename Next>
std::string BasicWsClient<Next>::peer_certificate() {
    if constexpr (tls) {
        X509* cert = SSL_get0_peer_certificate(ws_.next_layer().native_handle());
        if (!cert) return {};
        unsigned char* der = nullptr;
        int n = i2d_X509(cert, &der);
        std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n > 0 ? n : 0));
        OPENSSL_free(der);
        return out;
    } else {
        return {};
    }
}

template <typename Next>
void BasicWsClient<Next>::send(const std::string& text) {
    ws_.text(true);
    ws_.write(boost::asio::buffer(text));
}

template <typename Next>
void BasicWsClient<Next>::send_binary(const std::string& data) {
    ws_.binary(true);
    ws_.write(boost::asio::buffer(data));
    ws_.text(true);
}

template <typename Next>
std::optional<std::string> BasicWsClient<Next>::recv(std::chrono::milliseconds timeout) {
    beast::flat_buffer buf;
    bool done = false;
    beast::error_code ec;
    ws_.async_read(buf, [&](beast::error_code e, std::size_t) {
        ec = e;
        done = true;
    });
    ioc_.restart();
    ioc_.run_for(timeout);
    if (!done) {
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).cancel(ignored);
        ioc_.restart();
        ioc_.run();
        return std::nullopt;
    }
    if (ec) {
        if (ec == beast::websocket::error::closed) close_code_ = ws_.reason().code;
        return std::nullopt;
    }
    return beast::buffers_to_string(buf.data());
}

template <typename Next>
nlohmann::json BasicWsClient<Next>::recv_json(std::chrono::milliseconds timeout) {
    auto text = recv(timeout);
    if (!text)
        throw std::runtime_error("no message within timeout (close code " +
                                 std::to_string(close_code_) + ")");
    return nlohmann::json::parse(*text);
}

template <typename Next>
nlohmann::json BasicWsClient<Next>::recv_type(const std::string& type,
                                              std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            throw std::runtime_error("no \"" + type + "\" message within timeout");
        auto msg = recv_json(left);
        if (msg.value("type", "") == type) return msg;
    }
}

template <typename Next>
void BasicWsClient<Next>::wait_ack(std::uint64_t seq, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        nlohmann::json ack = recv_type("ack", left);
        if (ack["seq"].get<std::uint64_t>() >= seq) return;
    }
}

template <typename Next>
nlohmann::json BasicWsClient<Next>::hello(const std::string& name) {
    send(R"({"type":"hello","crab":")" + name + R"("})");
    return recv_json();
}

template <typename Next>
void BasicWsClient<Next>::close() {
    beast::error_code ignored;
    ws_.close(beast::websocket::close_code::normal, ignored);
}

template class BasicWsClient<tcp::socket>;
template class BasicWsClient<boost::asio::ssl::stream<tcp::socket>>;

namespace {
// One request and its response on a connected stream (plain or TLS).
template <typename Stream>
HttpResult exchange(Stream& stream, std::uint16_t port, const std::string& method,
                    const std::string& target, const std::string& body,
                    const HttpHeaders& headers) {
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(stream, buf, parser);
    auto res = parser.release();
    beast::error_code ignored;
    beast::get_lowest_layer(stream).shutdown(tcp::socket::shutdown_both, ignored);
    return {res.result_int(), res.body(), std::string(res[http::field::content_type])};
}
}  // namespace

HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body, const HttpHeaders& headers) {
    boost::asio::io_context ioc;
    tcp::socket stream(ioc);
    stream.connect(tcp::endpoint(kLoopback, port));
    return exchange(stream, port, method, target, body, headers);
}

HttpResult https_request(std::uint16_t port, boost::asio::ssl::context& ctx,
                         const std::string& method, const std::string& target,
                         const std::string& body, const HttpHeaders& headers) {
    boost::asio::io_context ioc;
    boost::asio::ssl::stream<tcp::socket> stream(ioc, ctx);
    tls_connect(stream, port);
    return exchange(stream, port, method, target, body, headers);
}

nlohmann::json http_json(std::uint16_t port, const std::string& method, const std::string& target,
                         const std::string& body, unsigned expect_status) {
    auto r = http_request(port, method, target, body);
    if (r.status != expect_status) {
        throw std::runtime_error(method + " " + target + " -> " + std::to_string(r.status) + ": " +
                                 r.body);
    }
    return nlohmann::json::parse(r.body);
}

std::uint64_t metric_value(std::uint16_t port, const std::string& series,
                           const HttpHeaders& headers) {
    auto text = http_request(port, "GET", "/metrics", "", headers).body;
    auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return ~std::uint64_t{0};
    return std::stoull(text.substr(at + series.size() + 2));
}

HttpHeaders bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
}

}  // namespace octopus::test
