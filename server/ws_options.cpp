#include "server/ws_options.hpp"

namespace octopus::server {

namespace websocket = boost::beast::websocket;

void configure_websocket(ServerWebSocket& ws, const Config& config, std::size_t max_message_bytes) {
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(10);
    timeouts.idle_timeout = config.ws_idle_timeout.count() > 0
                                ? websocket::stream_base::duration(config.ws_idle_timeout)
                                : websocket::stream_base::none();
    timeouts.keep_alive_pings = true;
    ws.set_option(timeouts);
    ws.read_message_max(max_message_bytes);
    // One frame per message: fragmenting a gathered batch re-walks its buffer list per fragment.
    ws.auto_fragment(false);
    ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(boost::beast::http::field::server, "octopus");
    }));
    boost::beast::get_lowest_layer(ws).expires_never();
}

}  // namespace octopus::server
