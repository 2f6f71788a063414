// One plain HTTP connection: reads requests (headers and body bounded by the configured
// limits), hands them to the HTTP API, writes one response at a time, keeps alive. A WebSocket
// upgrade on /v1/crab hands the socket to a CrabSession and this session ends.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>

#include "server/server_context.hpp"

namespace octopus::server {

class HttpSession : public std::enable_shared_from_this<HttpSession>, public Closable {
  public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;
    using Response = boost::beast::http::response<boost::beast::http::string_body>;

    HttpSession(boost::asio::ip::tcp::socket socket, ServerContext& ctx);
    ~HttpSession() override;

    void run();
    void shut_down() override;

  private:
    void read();
    void on_read(boost::beast::error_code ec, std::size_t bytes);
    void respond(Response response);
    bool upgrade(Request& req);
    void linger();
    void close();

    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    ServerContext& ctx_;
    bool keep_alive_ = false;
    bool linger_ = false;  // refused mid-request: drain the unread body before closing
    std::string peer_;     // the peer's address, for the failed-authentication limit
};

}  // namespace octopus::server
