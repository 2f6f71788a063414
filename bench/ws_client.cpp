// ws_client: connect, handshake, first message, read loop, write queue (see the header).
#include "bench/ws_client.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>

namespace octopus::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

void WsClient::open(std::uint16_t port, std::string target, std::string first, OnMessage on_message,
                    OnError on_error) {
    target_ = std::move(target);
    on_message_ = std::move(on_message);
    on_error_ = std::move(on_error);
    outbox_.push_back(std::move(first));
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    ws_.next_layer().async_connect(ep, [self = shared_from_this(), port](beast::error_code ec) {
        if (ec) return self->fail("connect", ec);
        self->handshake(port);
    });
}

void WsClient::handshake(std::uint16_t port) {
    ws_.next_layer().set_option(tcp::no_delay(true));
    ws_.auto_fragment(false);
    ws_.async_handshake("127.0.0.1:" + std::to_string(port), target_,
                        [self = shared_from_this()](beast::error_code ec) {
                            if (ec) return self->fail("handshake", ec);
                            self->write_next();
                            self->read();
                        });
}

void WsClient::send(std::string frame) {
    if (closed_) return;
    outbox_.push_back(std::move(frame));
    write_next();
}

void WsClient::write_next() {
    if (writing_ || closed_ || outbox_.empty() || !ws_.is_open()) return;
    writing_ = true;
    ws_.async_write(asio::buffer(outbox_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec) return self->fail("write", ec);
                        self->outbox_.pop_front();
                        self->write_next();
                    });
}

void WsClient::read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return self->fail("read", ec);
        auto data = self->buffer_.data();
        if (!self->closed_)
            self->on_message_(std::string_view(static_cast<const char*>(data.data()), data.size()));
        self->buffer_.consume(self->buffer_.size());
        if (!self->closed_) self->read();
    });
}

void WsClient::fail(const char* what, const beast::error_code& ec) {
    if (closed_) return;
    close();
    on_error_(std::string(what) + ": " + ec.message());
}

void WsClient::close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).close(ignored);
}

}  // namespace octopus::bench
