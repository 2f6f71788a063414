#include "server/ws_options.hpp"

namespace octopus::server {

namespace websocket = boost::beast::websocket;

namespace {
constexpr const char* kSubprotocol = "octopus";

bool offers_subprotocol(const boost::beast::http::request<boost::beast::http::string_body>& req) {
    auto it = req.find(boost::beast::http::field::sec_websocket_protocol);
    if (it == req.end()) return false;
    std::string_view offered(it->value().data(), it->value().size());
    while (!offered.empty()) {
        auto comma = offered.find(',');
        auto item = offered.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item == kSubprotocol) return true;
        offered.remove_prefix(comma == std::string_view::npos ? offered.size() : comma + 1);
    }
    return false;
}
}  // namespace

void configure_websocket(
    ServerWebSocket& ws, const Config& config, std::size_t max_message_bytes,
    const boost::beast::http::request<boost::beast::http::string_body>& upgrade) {
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
    bool subprotocol = offers_subprotocol(upgrade);
    ws.set_option(websocket::stream_base::decorator([subprotocol](websocket::response_type& res) {
        res.set(boost::beast::http::field::server, "octopus");
        if (subprotocol) res.set(boost::beast::http::field::sec_websocket_protocol, kSubprotocol);
    }));
    boost::beast::get_lowest_layer(ws).expires_never();
}

}  // namespace octopus::server
