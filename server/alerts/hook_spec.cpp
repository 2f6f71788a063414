// Parsing a webhook URL at the edge: http only, a host, an optional port (1-65535), a target.
// Errors are messages for the operator's log, never exceptions.
#include "server/alerts/hook_spec.hpp"

#include <algorithm>
#include <charconv>

namespace octopus::server {

std::optional<std::string> parse_webhook_url(WebhookSpec& spec) {
    const std::string& url = spec.url;
    constexpr std::string_view kHttp = "http://";
    if (url.starts_with("https://"))
        return "webhook url " + url + ": https is not supported (http only)";
    if (!url.starts_with(kHttp)) return "webhook url " + url + ": must start with http://";
    std::string_view rest(url);
    rest.remove_prefix(kHttp.size());
    std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (authority.find('@') != std::string_view::npos)
        return "webhook url " + url + ": credentials in the url are not supported";

    std::string_view host = authority;
    std::string_view port;
    if (authority.starts_with('[')) {  // [IPv6]:port
        std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return "webhook url " + url + ": unclosed [";
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && !after.starts_with(':')) return "webhook url " + url + ": bad port";
        if (!after.empty()) port = after.substr(1);
    } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        if (port.empty()) return "webhook url " + url + ": bad port";
    }
    if (host.empty()) return "webhook url " + url + ": no host";

    unsigned value = 80;
    if (!port.empty()) {
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
            return "webhook url " + url + ": bad port " + std::string(port);
    }
    spec.host = std::string(host);
    spec.port = static_cast<std::uint16_t>(value);
    spec.target = std::move(target);
    return std::nullopt;
}

std::chrono::milliseconds retry_delay(int retry, std::chrono::milliseconds backoff,
                                      std::chrono::milliseconds max_backoff) {
    auto delay = backoff;
    for (int k = 1; k < retry && delay < max_backoff; ++k) delay *= 2;
    return std::min(delay, max_backoff);
}

}  // namespace octopus::server
