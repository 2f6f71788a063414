// hub_address: the one parser for the `--hub ws[s]://HOST[:PORT][/]` argument of octopus-crab and
// octopus-bell, and the Host header built back from a host and port. HOST is a name, an IPv4
// address or a bracketed IPv6 address (kept without its brackets). It never throws and never
// touches the network: it returns a typed error, and each tool words its own usage message.
// Invariant: an address without an error has a non-empty host and, when a port was written, a
// port of 1..65535 kept exactly as written.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace octopus::clients {

enum class HubAddressError {
    none,
    bad_scheme,         // neither ws:// nor wss://
    has_path,           // anything after the authority but one trailing '/'
    bad_brackets,       // text between "[IPv6]" and ":PORT"
    no_host,            // empty HOST
    port_not_number,    // ":" followed by anything but decimal digits (or too many of them)
    port_out_of_range,  // 0 or above 65535
};

struct HubAddress {
    HubAddressError error = HubAddressError::none;
    std::string host;
    bool tls = false;  // wss://
    // As written; none when omitted (the tool's default applies). Also set on the port errors.
    std::optional<std::string> port;
};

// Checks, in this order: scheme, path, brackets, host, port.
HubAddress parse_hub_address(std::string_view url);

// "HOST:PORT", or "[HOST]:PORT" when HOST is an IPv6 address.
std::string host_header(std::string_view host, std::string_view port);

}  // namespace octopus::clients
