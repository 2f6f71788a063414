// A small synchronous WebSocket client for tests: blocking connect/send, and receive with a
// timeout (an async read run for at most that long), so a test fails instead of hanging.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace octopus::test {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Over a plain socket (WsClient) or TLS (WssClient, verifying the hub's certificate for
// 127.0.0.1 with the given client context).
template <typename Next>
class BasicWsClient {
  public:
    static constexpr bool tls = !std::is_same_v<Next, boost::asio::ip::tcp::socket>;
    // `headers` go on the upgrade request (e.g. Authorization: Bearer TOKEN).
    explicit BasicWsClient(std::uint16_t port, const std::string& path = "/v1/crab",
                           const HttpHeaders& headers = {}) requires(!tls);
    BasicWsClient(std::uint16_t port, boost::asio::ssl::context& ctx,
                  const std::string& path = "/v1/crab",
                  const HttpHeaders& headers = {}) requires(tls);
    ~BasicWsClient();

    void send(const std::string& text);
    void send_binary(const std::string& data);
    // Next message, or nullopt on timeout / close (then close_code() says why).
    std::optional<std::string> recv(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    nlohmann::json recv_json(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Reads until a message of `type` arrives (others are skipped); throws on timeout.
    nlohmann::json recv_type(const std::string& type,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Reads acks until one covers `seq`.
    void wait_ack(std::uint64_t seq, std::chrono::milliseconds timeout = std::chrono::seconds(20));
    // hello + welcome.
    nlohmann::json hello(const std::string& name);
    int close_code() const { return close_code_; }
    void close();

    // The hub's certificate as DER (TLS only): tells a rotated certificate from the old one.
    std::string peer_certificate();

  private:
    void handshake(std::uint16_t port, const std::string& path, const HttpHeaders& headers);

    boost::asio::io_context ioc_;
    boost::beast::websocket::stream<Next> ws_;
    int close_code_ = 0;
};

using WsClient = BasicWsClient<boost::asio::ip::tcp::socket>;
using WssClient = BasicWsClient<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>>;

struct HttpResult {
    unsigned status = 0;
    std::string body;
    std::string content_type;
};

// `headers` are set after the defaults (Host: 127.0.0.1:PORT), so they may replace Host.
HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body = "", const HttpHeaders& headers = {});
// The same over TLS, verifying the hub's certificate for 127.0.0.1.
HttpResult https_request(std::uint16_t port, boost::asio::ssl::context& ctx,
                         const std::string& method, const std::string& target,
                         const std::string& body = "", const HttpHeaders& headers = {});
nlohmann::json http_json(std::uint16_t port, const std::string& method, const std::string& target,
                         const std::string& body = "", unsigned expect_status = 200);

// The value of one series of GET /metrics, e.g. `octopus_errors_total{code="bad_json"}`;
// UINT64_MAX when the hub does not serve it.
std::uint64_t metric_value(std::uint16_t port, const std::string& series,
                           const HttpHeaders& headers = {});

// {"Authorization", "Bearer TOKEN"}.
HttpHeaders bearer(const std::string& token);

}  // namespace octopus::test
