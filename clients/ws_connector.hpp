// ws_connector: how a client reaches the hub over WebSocket, shared by CrabClient (/v1/crab) and
// SubscriberClient (/v1/subscribe). It owns the steps of one connection attempt (resolve -> TCP
// connect within 5 s -> WebSocket handshake within 5 s; then a 30 s idle timeout with keep-alive
// pings), the polite close, and the doubling reconnect backoff. It never decides when to
// reconnect, what to send or how to report a failure: the client does. Single-threaded like its
// callers (everything on the io_context's thread); it never blocks or sleeps.
// Invariant: once `wanted()` says no (the client stopped, or moved on to a newer link), an
// attempt ends silently: no further step runs and no handler of the client is called.
#pragma once

// Standard headers first: Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <variant>

namespace octopus::clients {

// A client WebSocket over plain TCP (ws://) or TLS (wss://), chosen per connection; calls are
// forwarded to the one in use, so the clients are written once for both.
class ClientWebSocket {
  public:
    using Plain = boost::beast::websocket::stream<boost::beast::tcp_stream>;
    using Tls = boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

    // `tls` null: plain TCP.
    ClientWebSocket(boost::asio::io_context& io, boost::asio::ssl::context* tls);

    boost::beast::tcp_stream& lowest();
    SSL* ssl_handle();  // null for plain TCP
    bool is_tls() const { return std::holds_alternative<Tls>(ws_); }

    template <typename F>
    decltype(auto) visit(F&& f) {
        return std::visit(std::forward<F>(f), ws_);
    }
    template <typename Buffer, typename Handler>
    void async_write(const Buffer& b, Handler&& h) {
        visit([&](auto& ws) { ws.async_write(b, std::forward<Handler>(h)); });
    }
    template <typename DynamicBuffer, typename Handler>
    void async_read(DynamicBuffer& b, Handler&& h) {
        visit([&](auto& ws) { ws.async_read(b, std::forward<Handler>(h)); });
    }
    const boost::beast::websocket::close_reason& reason();

  private:
    std::variant<Plain, Tls> ws_;
};

// One connection attempt: its stream and read buffer. Clients derive their own Link from it to
// keep what else lives exactly as long as the connection (outgoing frames).
struct WsLink {
    WsLink(boost::asio::io_context& io, boost::asio::ssl::context* tls) : ws(io, tls) {}
    ClientWebSocket ws;
    boost::beast::flat_buffer buffer;
    bool open = false;  // WebSocket handshake done
    // Why the attempt failed when more is known than the error code, in one line: a TLS
    // handshake's reason, or the HTTP status and message of an upgrade the hub refused.
    std::string failure_detail;
    boost::beast::websocket::response_type upgrade_response;
};

struct WsTarget {
    std::string host;
    std::string port;
    const char* path;                                  // "/v1/crab", "/v1/subscribe"
    std::size_t max_message_bytes = 0;                 // larger hub messages fail the read
    std::shared_ptr<boost::asio::ssl::context> tls{};  // set: wss://
    std::string token{};  // set: Authorization: Bearer TOKEN on the upgrade
};

// What a connection tells its client. Every handler runs only while wanted() says yes.
struct WsEvents {
    std::function<bool()> wanted;  // false: the client stopped, or moved on to a newer link
    // "resolve", "connect", "tls", "handshake" or "read" failed; the attempt is over.
    std::function<void(std::string_view step, const boost::system::error_code& ec)> failed;
    std::function<void()> opened;  // handshake done, text frames; reading starts right after
    std::function<void(const std::string& text)> message;  // one hub message, in order
};

// Starts one attempt on `link` (a fresh one), then reads messages until a read fails or the
// link is no longer wanted. `resolver` must outlive it (a client member).
void open_websocket(boost::asio::ip::tcp::resolver& resolver, std::shared_ptr<WsLink> link,
                    const WsTarget& target, WsEvents events);

// WebSocket close 1000 within 1 s when the link is open, else just the TCP close. `closed` (may
// be empty) gets the close's outcome.
void close_websocket(std::shared_ptr<WsLink> link,
                     std::function<void(const boost::system::error_code&)> closed = {});

// Reconnect delays: min, then doubling up to max; reset() once a connection proved good.
class Backoff {
  public:
    Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max)
        : min_(min), max_(std::max(max, min)), next_(min) {}
    std::chrono::milliseconds next() const { return next_; }
    void reset() { next_ = min_; }
    // Arms `timer` for next() and doubles the delay after it; `retry` runs unless cancelled.
    void schedule(boost::asio::steady_timer& timer, std::function<void()> retry);

  private:
    std::chrono::milliseconds min_;
    std::chrono::milliseconds max_;
    std::chrono::milliseconds next_;
};

// The one way a client starts a connection attempt: a fresh link of the client's own Link type
// in `slot`, and the events wired to the client's is_current, fail and on_open members and to
// `on_message`. CrabClient and SubscriberClient call it from connect() and befriend
// WsClientWiring for those private members.
struct WsClientWiring {
    template <typename Client, typename Link>
    static void connect(const std::shared_ptr<Client>& self, std::shared_ptr<Link>& slot,
                        boost::asio::io_context& io, boost::asio::ip::tcp::resolver& resolver,
                        const WsTarget& target, void (Client::*on_message)(std::string_view text)) {
        slot = std::make_shared<Link>(io, target.tls.get());
        auto link = slot;
        open_websocket(
            resolver, link, target,
            {.wanted = [self, link] { return self->is_current(link); },
             .failed = [self, link](
                           std::string_view step,
                           const boost::system::error_code& ec) { self->fail(link, step, ec); },
             .opened = [self, link] { self->on_open(link); },
             .message = [self,
                         on_message](const std::string& text) { ((*self).*on_message)(text); }});
    }
};

}  // namespace octopus::clients
