// The options every server-side WebSocket gets before its handshake: handshake and idle
// timeouts with keep-alive pings (a peer silent for idle_timeout_s is closed, which is how a
// dead crab goes offline), the largest message it may send, and the Server header. When the
// client's upgrade offers the `octopus` subprotocol (browsers that send their token as a
// `bearer.TOKEN` subprotocol must offer one the hub can choose), the answer selects it.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <string>
#include <vector>

#include "server/config.hpp"

namespace octopus::server {

using UpgradeRequest = boost::beast::http::request<boost::beast::http::string_body>;

// The subprotocols an upgrade offers (Sec-WebSocket-Protocol, comma-separated), trimmed.
std::vector<std::string> offered_subprotocols(const UpgradeRequest& upgrade);
// True when the upgrade offers the `octopus` subprotocol.
bool offers_octopus_subprotocol(const UpgradeRequest& upgrade);

boost::beast::websocket::stream_base::timeout websocket_timeouts(const Config& config);

template <typename WebSocket>
void configure_websocket(WebSocket& ws, const Config& config, std::size_t max_message_bytes,
                         const UpgradeRequest& upgrade) {
    namespace websocket = boost::beast::websocket;
    ws.set_option(websocket_timeouts(config));
    ws.read_message_max(max_message_bytes);
    // One frame per message: fragmenting a gathered batch re-walks its buffer list per fragment.
    ws.auto_fragment(false);
    bool subprotocol = offers_octopus_subprotocol(upgrade);
    ws.set_option(websocket::stream_base::decorator([subprotocol](websocket::response_type& res) {
        res.set(boost::beast::http::field::server, "octopus");
        if (subprotocol) res.set(boost::beast::http::field::sec_websocket_protocol, "octopus");
    }));
    boost::beast::get_lowest_layer(ws).expires_never();
}

}  // namespace octopus::server
