// Accepts TCP connections on one port and starts an HttpSession for each (which may upgrade to a
// crab or subscriber WebSocket), over TLS when `tls` is set. Over max_connections a connection is
// closed at once and counted, so a flood cannot exhaust file descriptors.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "server/server_context.hpp"

namespace octopus::server {

class Listener : public std::enable_shared_from_this<Listener> {
  public:
    // Binds and listens; throws boost::system::system_error when the address is unavailable.
    Listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
             ServerContext& ctx, bool tls);

    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
    void run();
    void stop();

  private:
    void accept();
    void start_session(boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    ServerContext& ctx_;
    bool tls_;
};

}  // namespace octopus::server
