// parse_hub_address: the authority is split at the ']' of a leading "[IPv6]" when there is one,
// else at its last ':'. The port must be plain decimal digits (from_chars, whole text).
#include "clients/hub_address.hpp"

#include <charconv>
#include <cstdint>

namespace octopus::clients {

HubAddress parse_hub_address(std::string_view url) {
    HubAddress out;
    const auto failed = [&out](HubAddressError error) {
        out.error = error;
        return out;
    };
    out.tls = url.starts_with("wss://");
    if (!out.tls && !url.starts_with("ws://")) return failed(HubAddressError::bad_scheme);
    std::string_view authority = url.substr(out.tls ? 6 : 5);
    if (authority.ends_with('/')) authority.remove_suffix(1);
    if (authority.find('/') != std::string_view::npos) return failed(HubAddressError::has_path);

    std::string_view host = authority;
    std::optional<std::string_view> port;
    const auto bracket = authority.find(']');
    if (authority.starts_with('[') && bracket != std::string_view::npos) {
        host = authority.substr(1, bracket - 1);
        const std::string_view after = authority.substr(bracket + 1);
        if (!after.empty() && !after.starts_with(':')) return failed(HubAddressError::bad_brackets);
        if (!after.empty()) port = after.substr(1);
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    out.host = std::string(host);
    if (host.empty()) return failed(HubAddressError::no_host);
    if (port) {
        out.port = std::string(*port);
        std::uint64_t number = 0;
        const char* const end = port->data() + port->size();
        const auto [stop, ec] = std::from_chars(port->data(), end, number);
        if (port->empty() || ec != std::errc{} || stop != end) {
            return failed(HubAddressError::port_not_number);
        }
        if (number == 0 || number > 65535) return failed(HubAddressError::port_out_of_range);
    }
    return out;
}

std::string host_header(std::string_view host, std::string_view port) {
    const bool ipv6 = host.find(':') != std::string_view::npos;
    return ipv6 ? "[" + std::string(host) + "]:" + std::string(port)
                : std::string(host) + ":" + std::string(port);
}

}  // namespace octopus::clients
