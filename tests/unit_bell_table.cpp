// Unit: octopus-bell without sockets. BellTable's rendering (alignment, row order, age, state
// from lifecycle events and from a /v1/crabs seed, gaps), the plain line format, and the rules
// the web dashboard shares: value units, human cells and key order. Decoding hub messages into
// events is in unit_clients.cpp.
#include <doctest/doctest.h>

#include <algorithm>
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

TEST_CASE("bell: a key's unit") {
    const std::vector<std::pair<ValueUnit, std::vector<std::string>>> cases = {
        {ValueUnit::percent,
         {"cpu", "memory", "disk", "swap", "gpu_pct", "battery_percent", "_pct"}},
        {ValueUnit::bytes_per_second, {"net_rx_bps", "disk_read_bytes_per_s", "x_pct_bps"}},
        {ValueUnit::bytes, {"mem_used_bytes", "_bytes"}},
        {ValueUnit::load, {"load1", "load5", "load15", "load007"}},
        {ValueUnit::none,
         {"cpus", "cpu0", "CPU", "disk_free", "pct", "gpu_pct_max", "bps", "bytes",
          "disk_bytes_total", "load", "load1m", "load_1", "xload1", "Load1", "uptime", ""}},
    };
    for (const auto& [unit, keys] : cases) {
        for (const auto& key : keys) {
            CAPTURE(key);
            CHECK(value_unit(key) == unit);
        }
    }
}

TEST_CASE("bell: table cells in their key's unit") {
    struct Case {
        const char* key;
        const char* value;  // JSON
        const char* cell;
    };
    const std::vector<Case> cases = {
        // percent: one decimal, rounded like JavaScript's toFixed (ties away from zero)
        {"cpu", "2", "2.0%"},
        {"cpu", "12.5", "12.5%"},
        {"cpu", "0", "0.0%"},
        {"cpu", "-0.0", "0.0%"},
        {"cpu", "-3", "-3.0%"},
        {"cpu", "-0.04", "-0.0%"},
        {"cpu", "0.25", "0.3%"},
        {"cpu", "-0.25", "-0.3%"},
        {"cpu", "0.35", "0.3%"},  // the double is 0.34999..., no tie
        {"cpu", "99.96", "100.0%"},
        {"gpu_pct", "63.70", "63.7%"},
        {"cpu", "1e21", "1e+21%"},  // toFixed's own limit
        // bytes per second: whole B/s under 1024, then one decimal per 1024
        {"rx_bps", "0", "0 B/s"},
        {"rx_bps", "512.5", "513 B/s"},
        {"rx_bps", "1023", "1023 B/s"},
        {"rx_bps", "1023.6", "1024 B/s"},  // the unit goes by the value before rounding
        {"rx_bps", "1024", "1.0 KiB/s"},
        {"rx_bps", "1280", "1.3 KiB/s"},  // 1.25 KiB: a tie, away from zero
        {"rx_bps", "16372.987", "16.0 KiB/s"},
        {"rx_bps", "1048575", "1024.0 KiB/s"},  // the KiB/MiB boundary
        {"rx_bps", "1048576", "1.0 MiB/s"},
        {"rx_bps", "54922064.118", "52.4 MiB/s"},
        {"rx_bps", "1073741824", "1.0 GiB/s"},
        {"rx_bps", "1099511627776", "1.0 TiB/s"},
        {"rx_bps", "1125899906842624", "1024.0 TiB/s"},  // TiB is the largest
        {"rx_bps", "-512", "-512 B/s"},
        {"rx_bps", "-1024", "-1.0 KiB/s"},
        {"rx_bps", "-2.5", "-3 B/s"},
        {"read_bytes_per_s", "2048", "2.0 KiB/s"},
        // bytes: the same without "/s"
        {"mem_bytes", "0", "0 B"},
        {"mem_bytes", "1023", "1023 B"},
        {"mem_bytes", "1024", "1.0 KiB"},
        {"mem_bytes", "1048575", "1024.0 KiB"},
        {"mem_bytes", "1048576", "1.0 MiB"},
        {"mem_bytes", "8589934592", "8.0 GiB"},
        {"mem_bytes", "-1536", "-1.5 KiB"},
        // load: two decimals
        {"load1", "1.19", "1.19"},
        {"load5", "2", "2.00"},
        {"load15", "0", "0.00"},
        {"load1", "0.125", "0.13"},
        {"load1", "-1", "-1.00"},
        // none: shortest round-trip, as in plain lines
        {"uptime", "12.50", "12.5"},
        {"uptime", "42", "42"},
        {"uptime", "-3", "-3"},
        // booleans, strings and null keep their plain form under any unit
        {"cpu", "true", "true"},
        {"rx_bps", R"("n/a")", "n/a"},
        {"mem_bytes", R"("two words")", "\"two words\""},
        {"load1", "null", "null"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.key);
        CAPTURE(c.value);
        CHECK(human_value(c.key, json::parse(c.value)) == c.cell);
    }
}

TEST_CASE("bell: key order") {
    SUBCASE("pairs") {
        const std::vector<std::pair<std::string, std::string>> less = {
            {"load1", "load5"},
            {"load5", "load15"},
            {"load1", "load15"},
            {"a2", "a10"},
            {"a9", "a10"},
            {"a", "a1"},  // a prefix first
            {"a", "ab"},
            {"a1", "a1b"},
            {"a01", "a1"},  // equal numbers: bytewise
            {"a1b", "a01c"},
            {"a1", "b"},
            {"x1y2", "x1y10"},
            {"B", "a"},
            {"a1", "aa"},
            {"v99999999999999999999", "v100000000000000000000"},
            // groups before names: percent, bytes/s, bytes, load, none
            {"swap", "a_bps"},
            {"z_pct", "a_bps"},
            {"z_bps", "a_bytes"},
            {"z_bytes", "load1"},
            {"load15", "a"},
            {"cpu", "zz_percent"},
        };
        for (const auto& [a, b] : less) {
            CAPTURE(a);
            CAPTURE(b);
            CHECK(key_less(a, b));
            CHECK_FALSE(key_less(b, a));
        }
        for (const char* k : {"", "a", "load1", "a01"}) CHECK_FALSE(key_less(k, k));
    }
    SUBCASE("a whole list") {
        std::vector<std::string> keys = {"uptime", "load15",   "rx_bps",    "a10",    "mem_bytes",
                                         "load5",  "cpu",      "a2",        "tx_bps", "load1",
                                         "memory", "disk_pct", "swap_bytes"};
        std::sort(keys.begin(), keys.end(),
                  [](const auto& a, const auto& b) { return key_less(a, b); });
        CHECK(keys == std::vector<std::string>{"cpu", "disk_pct", "memory", "rx_bps", "tx_bps",
                                               "mem_bytes", "swap_bytes", "load1", "load5",
                                               "load15", "a2", "a10", "uptime"});
    }
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
    SUBCASE("without --keys, key_less order and raw numbers") {
        const auto m = update("m", 2, 10.0,
                              R"({"zeta":3,"load15":1.5,"rx_bps":16372.987,"load1":0.25,)"
                              R"("mem_bytes":1048576,"swap":2,"cpu":12.50})");
        CHECK(plain_line(m, {}, 10.0) ==
              "m seq=2 age=0.0s cpu=12.5 swap=2 rx_bps=16372.987 mem_bytes=1048576 load1=0.25 "
              "load15=1.5 zeta=3");
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
                                  "crab   state     age    cpu  disk  memory",
                                  "alpha  offline  1.8s  12.5%  7.0%       -",
                                  "zeta   online   0.2s   5.0%     -   63.7%",
                              });
    CHECK(t.updates() == 2);
}

TEST_CASE("bell: without --keys, columns go by unit then natural order, cells in units") {
    BellTable t;
    t.apply(update("host", 1, 0,
                   R"({"uptime":3600,"load15":1.19,"load1":2,"load5":0.5,"ok":true,)"
                   R"("rx_bps":54922064.118,"mem_bytes":8589934592,"cpu":12.5})"));
    CHECK(t.columns() == std::vector<std::string>{"cpu", "rx_bps", "mem_bytes", "load1", "load5",
                                                  "load15", "ok", "uptime"});
    CHECK(t.render(0) ==
          std::vector<std::string>{
              "crab  state   age    cpu      rx_bps  mem_bytes  load1  load5  load15    ok  uptime",
              "host  -      0.0s  12.5%  52.4 MiB/s    8.0 GiB   2.00   0.50    1.19  true    3600",
          });
}

TEST_CASE("bell: a quoted key keeps its unit and its place") {
    BellTable t;
    t.apply(update("h", 1, 0, R"({"zz":1,"net rx_bps":2048,"cpu":1})"));
    CHECK(t.columns() == std::vector<std::string>{"cpu", "\"net rx_bps\"", "zz"});
    CHECK(t.render(0).back() == "h     -      0.0s  1.0%     2.0 KiB/s   1");
    CHECK(plain_line(update("h", 1, 0, R"({"zz":1,"net rx_bps":2048,"cpu":1})"), {}, 0) ==
          "h seq=1 age=0.0s cpu=1 \"net rx_bps\"=2048 zz=1");
}

TEST_CASE("bell: --keys fixes the columns and their order") {
    BellTable t({"memory", "cpu"});
    t.apply(update("alpha", 1, 10.0, R"({"cpu":1,"memory":2,"disk":3})"));
    CHECK(t.columns() == std::vector<std::string>{"memory", "cpu"});
    CHECK(t.render(10.0) == std::vector<std::string>{
                                "crab   state   age  memory   cpu",
                                "alpha  -      0.0s    2.0%  1.0%",
                            });
}

TEST_CASE("bell: a newer snapshot replaces the row, ages follow the latest received_at") {
    BellTable t;
    t.apply(update("a", 1, 10.0, R"({"cpu":1})"));
    t.apply(update("a", 2, 20.0, R"({"cpu":100.25})"));
    CHECK(t.render(21.0) == std::vector<std::string>{
                                "crab  state   age     cpu",
                                "a     -      1.0s  100.3%",
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
