// ws_connector implementation. Each completion handler first asks wanted(), then reports the
// failed step, then starts the next one; the handlers hold the link so its stream outlives them.
#include "clients/ws_connector.hpp"

#include <algorithm>

#include "clients/hub_address.hpp"

namespace octopus::clients {

namespace beast = boost::beast;
using boost::asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto connect_timeout = std::chrono::seconds(5);
constexpr auto handshake_timeout = std::chrono::seconds(5);
constexpr auto close_timeout = std::chrono::seconds(1);
// A hub that sends nothing for this long (not even a pong to our keep-alive ping) is gone.
constexpr auto idle_timeout = std::chrono::seconds(30);

beast::websocket::stream_base::timeout link_timeouts(std::chrono::seconds handshake) {
    beast::websocket::stream_base::timeout t{};
    t.handshake_timeout = handshake;
    t.idle_timeout = idle_timeout;
    t.keep_alive_pings = true;
    return t;
}

// The state of one attempt, shared by its handlers.
struct Attempt {
    std::shared_ptr<WsLink> link;
    WsTarget target;
    WsEvents events;
};

void read_next(const std::shared_ptr<Attempt>& a) {
    a->link->ws.async_read(a->link->buffer, [a](error_code ec, std::size_t) {
        if (!a->events.wanted()) return;
        if (ec) return a->events.failed("read", ec);
        const std::string text = beast::buffers_to_string(a->link->buffer.data());
        a->link->buffer.consume(a->link->buffer.size());
        a->events.message(text);
        if (a->events.wanted()) read_next(a);
    });
}

void on_connect(const std::shared_ptr<Attempt>& a, const error_code& ec) {
    if (!a->events.wanted()) return;
    if (ec) return a->events.failed("connect", ec);
    WebSocket& ws = a->link->ws;
    beast::get_lowest_layer(ws).expires_never();
    ws.set_option(link_timeouts(handshake_timeout));
    ws.read_message_max(a->target.max_message_bytes);
    ws.async_handshake(host_header(a->target.host, a->target.port), a->target.path,
                       [a](error_code e) {
                           if (!a->events.wanted()) return;
                           if (e) return a->events.failed("handshake", e);
                           a->link->open = true;
                           a->link->ws.text(true);
                           a->events.opened();
                           read_next(a);
                       });
}

}  // namespace

void open_websocket(tcp::resolver& resolver, std::shared_ptr<WsLink> link, const WsTarget& target,
                    WsEvents events) {
    auto a = std::make_shared<Attempt>(Attempt{std::move(link), target, std::move(events)});
    resolver.async_resolve(a->target.host, a->target.port,
                           [a](error_code ec, const tcp::resolver::results_type& found) {
                               if (!a->events.wanted()) return;
                               if (ec) return a->events.failed("resolve", ec);
                               beast::get_lowest_layer(a->link->ws).expires_after(connect_timeout);
                               beast::get_lowest_layer(a->link->ws)
                                   .async_connect(found, [a](error_code e, const tcp::endpoint&) {
                                       on_connect(a, e);
                                   });
                           });
}

void close_websocket(std::shared_ptr<WsLink> link, std::function<void(const error_code&)> closed) {
    if (!link->open) {
        beast::get_lowest_layer(link->ws).close();
        return;
    }
    link->ws.set_option(link_timeouts(close_timeout));
    WebSocket& ws = link->ws;
    ws.async_close(beast::websocket::close_code::normal,
                   [link = std::move(link), closed = std::move(closed)](error_code ec) {
                       if (closed) closed(ec);
                   });
}

void Backoff::schedule(boost::asio::steady_timer& timer, std::function<void()> retry) {
    timer.expires_after(next_);
    timer.async_wait([retry = std::move(retry)](error_code ec) {
        if (!ec) retry();
    });
    next_ = std::min(next_ * 2, max_);
}

}  // namespace octopus::clients
