#include "server/listener.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/strand.hpp>

#include "server/http_session.hpp"

namespace octopus::server {

using boost::asio::ip::tcp;

Listener::Listener(boost::asio::io_context& ioc, const tcp::endpoint& endpoint, ServerContext& ctx,
                   bool tls)
    : ioc_(ioc), acceptor_(ioc), ctx_(ctx), tls_(tls) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(boost::asio::socket_base::max_listen_connections);
}

void Listener::run() {
    accept();
}

void Listener::stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

void Listener::accept() {
    acceptor_.async_accept(
        ioc_, [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
            if (ec == boost::asio::error::operation_aborted || !self->acceptor_.is_open()) return;
            if (!ec) {
                core::bump(self->ctx_.metrics.connections_total);
                if (self->ctx_.metrics.connections_open.load(std::memory_order_relaxed) >=
                    self->ctx_.config.max_connections) {
                    core::bump(self->ctx_.metrics.connections_refused);
                    self->ctx_.metrics.count_error(protocol::ErrorCode::overloaded);
                    boost::system::error_code ignored;
                    socket.close(ignored);
                } else {
                    socket.set_option(tcp::no_delay(true), ec);
                    self->start_session(std::move(socket));
                }
            } else {
                spdlog::warn("accept failed: {}", ec.message());
            }
            self->accept();
        });
}

void Listener::start_session(tcp::socket socket) {
    if (tls_) {
        std::make_shared<HttpSession<TlsStream>>(std::move(socket), ctx_)->run();
    } else {
        std::make_shared<HttpSession<PlainStream>>(std::move(socket), ctx_)->run();
    }
}

}  // namespace octopus::server
