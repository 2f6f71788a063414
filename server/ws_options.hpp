// The options every server-side WebSocket gets before its handshake: handshake and idle
// timeouts with keep-alive pings (a peer silent for idle_timeout_s is closed, which is how a
// dead crab goes offline), the largest message it may send, and the Server header.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "server/config.hpp"

namespace octopus::server {

using ServerWebSocket = boost::beast::websocket::stream<boost::beast::tcp_stream>;

// `upgrade` is the client's request: when it offers the `octopus` subprotocol (browsers that
// send their token as a `bearer.TOKEN` subprotocol must offer one the hub can choose), the answer
// selects it.
void configure_websocket(
    ServerWebSocket& ws, const Config& config, std::size_t max_message_bytes,
    const boost::beast::http::request<boost::beast::http::string_body>& upgrade);

}  // namespace octopus::server
