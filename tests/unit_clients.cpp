// Unit: the client pieces shared by octopus-crab and octopus-bell, without sockets: the --hub
// ws://HOST[:PORT] parser (names, IPv4, bracketed IPv6, each error in its checking order) and
// the Host header built back from host and port; the subscriber client's event decoding.
#include <doctest/doctest.h>

#include "clients/hub_address.hpp"
#include "clients/subscriber_client.hpp"

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
    CHECK(parse_hub_address("wss:/h:1").error == HubAddressError::bad_scheme);
    CHECK(parse_hub_address("wss://h:1").tls);
    CHECK_FALSE(parse_hub_address("ws://h:1").tls);
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

TEST_CASE("subscriber events: one per message, one per batch item with its exact bytes") {
    SUBCASE("a single snapshot keeps the hub's text") {
        const std::string text =
            R"({"type":"snapshot","sub":"bell","hub_seq":4,"crab":"alpha","seq":2,)"
            R"("received_at":1732778016.781000,"timestamp":null,"values":{"cpu":12.50},"tags":{}})";
        const auto events = decode_subscriber_events(text);
        REQUIRE(events.size() == 1);
        CHECK(events[0].text == text);
        const auto& s = std::get<SnapshotEvent>(events[0].body);
        CHECK(s.sub == "bell");
        CHECK(s.hub_seq == 4);
        CHECK(s.crab == "alpha");
        CHECK(s.seq == 2);
        CHECK(s.received_at == doctest::Approx(1732778016.781));
        CHECK(s.values["cpu"] == 12.5);
    }
    SUBCASE("a batch becomes the single messages the hub would have sent") {
        const std::string a =
            R"({"hub_seq":1,"crab":"a","seq":1,"received_at":1.000000,"timestamp":null,"values":{"s":"x,]}\"{"},"tags":{}})";
        const std::string b =
            R"({"hub_seq":2,"crab":"b","seq":9,"received_at":2.000000,"timestamp":3,"values":{"cpu":1.50},"tags":{"k":"v"}})";
        const auto events = decode_subscriber_events(
            R"({"type":"snapshots","sub":"bell","items":[)" + a + "," + b + "]}");
        REQUIRE(events.size() == 2);
        CHECK(events[0].text == R"({"type":"snapshot","sub":"bell",)" + a.substr(1));
        CHECK(events[1].text == R"({"type":"snapshot","sub":"bell",)" + b.substr(1));
        CHECK(std::get<SnapshotEvent>(events[0].body).values["s"] == "x,]}\"{");
        CHECK(std::get<SnapshotEvent>(events[1].body).crab == "b");
        CHECK(std::get<SnapshotEvent>(events[1].body).seq == 9);
    }
    SUBCASE("control messages") {
        auto one = [](const std::string& text) {
            auto events = decode_subscriber_events(text);
            REQUIRE(events.size() == 1);
            return events[0];
        };
        CHECK(std::get<Subscribed>(one(R"({"type":"subscribed","id":"bell","hub_seq":7})").body)
                  .hub_seq == 7);
        const auto gap = std::get<GapEvent>(
            one(R"({"type":"gap","sub":"bell","from_hub_seq":5,"to_hub_seq":9,"missed":4})").body);
        CHECK(gap.from_hub_seq == 5);
        CHECK(gap.to_hub_seq == 9);
        CHECK(gap.missed == 4);
        const auto crab = std::get<CrabEvent>(
            one(R"({"type":"crab","event":"offline","crab":"x","at":1.5})").body);
        CHECK(crab.event == "offline");
        CHECK(crab.crab == "x");
        const auto err =
            std::get<HubError>(one(R"({"type":"error","code":"bad_message","message":"m"})").body);
        CHECK(err.code == "bad_message");
        CHECK(std::holds_alternative<OtherMessage>(one("not json").body));
        CHECK(std::holds_alternative<OtherMessage>(
            one(R"({"type":"unsubscribed","id":"bell"})").body));
        CHECK(
            std::holds_alternative<OtherMessage>(one(R"({"type":"snapshot","sub":"bell"})").body));
    }
}
