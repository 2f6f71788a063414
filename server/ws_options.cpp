#include "server/ws_options.hpp"

#include <algorithm>

namespace octopus::server {

namespace websocket = boost::beast::websocket;

std::vector<std::string> offered_subprotocols(const UpgradeRequest& req) {
    std::vector<std::string> out;
    auto it = req.find(boost::beast::http::field::sec_websocket_protocol);
    if (it == req.end()) return out;
    std::string_view offered(it->value().data(), it->value().size());
    while (!offered.empty()) {
        auto comma = offered.find(',');
        auto item = offered.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
            item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (!item.empty()) out.emplace_back(item);
        offered.remove_prefix(comma == std::string_view::npos ? offered.size() : comma + 1);
    }
    return out;
}

bool offers_octopus_subprotocol(const UpgradeRequest& req) {
    auto offered = offered_subprotocols(req);
    return std::find(offered.begin(), offered.end(), "octopus") != offered.end();
}

websocket::stream_base::timeout websocket_timeouts(const Config& config) {
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(10);
    timeouts.idle_timeout = config.ws_idle_timeout.count() > 0
                                ? websocket::stream_base::duration(config.ws_idle_timeout)
                                : websocket::stream_base::none();
    timeouts.keep_alive_pings = true;
    return timeouts;
}

}  // namespace octopus::server
