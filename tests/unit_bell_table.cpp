// Unit: octopus-bell without sockets. BellTable's rendering (alignment, row order, age, state
// from lifecycle events and from a /v1/crabs seed, gaps) and the plain line format. Decoding hub
// messages into events is in unit_clients.cpp.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "clients/bell_table.hpp"
#include "clients/subscriber_client.hpp"

using namespace octopus::clients;
using nlohmann::json;

namespace {

BellUpdate update(const std::string& crab, std::uint64_t seq, double received_at,
                  const std::string& values) {
    return make_update(crab, seq, received_at, json::parse(values));
}

}  // namespace

TEST_CASE("bell: values are shown as short, safe text") {
    CHECK(display_value(json::parse("12.50")) == "12.5");
    CHECK(display_value(json::parse("42")) == "42");
    CHECK(display_value(json::parse("-3")) == "-3");
    CHECK(display_value(json(true)) == "true");
    CHECK(display_value(json("ok")) == "ok");
    CHECK(display_value(json("two words")) == "\"two words\"");
    CHECK(display_value(json("\x1b[2J")) == "\"\\u001b[2J\"");  // no escape reaches the terminal
    CHECK(display_value(json("")) == "\"\"");
}

TEST_CASE("bell: age has one decimal and never goes negative") {
    CHECK(format_age(0) == "0.0s");
    CHECK(format_age(0.04) == "0.0s");
    CHECK(format_age(1.25) == "1.2s");
    CHECK(format_age(12.96) == "13.0s");
    CHECK(format_age(-3) == "0.0s");
}

TEST_CASE("bell: plain lines") {
    const auto u = update("alpha", 7, 1000.0, R"({"memory":63.70,"cpu":12.5,"up":true})");
    SUBCASE("every key, sorted") {
        CHECK(plain_line(u, {}, 1000.44) == "alpha seq=7 age=0.4s cpu=12.5 memory=63.7 up=true");
    }
    SUBCASE("--keys order, absent keys left out") {
        CHECK(plain_line(u, {"memory", "disk", "cpu"}, 1002.0) ==
              "alpha seq=7 age=2.0s memory=63.7 cpu=12.5");
    }
    SUBCASE("no values") {
        CHECK(plain_line(update("b", 1, 5, "{}"), {}, 5) == "b seq=1 age=0.0s");
    }
    CHECK(gap_line(10, 12, 3) == "gap: missed 3 (hub_seq 10..12)");
}

TEST_CASE("bell: rows sorted by crab, values right-aligned, union of keys sorted") {
    BellTable t;
    t.apply(update("zeta", 3, 100.0, R"({"cpu":5,"memory":63.7})"));
    t.apply(update("alpha", 1, 98.5, R"({"cpu":12.5,"disk":7})"));
    t.crab_event("zeta", "online");
    t.crab_event("alpha", "offline");
    CHECK(t.columns() == std::vector<std::string>{"cpu", "disk", "memory"});
    CHECK(t.render(100.25) == std::vector<std::string>{
                                  "crab   state     age   cpu  disk  memory",
                                  "alpha  offline  1.8s  12.5     7       -",
                                  "zeta   online   0.2s     5     -    63.7",
                              });
    CHECK(t.updates() == 2);
}

TEST_CASE("bell: --keys fixes the columns and their order") {
    BellTable t({"memory", "cpu"});
    t.apply(update("alpha", 1, 10.0, R"({"cpu":1,"memory":2,"disk":3})"));
    CHECK(t.columns() == std::vector<std::string>{"memory", "cpu"});
    CHECK(t.render(10.0) == std::vector<std::string>{
                                "crab   state   age  memory  cpu",
                                "alpha  -      0.0s       2    1",
                            });
}

TEST_CASE("bell: a newer snapshot replaces the row, ages follow the latest received_at") {
    BellTable t;
    t.apply(update("a", 1, 10.0, R"({"cpu":1})"));
    t.apply(update("a", 2, 20.0, R"({"cpu":100.25})"));
    CHECK(t.render(21.0) == std::vector<std::string>{
                                "crab  state   age     cpu",
                                "a     -      1.0s  100.25",
                            });
}

TEST_CASE("bell: lifecycle events and the /v1/crabs seed") {
    BellTable t;
    CHECK(t.state("a") == CrabState::unknown);
    t.crab_event("a", "registered");  // adds the row, no state yet
    CHECK(t.state("a") == CrabState::unknown);
    t.crab_event("a", "online");
    CHECK(t.state("a") == CrabState::online);

    SUBCASE("a seed asked after the event wins") {
        t.seed({{"a", false}, {"b", true}}, t.lifecycle_events());
        CHECK(t.state("a") == CrabState::offline);
        CHECK(t.state("b") == CrabState::online);
    }
    SUBCASE("an event that arrived after the seed was asked wins") {
        const auto asked = t.lifecycle_events();
        t.crab_event("a", "offline");
        t.seed({{"a", true}}, asked);
        CHECK(t.state("a") == CrabState::offline);
    }
    SUBCASE("a crab the seed does not know keeps its event state") {
        t.seed({{"b", true}}, t.lifecycle_events());
        CHECK(t.state("a") == CrabState::online);
    }
}

TEST_CASE("bell: a crab known only from lifecycle events has an empty row") {
    BellTable t;
    t.crab_event("edge-1", "offline");
    CHECK(t.render(0) == std::vector<std::string>{
                             "crab    state    age",
                             "edge-1  offline    -",
                         });
}

TEST_CASE("bell: empty table, gaps and the status line") {
    BellTable t;
    CHECK(t.render(0) == std::vector<std::string>{"crab  state  age", "(no snapshots yet)"});
    t.gap(5, 7, 3);
    CHECK(t.render(0).back() == "gap: missed 3 (hub_seq 5..7)");
    t.gap(20, 29, 10);
    t.set_status("hub lost: read: End of file; reconnecting");
    const auto lines = t.render(0);
    REQUIRE(lines.size() == 4);
    CHECK(lines[2] == "gap: missed 10 (hub_seq 20..29); 2 gaps, 13 missed in total");
    CHECK(lines[3] == "hub lost: read: End of file; reconnecting");
}

TEST_CASE("bell: a small terminal cuts rows (counted) and long lines, never the header") {
    BellTable t;
    for (const char* crab : {"a", "b", "c", "d", "e"}) t.apply(update(crab, 1, 0, R"({"cpu":1})"));
    t.gap(1, 1, 1);
    const auto lines = t.render(0, {12, 5});
    CHECK(lines == std::vector<std::string>{
                       "crab  state ",
                       "a     -     ",
                       "b     -     ",
                       "(+3 more cra",
                       "gap: missed ",
                   });
    CHECK(t.render(0, {0, 100}).size() == 7);  // fits: untouched
}
