// ws_client: one Beast WebSocket client connection of a bench scenario, on the scenario's single
// io_context thread. It connects to 127.0.0.1, handshakes on a target (/v1/crab, /v1/subscribe),
// sends a first message, then keeps exactly one read in flight (which also answers the hub's
// pings, so an idle connection stays alive) and one write in flight over a queue of frames.
// Every text message goes to on_message; the first failure goes to on_error, once. After close()
// no callback runs, so a scenario can tear down thousands of connections without noise.
// It is for connection counts and large batch frames, not for top speed: the scenarios that need
// raw frame rates build their own frames.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace octopus::bench {

class WsClient : public std::enable_shared_from_this<WsClient> {
  public:
    using OnMessage = std::function<void(std::string_view)>;  // the view lives for the call
    using OnError = std::function<void(const std::string&)>;

    explicit WsClient(boost::asio::io_context& io) : ws_(io) {}

    void open(std::uint16_t port, std::string target, std::string first, OnMessage on_message,
              OnError on_error);
    void send(std::string frame);
    void close();

  private:
    void handshake(std::uint16_t port);
    void read();
    void write_next();
    void fail(const char* what, const boost::system::error_code& ec);

    boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
    boost::beast::flat_buffer buffer_;
    std::string target_;
    std::deque<std::string> outbox_;  // front() is being written while writing_
    OnMessage on_message_;
    OnError on_error_;
    bool writing_ = false;
    bool closed_ = false;
};

}  // namespace octopus::bench
