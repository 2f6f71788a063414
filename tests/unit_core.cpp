// Unit: the core used in-process, without sockets: ring buffer, month partitions, workspace
// tails, and the Hub with the real disk writer driven through a hand-run executor.
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>

#include "core/glob.hpp"
#include "core/hub.hpp"
#include "core/ring_buffer.hpp"
#include "core/storage/month.hpp"
#include "core/storage/sync_pool.hpp"
#include "core/storage/workspace.hpp"
#include "harness/temp_dir.hpp"
#include "support/fixed_clock.hpp"
#include "support/records.hpp"

using namespace octopus;
using namespace octopus::core;

namespace {

// An executor run by hand on the test thread; the writer thread posts into it.
class QueueExecutor final : public Executor {
  public:
    void post(std::function<void()> fn) override {
        std::lock_guard lk(mu_);
        queue_.push_back(std::move(fn));
        cv_.notify_all();
    }
    void post_after(std::chrono::milliseconds, std::function<void()> fn) override {
        std::lock_guard lk(mu_);
        timers_.push_back(std::move(fn));
    }
    // Runs posted work until `done` holds (bounded by a timeout).
    bool run_until(const std::function<bool()>& done) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done()) {
            std::unique_lock lk(mu_);
            if (!cv_.wait_until(lk, deadline, [&] { return !queue_.empty(); })) return false;
            auto fn = std::move(queue_.front());
            queue_.pop_front();
            lk.unlock();
            fn();
        }
        return true;
    }
    void fire_timers() {
        auto timers = std::move(timers_);
        for (auto& t : timers) t();
    }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    std::vector<std::function<void()>> timers_;
};

using octopus::test::FixedClock;

struct InProcessHub {
    harness::TempDir dir;
    QueueExecutor executor;
    Metrics metrics;
    FixedClock clock;
    DiskWriter writer{{}, metrics};
    Hub hub{{dir.path(), 3, {}}, executor, writer, metrics, clock};

    InProcessHub() {
        writer.set_on_durable(
            [this](std::uint64_t h) { executor.post([this, h] { hub.on_durable(h); }); });
        writer.start();
    }
    ~InProcessHub() { writer.stop(); }
};

// An in-process crab that answers a collect by pushing a snapshot at once.
struct EchoCrab final : CrabLink {
    Hub* hub;
    std::string name;
    int value = 0;
    void disconnect(const std::string&) override {}
    void request_snapshot(const std::string& id) override {
        std::vector<protocol::Snapshot> items(1);
        items[0].values_json = "{\"v\":" + std::to_string(++value) + "}";
        items[0].tags_json = "{}";
        items[0].reply_to = id;
        hub->ingest(name, items, nullptr);
    }
};

protocol::Snapshot snap(std::uint64_t seq) {
    protocol::Snapshot s;
    s.seq = seq;
    s.values_json = "{\"n\":" + std::to_string(seq) + "}";
    s.tags_json = "{}";
    return s;
}

}  // namespace

TEST_CASE("ring buffer overwrites the oldest") {
    RingBuffer<int> ring(3);
    CHECK(ring.empty());
    for (int i = 1; i <= 5; ++i) ring.push(i);
    CHECK(ring.size() == 3);
    CHECK(ring.items() == std::vector<int>{3, 4, 5});
    CHECK(ring.newest() == 5);
    RingBuffer<int> one(1);
    one.push(1);
    one.push(2);
    CHECK(one.items() == std::vector<int>{2});
}

TEST_CASE("month partitions come from the snapshot timestamp, UTC") {
    CHECK(month_partition(1732778016.781) == "2024-11");
    CHECK(month_partition(1735689599.999) == "2024-12");  // 2024-12-31T23:59:59Z
    CHECK(month_partition(1735689600.0) == "2025-01");
    CHECK(month_partition(std::nullopt) == "unknown");
    CHECK(month_partition(12.0) == "unknown");
    CHECK(month_partition(1e12) == "unknown");
    CHECK(month_partition(-5.0) == "unknown");
}

TEST_CASE("tail lines are read back across block boundaries") {
    harness::TempDir dir;
    auto file = dir.path() / "f.jsonl";
    {
        std::ofstream out(file);
        for (int i = 0; i < 5000; ++i) out << "line-" << i << std::string(40, 'x') << "\n";
    }
    auto tail = read_tail_lines(file, 3);
    REQUIRE(tail.size() == 3);
    CHECK(tail[0].rfind("line-4997", 0) == 0);
    CHECK(tail[2].rfind("line-4999", 0) == 0);
    CHECK(read_tail_lines(file, 10000).size() == 5000);
}

TEST_CASE("the hub in-process: register, ingest, durable ack, buffer, duplicates") {
    InProcessHub t;
    auto echo = std::make_shared<EchoCrab>();
    echo->hub = &t.hub;
    echo->name = "inproc";
    REQUIRE(t.hub.register_crab("inproc", echo).ok());
    auto dup = t.hub.register_crab("inproc", echo);
    REQUIRE_FALSE(dup.ok());
    CHECK(dup.error().code == protocol::ErrorCode::duplicate_crab);
    CHECK(t.hub.register_crab("../x", echo).error().code == protocol::ErrorCode::bad_name);

    std::uint64_t acked = 0;
    std::vector<protocol::Snapshot> items{snap(1), snap(2), snap(3), snap(4)};
    t.hub.ingest("inproc", items, [&](std::uint64_t s) { acked = s; });
    CHECK(acked == 0);  // not before the disk says so
    REQUIRE(t.executor.run_until([&] { return acked == 4; }));
    auto buffer = t.hub.get_buffer("inproc");
    REQUIRE(buffer.ok());
    REQUIRE(buffer.value().size() == 3);
    CHECK(buffer.value().front()->seq == 2);
    CHECK(t.hub.durable_seq("inproc") == 4u);

    std::vector<protocol::Snapshot> again{snap(3)};
    acked = 0;
    t.hub.ingest("inproc", again, [&](std::uint64_t s) { acked = s; });
    CHECK(acked == 4);  // already durable: acknowledged at once, not stored again
    CHECK(t.hub.crab("inproc")->duplicates == 1);
    CHECK(t.hub.get_buffer("nobody").error().code == protocol::ErrorCode::unknown_crab);
}

TEST_CASE("collect_once and collect_all reach in-process crabs, offline and timeouts are errors") {
    InProcessHub t;
    auto a = std::make_shared<EchoCrab>();
    a->hub = &t.hub;
    a->name = "a";
    REQUIRE(t.hub.register_crab("a", a).ok());

    SnapshotPtr got;
    t.hub.collect_once("a", std::chrono::milliseconds(100), [&](protocol::Result<SnapshotPtr> r) {
        REQUIRE(r.ok());
        got = r.value();
    });
    REQUIRE(got);
    CHECK(got->json().find("\"reply_to\":\"c1\"") != std::string_view::npos);

    std::optional<protocol::ErrorCode> err;
    t.hub.collect_once("ghost", std::chrono::milliseconds(100),
                       [&](auto r) { err = r.error().code; });
    CHECK(err == protocol::ErrorCode::unknown_crab);
    t.hub.unregister_crab("a", a.get());
    t.hub.collect_once("a", std::chrono::milliseconds(100), [&](auto r) { err = r.error().code; });
    CHECK(err == protocol::ErrorCode::crab_offline);

    struct Silent final : CrabLink {
        void request_snapshot(const std::string&) override {}
        void disconnect(const std::string&) override {}
    };
    REQUIRE(t.hub.register_crab("a", a).ok());
    REQUIRE(t.hub.register_crab("quiet", std::make_shared<Silent>()).ok());
    std::optional<CollectAllResult> all;
    t.hub.collect_all(std::chrono::milliseconds(100),
                      [&](CollectAllResult r) { all = std::move(r); });
    CHECK_FALSE(all.has_value());
    t.executor.fire_timers();
    REQUIRE(all.has_value());
    CHECK(all->snapshots.size() == 1);
    REQUIRE(all->missing.size() == 1);
    CHECK(all->missing[0].first == "quiet");
    CHECK(all->missing[0].second.code == protocol::ErrorCode::timeout);
}

TEST_CASE("sync pool: every job of every round runs exactly once before run() returns") {
    SyncPool pool(7);
    for (std::size_t round = 0; round < 200; ++round) {
        std::size_t count = round % 37;
        std::vector<std::atomic<int>> runs(count);
        pool.run(count, [&](std::size_t i) { runs[i].fetch_add(1); });
        for (std::size_t i = 0; i < count; ++i) REQUIRE(runs[i].load() == 1);
    }
}

TEST_CASE("the disk writer keeps descriptors bounded: 1,500 workspaces in one batch") {
    harness::TempDir dir;
    Metrics metrics;
    std::mutex mu;
    std::condition_variable cv;
    std::uint64_t durable = 0;
    DiskWriter writer({FsyncPolicy::never}, metrics, [&](std::uint64_t h) {
        std::lock_guard lk(mu);
        durable = h;
        cv.notify_all();
    });
    writer.start();
    constexpr std::uint64_t kCrabs = 1500;  // beyond the writer's 1,024 open workspaces
    std::vector<std::unique_ptr<Workspace>> workspaces;
    std::vector<WriteItem> items;
    for (std::uint64_t i = 1; i <= kCrabs; ++i) {
        auto name = "c" + std::to_string(i);
        workspaces.push_back(std::make_unique<Workspace>(dir.path() / name, name));
        auto s = std::make_shared<StoredSnapshot>();
        s->hub_seq = s->seq = i;
        s->month = "2026-11";
        s->line = "{\"hub_seq\":" + std::to_string(i) + "}\n";
        items.push_back({workspaces.back().get(), s});
    }
    auto fds_before = std::distance(std::filesystem::directory_iterator("/proc/self/fd"), {});
    writer.submit(std::move(items));
    {
        std::unique_lock lk(mu);
        REQUIRE(cv.wait_for(lk, std::chrono::seconds(60), [&] { return durable == kCrabs; }));
    }
    writer.stop();  // joins the writer: its last round has released the least recent
    auto fds_after = std::distance(std::filesystem::directory_iterator("/proc/self/fd"), {});
    CHECK(fds_after - fds_before <= 2 * 1024 + 16);  // a lock and a record file per open one
    for (std::uint64_t i = 1; i <= kCrabs; ++i) {
        auto lines = test::read_lines(dir.path() / ("c" + std::to_string(i)) /
                                      "records/month=2026-11/detail.jsonl");
        REQUIRE(lines == std::vector<std::string>{"{\"hub_seq\":" + std::to_string(i) + "}"});
    }
}

TEST_CASE("glob_match: * and ?, anchored at both ends") {
    struct Case {
        const char* pattern;
        const char* name;
        bool match;
    };
    const Case cases[] = {
        {"", "", true},
        {"", "a", false},
        {"a", "", false},
        {"*", "", true},
        {"*", "anything-at.all", true},
        {"**", "x", true},
        {"?", "a", true},
        {"?", "", false},
        {"?", "ab", false},
        {"a?c", "abc", true},
        {"a?c", "ac", false},
        {"edge-*", "edge-01", true},
        {"edge-*", "edge-", true},
        {"edge-*", "edgy-01", false},
        {"*-01", "edge-01", true},
        {"*-01", "edge-011", false},
        {"a*c", "abc", true},
        {"a*c", "abcd", false},
        {"a*b*c", "aXbYbZc", true},
        {"a*b*c", "aXcYb", false},
        {"*x", "xxxx", true},
        {"*.lab", "a.b.lab", true},
        {"r?ck-*-??", "rack-7-b2", true},
        {"r?ck-*-??", "rack-7-b", false},
        {"exact", "exact", true},
        {"exact", "Exact", false},
        {"*", "*", true},
        {"*a", "*ba", true},
        {"?*?", "ab", true},
        {"?*?", "a", false},
    };
    for (const auto& c : cases) {
        CHECK_MESSAGE(glob_match(c.pattern, c.name) == c.match,
                      "pattern \"" << c.pattern << "\" name \"" << c.name << "\"");
    }
    CHECK(glob_has_wildcard("edge-*"));
    CHECK(glob_has_wildcard("a?"));
    CHECK_FALSE(glob_has_wildcard("edge-01"));
}

TEST_CASE("glob_match stays fast on a pathological pattern") {
    std::string name(20000, 'a');
    std::string pattern;
    for (int i = 0; i < 50; ++i) pattern += "*a";
    pattern += "*b";
    auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(glob_match(pattern, name));
    CHECK(glob_match(pattern.substr(0, pattern.size() - 1), name + "b"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}
