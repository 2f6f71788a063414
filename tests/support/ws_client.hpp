// A small synchronous WebSocket client for tests: blocking connect/send, and receive with a
// timeout (an async read run for at most that long), so a test fails instead of hanging.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace octopus::test {

class WsClient {
  public:
    // `headers` go on the upgrade request (e.g. Authorization: Bearer TOKEN).
    explicit WsClient(std::uint16_t port, const std::string& path = "/v1/crab",
                      const std::vector<std::pair<std::string, std::string>>& headers = {});
    ~WsClient();

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

  private:
    boost::asio::io_context ioc_;
    boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
    int close_code_ = 0;
};

struct HttpResult {
    unsigned status = 0;
    std::string body;
    std::string content_type;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;
// `headers` are set after the defaults (Host: 127.0.0.1:PORT), so they may replace Host.
HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& target,
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
