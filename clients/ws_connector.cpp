// ws_connector implementation. Each completion handler first asks wanted(), then reports the
// failed step, then starts the next one; the handlers hold the link so its stream outlives them.
#include "clients/ws_connector.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "clients/hub_address.hpp"
#include "clients/tls_client.hpp"

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

// "the hub refused the connection: HTTP 401 (unauthorized: ...)" from a declined upgrade.
std::string refusal(const beast::websocket::response_type& res) {
    std::string why = "the hub refused the connection: HTTP " + std::to_string(res.result_int());
    auto body = nlohmann::json::parse(res.body(), nullptr, false);
    if (body.is_object() && body.contains("code") && body.contains("message"))
        why += " (" + body.value("code", "") + ": " + body.value("message", "") + ")";
    return why;
}

void websocket_handshake(const std::shared_ptr<Attempt>& a) {
    a->link->ws.visit([&a](auto& ws) {
        beast::get_lowest_layer(ws).expires_never();
        ws.set_option(link_timeouts(handshake_timeout));
        ws.read_message_max(a->target.max_message_bytes);
        if (!a->target.token.empty()) {
            ws.set_option(beast::websocket::stream_base::decorator(
                [token = a->target.token](beast::websocket::request_type& req) {
                    req.set(beast::http::field::authorization, "Bearer " + token);
                }));
        }
        ws.async_handshake(a->link->upgrade_response, host_header(a->target.host, a->target.port),
                           a->target.path, [a](error_code e) {
                               if (!a->events.wanted()) return;
                               if (e == beast::websocket::error::upgrade_declined)
                                   a->link->failure_detail = refusal(a->link->upgrade_response);
                               if (e) return a->events.failed("handshake", e);
                               a->link->open = true;
                               a->link->ws.visit([](auto& w) { w.text(true); });
                               a->events.opened();
                               read_next(a);
                           });
    });
}

// wss://: SNI and host-name verification, then the TLS handshake within handshake_timeout.
void tls_handshake(const std::shared_ptr<Attempt>& a) {
    auto& ws = a->link->ws;
    if (!prepare_tls_connection(ws.ssl_handle(), a->target.host)) {
        a->link->failure_detail = "cannot verify host name " + a->target.host;
        return a->events.failed("tls", boost::asio::error::invalid_argument);
    }
    ws.lowest().expires_after(handshake_timeout);
    ws.visit([&a](auto& w) {
        if constexpr (std::is_same_v<std::decay_t<decltype(w)>, ClientWebSocket::Tls>) {
            w.next_layer().async_handshake(
                boost::asio::ssl::stream_base::client, [a](error_code e) {
                    if (!a->events.wanted()) return;
                    if (e) {
                        a->link->failure_detail = describe_tls_error(e, a->link->ws.ssl_handle());
                        return a->events.failed("tls", e);
                    }
                    websocket_handshake(a);
                });
        }
    });
}

void on_connect(const std::shared_ptr<Attempt>& a, const error_code& ec) {
    if (!a->events.wanted()) return;
    if (ec) return a->events.failed("connect", ec);
    if (a->link->ws.is_tls()) return tls_handshake(a);
    websocket_handshake(a);
}

}  // namespace

void open_websocket(tcp::resolver& resolver, std::shared_ptr<WsLink> link, const WsTarget& target,
                    WsEvents events) {
    auto a = std::make_shared<Attempt>(Attempt{std::move(link), target, std::move(events)});
    resolver.async_resolve(a->target.host, a->target.port,
                           [a](error_code ec, const tcp::resolver::results_type& found) {
                               if (!a->events.wanted()) return;
                               if (ec) return a->events.failed("resolve", ec);
                               a->link->ws.lowest().expires_after(connect_timeout);
                               a->link->ws.lowest().async_connect(
                                   found,
                                   [a](error_code e, const tcp::endpoint&) { on_connect(a, e); });
                           });
}

void close_websocket(std::shared_ptr<WsLink> link, std::function<void(const error_code&)> closed) {
    if (!link->open) {
        link->ws.lowest().close();
        return;
    }
    auto* owner = link.get();
    owner->ws.visit([&](auto& ws) {
        ws.set_option(link_timeouts(close_timeout));
        ws.async_close(beast::websocket::close_code::normal,
                       [link = std::move(link), closed = std::move(closed)](error_code ec) {
                           if (closed) closed(ec);
                       });
    });
}

ClientWebSocket::ClientWebSocket(boost::asio::io_context& io, boost::asio::ssl::context* tls)
    : ws_(tls ? std::variant<Plain, Tls>(std::in_place_type<Tls>, io, *tls)
              : std::variant<Plain, Tls>(std::in_place_type<Plain>, io)) {}

beast::tcp_stream& ClientWebSocket::lowest() {
    return visit([](auto& ws) -> beast::tcp_stream& { return beast::get_lowest_layer(ws); });
}

SSL* ClientWebSocket::ssl_handle() {
    if (auto* tls = std::get_if<Tls>(&ws_)) return tls->next_layer().native_handle();
    return nullptr;
}

const beast::websocket::close_reason& ClientWebSocket::reason() {
    return visit([](auto& ws) -> const beast::websocket::close_reason& { return ws.reason(); });
}

void Backoff::schedule(boost::asio::steady_timer& timer, std::function<void()> retry) {
    timer.expires_after(next_);
    timer.async_wait([retry = std::move(retry)](error_code ec) {
        if (!ec) retry();
    });
    next_ = std::min(next_ * 2, max_);
}

}  // namespace octopus::clients
