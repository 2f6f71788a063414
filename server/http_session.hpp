// One HTTP connection, plain or TLS: over TLS it first completes the handshake (10 s at most;
// a failure is counted and closes). Then it reads requests (headers and body bounded by the
// configured limits), hands them to the HTTP API, writes one response at a time, keeps alive. A
// WebSocket upgrade on /v1/crab or /v1/subscribe hands the stream to a CrabSession or a
// SubscriberSession and this session ends.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>

#include "server/server_context.hpp"
#include "server/streams.hpp"

namespace octopus::server {

template <typename Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>>, public Closable {
  public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;
    using Response = boost::beast::http::response<boost::beast::http::string_body>;

    HttpSession(boost::asio::ip::tcp::socket socket, ServerContext& ctx);
    ~HttpSession() override;

    void run();
    void shut_down() override;

  private:
    void handshake();
    void on_handshake(boost::beast::error_code ec);
    void read();
    void on_read(boost::beast::error_code ec, std::size_t bytes);
    void respond(Response response);
    bool upgrade(Request& req);
    void linger();
    void close();

    std::shared_ptr<SslContext> tls_;  // the TLS context this connection uses (null: plain)
    Stream stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    ServerContext& ctx_;
    bool keep_alive_ = false;
    bool linger_ = false;  // refused mid-request: drain the unread body before closing
    std::string peer_;     // the peer's address, for the failed-authentication limit
    std::optional<std::string> cert_crab_;  // the crab its client certificate names, if any
};

}  // namespace octopus::server
