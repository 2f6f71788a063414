// Unit: the client pieces shared by octopus-crab and octopus-bell, without sockets: the --hub
// ws://HOST[:PORT] parser (names, IPv4, bracketed IPv6, each error in its checking order) and
// the Host header built back from host and port.
#include <doctest/doctest.h>

#include "clients/hub_address.hpp"

using namespace octopus::clients;

TEST_CASE("parse_hub_address accepts names, IPv4 and bracketed IPv6, with or without a port") {
    auto a = parse_hub_address("ws://127.0.0.1:8765");
    CHECK(a.error == HubAddressError::none);
    CHECK(a.host == "127.0.0.1");
    CHECK(a.port == "8765");

    a = parse_hub_address("ws://hub.example/");
    CHECK(a.error == HubAddressError::none);
    CHECK(a.host == "hub.example");
    CHECK_FALSE(a.port.has_value());

    a = parse_hub_address("ws://[::1]:9000/");
    CHECK(a.error == HubAddressError::none);
    CHECK(a.host == "::1");
    CHECK(a.port == "9000");

    a = parse_hub_address("ws://[fe80::1]");
    CHECK(a.error == HubAddressError::none);
    CHECK(a.host == "fe80::1");
    CHECK_FALSE(a.port.has_value());

    a = parse_hub_address("ws://h:065535");  // kept as written
    CHECK(a.error == HubAddressError::none);
    CHECK(a.port == "065535");
}

TEST_CASE("parse_hub_address names each error, checked in order") {
    CHECK(parse_hub_address("http://h:1").error == HubAddressError::bad_scheme);
    CHECK(parse_hub_address("wss://h:1").error == HubAddressError::bad_scheme);
    CHECK(parse_hub_address("").error == HubAddressError::bad_scheme);
    CHECK(parse_hub_address("ws://h:1/v1/crab").error == HubAddressError::has_path);
    CHECK(parse_hub_address("ws://h:1//").error == HubAddressError::has_path);
    CHECK(parse_hub_address("ws://[::1]x").error == HubAddressError::bad_brackets);
    CHECK(parse_hub_address("ws://[::1]x:1").error == HubAddressError::bad_brackets);
    CHECK(parse_hub_address("ws://").error == HubAddressError::no_host);
    CHECK(parse_hub_address("ws:///").error == HubAddressError::no_host);
    CHECK(parse_hub_address("ws://:80").error == HubAddressError::no_host);
    CHECK(parse_hub_address("ws://[]:80").error == HubAddressError::no_host);
    CHECK(parse_hub_address("ws://:x").error == HubAddressError::no_host);  // host first

    auto a = parse_hub_address("ws://h:http");
    CHECK(a.error == HubAddressError::port_not_number);
    CHECK(a.port == "http");
    CHECK(parse_hub_address("ws://h:").error == HubAddressError::port_not_number);
    CHECK(parse_hub_address("ws://h:-1").error == HubAddressError::port_not_number);
    CHECK(parse_hub_address("ws://h:+1").error == HubAddressError::port_not_number);
    CHECK(parse_hub_address("ws://h:80x").error == HubAddressError::port_not_number);
    CHECK(parse_hub_address("ws://h:99999999999999999999999").error ==
          HubAddressError::port_not_number);
    CHECK(parse_hub_address("ws://h:0").error == HubAddressError::port_out_of_range);
    CHECK(parse_hub_address("ws://h:65536").error == HubAddressError::port_out_of_range);
    CHECK(parse_hub_address("ws://[::1]:99999").error == HubAddressError::port_out_of_range);
}

TEST_CASE("host_header brackets IPv6 hosts only") {
    CHECK(host_header("127.0.0.1", "8765") == "127.0.0.1:8765");
    CHECK(host_header("hub", "1") == "hub:1");
    CHECK(host_header("::1", "9000") == "[::1]:9000");
}
