// Unit: the alert state machines (core/alerts/alert_engine) driven by hand: snapshots, lifecycle
// and a settable clock, no hub and no sockets. Each case asserts the exact transitions emitted.
#include <doctest/doctest.h>

#include <set>

#include "core/alerts/alert_engine.hpp"

using namespace octopus::core;
using octopus::protocol::AlertState;

namespace {

class ManualClock final : public Clock {
  public:
    std::int64_t now_us() const override { return now; }
    std::int64_t now = 1'700'000'000'000'000;
};

Condition cond(const std::string& text) {
    auto parsed = Condition::parse(text);
    REQUIRE_MESSAGE(std::holds_alternative<Condition>(parsed), text);
    return std::get<Condition>(parsed);
}

AlertRule rule(const std::string& name, const std::string& when, std::uint32_t for_count = 1) {
    AlertRule r;
    r.name = name;
    r.when = cond(when);
    r.for_count = for_count;
    return r;
}

struct Bench {
    ManualClock clock;
    std::vector<AlertTransition> out;
    AlertEngine engine{clock, [this](const AlertTransition& t) { out.push_back(t); }};
    std::uint64_t hub_seq = 0;

    void snap(const std::string& crab, const std::string& values) {
        StoredSnapshot stored;
        stored.hub_seq = ++hub_seq;
        stored.received_at_us = clock.now;
        octopus::protocol::Snapshot s;
        s.values_json = values;
        engine.accepted(crab, stored, s);
    }
    void advance(std::int64_t ms) {
        clock.now += ms * 1000;
        engine.tick();
    }
    // "rule/crab/state" of every transition so far.
    std::set<std::string> seen() const {
        std::set<std::string> all;
        for (const auto& t : out)
            all.insert(t.rule + "/" + t.crab + "/" + octopus::protocol::to_string(t.to));
        return all;
    }
    std::vector<std::string> states() const {
        std::vector<std::string> v;
        for (const auto& t : out) v.push_back(std::string(octopus::protocol::to_string(t.to)));
        return v;
    }
};

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("for = 3 snapshots: pending, then firing on the third, resolved when it fails") {
    Bench b;
    b.engine.set_rules({rule("hot", "cpu > 90", 3)});
    b.snap("a", R"({"cpu":95})");
    b.snap("a", R"({"cpu":96})");
    CHECK(b.states() == V{"pending"});
    b.snap("a", R"({"cpu":97})");
    CHECK(b.states() == V{"pending", "firing"});
    CHECK(b.out.back().hub_seq == 3);
    CHECK(b.out.back().values_json == R"({"cpu":97})");
    b.snap("a", R"({"cpu":99})");
    b.snap("a", R"({"cpu":50})");
    CHECK(b.states() == V{"pending", "firing", "resolved"});
    CHECK(b.out.back().alert_seq == 3);
}

TEST_CASE("a pending alert whose condition stops holding goes back to inactive, unnotified") {
    Bench b;
    b.engine.set_rules({rule("hot", "cpu > 90", 2)});
    b.snap("a", R"({"cpu":95})");
    b.snap("a", R"({"cpu":10})");
    b.snap("a", R"({"cpu":95})");
    CHECK(b.states() == V{"pending", "inactive", "pending"});
    CHECK_FALSE(b.out[1].notifies());
}

TEST_CASE("hysteresis with clear, per crab, and globs") {
    Bench b;
    auto r = rule("hot", "cpu > 90");
    r.crabs = "web-*";
    r.clear = cond("cpu < 80");
    b.engine.set_rules({r});
    b.snap("db-1", R"({"cpu":99})");
    CHECK(b.out.empty());
    b.snap("web-1", R"({"cpu":95})");
    b.snap("web-2", R"({"cpu":95})");
    b.snap("web-1", R"({"cpu":85})");
    b.snap("web-1", R"({"cpu":79})");
    b.snap("web-1", R"({"cpu":60})");
    CHECK(b.states() == V{"pending", "firing", "pending", "firing", "resolved"});
    CHECK(b.out.back().crab == "web-1");
    CHECK(b.engine.active().size() == 1);
}

TEST_CASE("silent, for as a duration, and offline with the start-up grace") {
    Bench b;
    auto quiet = rule("quiet", "silent 30s");
    auto slow = rule("slow", "cpu > 1");
    slow.for_time = std::chrono::seconds(10);
    auto gone = rule("gone", "offline");
    b.engine.set_rules({quiet, slow, gone});
    b.engine.known("old", b.clock.now - 5'000'000);  // on disk, last heard 5 s ago
    b.engine.online("a");
    b.snap("a", R"({"cpu":5})");
    CHECK(b.states() == V{"pending"});  // slow: pending until 10 s pass
    b.advance(9000);
    CHECK(b.states().size() == 1);
    b.advance(1000);
    CHECK(b.states() == V{"pending", "firing"});
    b.out.clear();
    b.advance(20'000);  // "a" is now 30 s silent
    auto fired = b.seen();
    CHECK(fired.count("quiet/a/firing"));
    CHECK_FALSE(fired.count("quiet/old/pending"));  // "old" is inside its 60 s grace: time
    CHECK_FALSE(fired.count("gone/old/pending"));   // alone changes nothing for it yet
    b.out.clear();
    b.advance(31'000);  // the grace is over: "old" is silent and offline
    CHECK(b.seen() == std::set<std::string>{"quiet/old/pending", "quiet/old/firing",
                                            "gone/old/pending", "gone/old/firing"});
    b.out.clear();
    b.engine.offline("a");
    CHECK(b.states() == V{"pending", "firing"});
    CHECK(b.out.back().rule == "gone");
    b.out.clear();
    b.engine.online("a");
    b.snap("a", R"({"cpu":0})");
    CHECK(b.seen() ==
          std::set<std::string>{"gone/a/resolved", "quiet/a/resolved", "slow/a/resolved"});
}

TEST_CASE("rate over a window uses the receive times") {
    Bench b;
    b.engine.set_rules({rule("fast", "rate(rx, 10s) > 100")});
    b.snap("a", R"({"rx":0})");
    b.clock.now += 1'000'000;
    b.snap("a", R"({"rx":50})");  // 50/s
    CHECK(b.out.empty());
    b.clock.now += 1'000'000;
    b.snap("a", R"({"rx":450})");  // 450 over 2 s: 225/s
    CHECK(b.states() == V{"pending", "firing"});
    b.clock.now += 20'000'000;  // the window has moved past every old point
    b.snap("a", R"({"rx":460})");
    CHECK(b.states() == V{"pending", "firing", "resolved"});
}

TEST_CASE("restore rebuilds firing state, reload keeps state of kept rules only") {
    Bench b;
    b.engine.set_rules({rule("hot", "cpu > 90"), rule("cold", "cpu < 1")});
    AlertTransition t;
    t.alert_seq = 41;
    t.rule = "hot";
    t.crab = "a";
    t.from = AlertState::pending;
    t.to = AlertState::firing;
    t.firing_since_us = 123;
    b.engine.restore(t);
    t.alert_seq = 42;
    t.rule = "removed";
    b.engine.restore(t);
    CHECK(b.engine.active().size() == 1);
    b.snap("a", R"({"cpu":99})");
    CHECK(b.out.empty());  // already firing: no second notification
    b.engine.set_rules({rule("hot", "cpu > 90")});
    CHECK(b.engine.active().size() == 1);
    b.snap("a", R"({"cpu":10})");
    REQUIRE(b.states() == V{"resolved"});
    CHECK(b.out[0].alert_seq == 43);
    CHECK(b.out[0].firing_since_us == 123);
    b.snap("a", R"({"cpu":95})");
    b.out.clear();
    b.engine.set_rules({});  // a firing alert whose rule goes is ended in the records
    CHECK(b.engine.active().empty());
    REQUIRE(b.states() == V{"inactive"});
    CHECK(b.out[0].from == AlertState::firing);
    CHECK_FALSE(b.out[0].notifies());
}

TEST_CASE("an episode starts only when when holds and clear does not, and only on a snapshot") {
    Bench b;
    auto r = rule("hot", "cpu > 90");
    r.clear = cond("cpu < 80 or offline");
    b.engine.set_rules({r, rule("quiet", "silent 10s")});
    b.engine.online("a");
    b.snap("a", R"({"cpu":95})");
    CHECK(b.seen() == std::set<std::string>{"hot/a/pending", "hot/a/firing"});
    b.out.clear();
    b.engine.offline("a");  // clear holds: resolved, and the stale cpu does not re-fire it
    b.advance(1000);
    b.advance(1000);
    CHECK(b.states() == V{"resolved"});
    b.out.clear();
    b.engine.online("a");
    b.advance(1000);  // a tick never starts an episode of a value condition
    CHECK(b.out.empty());
}
