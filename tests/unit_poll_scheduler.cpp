// Unit: glob matching and the poll scheduler against the real Hub (and disk writer), with time
// driven by hand: a fake-clock executor runs timers in due order and the scheduler reads the
// same fake clock, so pacing is checked to the exact millisecond without sleeping.
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <vector>

#include "core/glob.hpp"
#include "core/hub.hpp"
#include "core/poll_scheduler.hpp"
#include "harness/temp_dir.hpp"
#include "support/fixed_clock.hpp"

using namespace octopus;
using namespace octopus::core;
using std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

namespace {

// Timers fire in due order (ties in posting order) when the test advances the fake clock.
// post() is safe from any thread: the disk writer posts its durability reports into it.
class FakeTimeExecutor final : public Executor {
  public:
    void post(std::function<void()> fn) override {
        std::lock_guard lk(mu_);
        posted_.push_back(std::move(fn));
    }
    void post_after(milliseconds delay, std::function<void()> fn) override {
        std::lock_guard lk(mu_);
        timers_.emplace(std::make_pair(now_ + delay, next_id_++), std::move(fn));
    }
    TimePoint now() const {
        std::lock_guard lk(mu_);
        return now_;
    }
    void advance(milliseconds by) { advance_to(now() + by); }
    void advance_to(TimePoint until) {
        for (;;) {
            run_posted();
            std::function<void()> fn;
            {
                std::lock_guard lk(mu_);
                if (timers_.empty() || timers_.begin()->first.first > until) break;
                now_ = timers_.begin()->first.first;
                fn = std::move(timers_.begin()->second);
                timers_.erase(timers_.begin());
            }
            fn();
        }
        std::lock_guard lk(mu_);
        now_ = until;
    }

  private:
    void run_posted() {
        for (;;) {
            std::function<void()> fn;
            {
                std::lock_guard lk(mu_);
                if (posted_.empty()) return;
                fn = std::move(posted_.front());
                posted_.erase(posted_.begin());
            }
            fn();
        }
    }

    mutable std::mutex mu_;
    TimePoint now_{};  // the epoch of steady_clock: any fixed origin will do
    std::uint64_t next_id_ = 0;
    std::vector<std::function<void()>> posted_;
    std::map<std::pair<TimePoint, std::uint64_t>, std::function<void()>> timers_;
};

using octopus::test::FixedClock;

struct Request {
    std::string crab;
    std::string id;
    TimePoint at;
};

struct TestHub {
    octopus::harness::TempDir dir;
    FakeTimeExecutor executor;
    Metrics metrics;
    FixedClock clock;
    DiskWriter writer{{}, metrics};
    Hub hub{{dir.path(), 10, {}}, executor, writer, metrics, clock};
    std::vector<Request> requests;  // every collect any crab received, in order

    TestHub() {
        writer.set_on_durable(
            [this](std::uint64_t h) { executor.post([this, h] { hub.on_durable(h); }); });
        writer.start();
    }
    ~TestHub() { writer.stop(); }

    PollScheduler scheduler(std::vector<PollRule> rules) {
        return PollScheduler(hub, executor, std::move(rules), [this] { return executor.now(); });
    }
    std::vector<TimePoint> times(const std::string& crab) const {
        std::vector<TimePoint> out;
        for (const auto& r : requests)
            if (r.crab == crab) out.push_back(r.at);
        return out;
    }
    milliseconds since_start(TimePoint t) const {
        return std::chrono::duration_cast<milliseconds>(t - TimePoint{});
    }
};

// An in-process crab that answers at once, later (answer_pending) or never.
struct TestCrab final : CrabLink {
    enum class Mode { echo, hold, mute };
    TestHub* t = nullptr;
    std::string name;
    Mode mode = Mode::echo;
    std::vector<std::string> pending;

    void request_snapshot(const std::string& id) override {
        t->requests.push_back({name, id, t->executor.now()});
        if (mode == Mode::echo) answer(id);
        if (mode == Mode::hold) pending.push_back(id);
    }
    void disconnect(const std::string&) override {}
    void answer(const std::string& id) {
        std::vector<protocol::Snapshot> items(1);
        items[0].values_json = "{\"v\":1}";
        items[0].tags_json = "{}";
        items[0].reply_to = id;
        t->hub.ingest(name, items, nullptr);
    }
    void answer_pending() {
        auto ids = std::move(pending);
        pending.clear();
        for (const auto& id : ids) answer(id);
    }
};

std::shared_ptr<TestCrab> add_crab(TestHub& t, const std::string& name,
                                   TestCrab::Mode mode = TestCrab::Mode::echo) {
    auto c = std::make_shared<TestCrab>();
    c->t = &t;
    c->name = name;
    c->mode = mode;
    REQUIRE(t.hub.register_crab(name, c).ok());
    return c;
}

PollRule rule(std::string glob, int interval_ms, int min_delay_ms, int timeout_ms = 2000,
              std::uint32_t heartbeat_misses = 0) {
    PollRule r;
    r.crabs = std::move(glob);
    r.interval = milliseconds(interval_ms);
    r.min_delay = milliseconds(min_delay_ms);
    r.timeout = milliseconds(timeout_ms);
    r.heartbeat_misses = heartbeat_misses;
    return r;
}

}  // namespace

TEST_CASE("each tick walks the matching online crabs round-robin, in name order") {
    TestHub t;
    for (const char* name : {"c1", "a1", "x9", "b1"}) add_crab(t, name);
    auto s = t.scheduler({rule("?1", 100, 50)});
    s.start();
    t.executor.advance(milliseconds(99));
    CHECK(t.requests.empty());  // the first tick is one interval after start
    t.executor.advance(milliseconds(1));
    t.executor.advance(milliseconds(100));
    t.executor.advance(milliseconds(100));
    std::vector<std::string> order;
    for (const auto& r : t.requests) order.push_back(r.crab);
    CHECK(order == std::vector<std::string>{"a1", "b1", "c1", "a1", "b1", "c1", "a1", "b1", "c1"});
    for (const auto& r : t.requests) {
        auto ms = t.since_start(r.at).count();
        CHECK((ms == 100 || ms == 200 || ms == 300));
    }
    CHECK(s.counters().ticks == 3);
    CHECK(s.counters().requests == 9);
    CHECK(s.counters().answered == 9);
    CHECK_FALSE(s.slot("x9").has_value());
    // Every answer was stored with its reply_to.
    auto buffer = t.hub.get_buffer("a1");
    REQUIRE(buffer.ok());
    REQUIRE(buffer.value().size() == 3);
    CHECK(buffer.value().back()->json().find("\"reply_to\":\"") != std::string_view::npos);
}

TEST_CASE("a crab follows the first rule that matches it") {
    TestHub t;
    add_crab(t, "edge-1");
    add_crab(t, "core-1");
    auto s = t.scheduler({rule("edge-*", 100, 0), rule("*", 300, 0)});
    REQUIRE(s.rule_for("edge-1") == &s.rules()[0]);
    REQUIRE(s.rule_for("core-1") == &s.rules()[1]);
    s.start();
    t.executor.advance(milliseconds(600));
    CHECK(t.times("edge-1").size() == 6);  // not also polled by the catch-all
    CHECK(t.times("core-1").size() == 2);
}

TEST_CASE("min_delay wins over a shorter interval: requests are deferred to exactly min_delay") {
    TestHub t;
    add_crab(t, "a");
    add_crab(t, "b");
    auto s = t.scheduler({rule("*", 30, 100)});
    s.start();
    t.executor.advance(milliseconds(1000));
    for (const char* name : {"a", "b"}) {
        auto times = t.times(name);
        REQUIRE(times.size() == 10);  // at 30, 130, ..., 930
        CHECK(t.since_start(times.front()).count() == 30);
        for (std::size_t i = 1; i < times.size(); ++i) {
            CHECK(times[i] - times[i - 1] == milliseconds(100));
        }
    }
    // Every request after the first was deferred, plus the one waiting for 1030 ms; per crab.
    CHECK(s.counters().deferred == 20);
    CHECK(s.counters().requests == 20);
    auto slot = s.slot("a");
    REQUIRE(slot);
    CHECK(t.since_start(*slot->last_request).count() == 930);
}

TEST_CASE("min_delay holds across a mix of rules, slow answers and reconnects") {
    TestHub t;
    auto a = add_crab(t, "a", TestCrab::Mode::hold);
    auto s = t.scheduler({rule("a", 20, 70, 500)});
    s.start();
    for (int step = 0; step < 100; ++step) {
        t.executor.advance(milliseconds(7));
        if (step % 3 == 0) a->answer_pending();
        if (step == 40) t.hub.unregister_crab("a", a.get());
        if (step == 41) REQUIRE(t.hub.register_crab("a", a).ok());
    }
    auto times = t.times("a");
    REQUIRE(times.size() >= 5);
    for (std::size_t i = 1; i < times.size(); ++i)
        CHECK(times[i] - times[i - 1] >= milliseconds(70));
}

TEST_CASE("at most one request per crab is open, the next waits for the answer") {
    TestHub t;
    auto a = add_crab(t, "a", TestCrab::Mode::hold);
    auto s = t.scheduler({rule("a", 50, 0, 10000)});
    s.start();
    t.executor.advance(milliseconds(500));
    CHECK(t.requests.size() == 1);
    CHECK(s.counters().skipped_busy == 9);
    REQUIRE(s.slot("a"));
    CHECK(s.slot("a")->outstanding);
    a->answer_pending();
    CHECK_FALSE(s.slot("a")->outstanding);
    CHECK(s.counters().answered == 1);
    t.executor.advance(milliseconds(50));
    CHECK(t.requests.size() == 2);
    CHECK(t.since_start(t.requests.back().at).count() == 550);
}

TEST_CASE("a timeout frees the crab's slot for the next tick") {
    TestHub t;
    add_crab(t, "mute", TestCrab::Mode::mute);
    auto s = t.scheduler({rule("mute", 50, 0, 200)});
    s.start();
    t.executor.advance(milliseconds(1000));
    std::vector<long> at;
    for (auto tp : t.times("mute")) at.push_back(static_cast<long>(t.since_start(tp).count()));
    // Each timeout (due at the same instant as a tick, and armed earlier) frees the crab first.
    CHECK(at == std::vector<long>{50, 250, 450, 650, 850});
    CHECK(s.counters().timeouts == 4);
}

TEST_CASE("heartbeat_misses in a row report the crab silent once, until it answers again") {
    TestHub t;
    auto mute = add_crab(t, "mute", TestCrab::Mode::mute);
    add_crab(t, "chatty");
    auto s = t.scheduler({rule("*", 50, 0, 100, 3)});
    std::vector<std::string> silent;
    s.on_silent = [&](const std::string& crab) { silent.push_back(crab); };
    s.start();
    // mute: requests at 50, 150, 250; each times out as the next tick comes (150, 250, 350).
    t.executor.advance(milliseconds(349));
    CHECK(silent.empty());
    CHECK(s.slot("mute")->misses == 2);
    t.executor.advance(milliseconds(1));
    CHECK(silent == std::vector<std::string>{"mute"});
    CHECK(s.slot("mute")->silent);
    t.executor.advance(milliseconds(1000));
    CHECK(silent.size() == 1);  // still silent: reported once
    CHECK(s.counters().silent == 1);
    CHECK(s.slot("mute")->misses > 3);

    mute->mode = TestCrab::Mode::echo;
    t.executor.advance(milliseconds(200));
    CHECK(s.slot("mute")->misses == 0);
    CHECK_FALSE(s.slot("mute")->silent);
    mute->mode = TestCrab::Mode::mute;
    t.executor.advance(milliseconds(1000));
    CHECK(silent == std::vector<std::string>{"mute", "mute"});
    CHECK(s.slot("chatty")->misses == 0);
}

TEST_CASE("heartbeat_misses = 0 never reports, an offline crab is not polled") {
    TestHub t;
    auto mute = add_crab(t, "mute", TestCrab::Mode::mute);
    auto s = t.scheduler({rule("*", 50, 0, 60)});
    bool reported = false;
    s.on_silent = [&](const std::string&) { reported = true; };
    s.start();
    t.executor.advance(milliseconds(1000));
    CHECK_FALSE(reported);
    CHECK(s.counters().timeouts >= 5);
    t.hub.unregister_crab("mute", mute.get());
    t.executor.advance(milliseconds(200));  // let the open request time out
    auto before = t.requests.size();
    t.executor.advance(milliseconds(1000));
    CHECK(t.requests.size() == before);
    CHECK(s.slot("mute")->misses == 0);  // a new streak starts when it comes back
}

TEST_CASE("a request left open by a crab that goes offline is not a heartbeat miss") {
    TestHub t;
    auto mute = add_crab(t, "mute", TestCrab::Mode::mute);
    auto s = t.scheduler({rule("*", 50, 0, 100, 1)});
    bool reported = false;
    s.on_silent = [&](const std::string&) { reported = true; };
    s.start();
    t.executor.advance(milliseconds(60));
    REQUIRE(s.slot("mute")->outstanding);
    t.hub.unregister_crab("mute", mute.get());
    t.executor.advance(milliseconds(200));
    CHECK(s.counters().timeouts == 1);
    CHECK(s.slot("mute")->misses == 0);
    CHECK_FALSE(reported);
}

TEST_CASE("stop() and destruction end polling, late timers and answers are harmless") {
    TestHub t;
    auto a = add_crab(t, "a", TestCrab::Mode::hold);
    {
        auto s = t.scheduler({rule("*", 50, 0, 100)});
        s.start();
        t.executor.advance(milliseconds(60));
        CHECK(t.requests.size() == 1);
        s.stop();
        a->answer_pending();
        CHECK(s.counters().answered == 1);
        t.executor.advance(milliseconds(500));
        CHECK(t.requests.size() == 1);
    }
    {
        auto s = std::make_unique<PollScheduler>(t.hub, t.executor,
                                                 std::vector<PollRule>{rule("*", 50, 0, 100)},
                                                 [&t] { return t.executor.now(); });
        s->start();
        t.executor.advance(milliseconds(60));
        CHECK(t.requests.size() == 2);
        s.reset();  // with a tick timer and the hub's timeout still pending
        t.executor.advance(milliseconds(500));
        CHECK(t.requests.size() == 2);
    }
}

TEST_CASE("rules with a non-positive interval or timeout are refused") {
    TestHub t;
    CHECK_THROWS_AS(t.scheduler({rule("*", 0, 0)}), std::invalid_argument);
    CHECK_THROWS_AS(t.scheduler({rule("*", 10, 0, 0)}), std::invalid_argument);
    CHECK_THROWS_AS(t.scheduler({rule("*", 10, -1)}), std::invalid_argument);
}
