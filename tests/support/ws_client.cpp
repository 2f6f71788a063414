#include "support/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

namespace octopus::test {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;

WsClient::WsClient(std::uint16_t port, const std::string& path,
                   const std::vector<std::pair<std::string, std::string>>& headers)
    : ws_(ioc_) {
    ws_.next_layer().connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    ws_.set_option(beast::websocket::stream_base::decorator([headers](auto& req) {
        for (const auto& [name, value] : headers) req.set(name, value);
    }));
    ws_.handshake("127.0.0.1:" + std::to_string(port), path);
    ws_.text(true);
}

WsClient::~WsClient() {
    beast::error_code ignored;
    ws_.next_layer().close(ignored);
}

void WsClient::send(const std::string& text) {
    ws_.text(true);
    ws_.write(boost::asio::buffer(text));
}

void WsClient::send_binary(const std::string& data) {
    ws_.binary(true);
    ws_.write(boost::asio::buffer(data));
    ws_.text(true);
}

std::optional<std::string> WsClient::recv(std::chrono::milliseconds timeout) {
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
        ws_.next_layer().cancel(ignored);
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

nlohmann::json WsClient::recv_json(std::chrono::milliseconds timeout) {
    auto text = recv(timeout);
    if (!text)
        throw std::runtime_error("no message within timeout (close code " +
                                 std::to_string(close_code_) + ")");
    return nlohmann::json::parse(*text);
}

nlohmann::json WsClient::recv_type(const std::string& type, std::chrono::milliseconds timeout) {
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

void WsClient::wait_ack(std::uint64_t seq, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        auto ack = recv_type("ack", left);
        if (ack["seq"].get<std::uint64_t>() >= seq) return;
    }
}

nlohmann::json WsClient::hello(const std::string& name) {
    send(R"({"type":"hello","crab":")" + name + R"("})");
    return recv_json();
}

void WsClient::close() {
    beast::error_code ignored;
    ws_.close(beast::websocket::close_code::normal, ignored);
}

HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body, const HttpHeaders& headers) {
    boost::asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
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
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return {res.result_int(), res.body(), std::string(res[http::field::content_type])};
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
