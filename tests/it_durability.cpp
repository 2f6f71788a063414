// Integration: durability is tested by killing the process, not by reasoning. kill -9 under
// load, torn tails, lost or corrupt state.db, the data-dir lock, clean SIGTERM shutdown and the
// offline workspace commands.
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "support/hub_process.hpp"
#include "support/records.hpp"
#include "support/ws_client.hpp"

using namespace octopus::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string snapshot(std::uint64_t seq) {
    return R"({"type":"snapshot","seq":)" + std::to_string(seq) + R"(,"timestamp":)" +
           std::to_string(1732778016 + seq) + R"(,"values":{"n":)" + std::to_string(seq) + "}}";
}

void push(std::uint16_t port, const std::string& crab, std::uint64_t from, std::uint64_t to) {
    WsClient c(port);
    c.hello(crab);
    for (auto s = from; s <= to; ++s) c.send(snapshot(s));
    c.wait_ack(to);
}

// Counts crabs that reached their target so the test can wait for the event, not sleep.
struct Progress {
    std::mutex mu;
    std::condition_variable cv;
    int reached = 0;

    void arrive() {
        std::lock_guard lk(mu);
        ++reached;
        cv.notify_all();
    }
    bool wait(int n) {
        std::unique_lock lk(mu);
        return cv.wait_for(lk, std::chrono::seconds(60), [&] { return reached >= n; });
    }
};

// A crab that keeps 32 snapshots in flight until its connection dies; remembers the highest
// acknowledged seq and reports once it passes `target`.
struct LoadCrab {
    std::string name;
    std::atomic<std::uint64_t> acked{0};
    std::thread thread;

    void run(std::uint16_t port, Progress& progress, std::uint64_t target) {
        thread = std::thread([this, port, &progress, target] {
            try {
                WsClient c(port);
                c.hello(name);
                std::uint64_t sent = 0;
                for (; sent < 32; ++sent) c.send(snapshot(sent + 1));
                for (int i = 0; i < 100000; ++i) {
                    auto msg = c.recv_json(std::chrono::seconds(5));
                    if (msg["type"] != "ack") continue;
                    bool before = acked < target;
                    acked = msg["seq"].get<std::uint64_t>();
                    if (before && acked >= target) progress.arrive();
                    while (sent < acked + 32) c.send(snapshot(++sent));
                }
            } catch (const std::exception&) {
                // The hub was killed: this is the end of the load.
            }
        });
    }
};

void check_exactly_once(const std::vector<json>& rows, std::uint64_t acked,
                        std::set<std::uint64_t>& hub_seqs) {
    REQUIRE(rows.size() >= acked);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CHECK(rows[i]["seq"] == i + 1);
        CHECK(hub_seqs.insert(rows[i]["hub_seq"].get<std::uint64_t>()).second);
    }
}

}  // namespace

TEST_CASE("kill -9 under load: every acked snapshot survives exactly once and crabs resume") {
    TempDir dir;
    constexpr int kCrabs = 8;
    std::vector<std::unique_ptr<LoadCrab>> crabs;
    {
        HubProcess hub(dir.path());
        Progress progress;
        for (int i = 0; i < kCrabs; ++i) {
            crabs.push_back(std::make_unique<LoadCrab>());
            crabs.back()->name = "load-" + std::to_string(i);
            crabs.back()->run(hub.port(), progress, 300);
        }
        // Kill mid-stream, once every crab has had 300 snapshots acknowledged.
        CHECK(progress.wait(kCrabs));
        hub.kill9();
        for (auto& c : crabs) c->thread.join();
    }
    HubProcess hub(dir.path());
    std::set<std::uint64_t> hub_seqs;
    for (auto& c : crabs) {
        CAPTURE(c->name);
        CHECK(c->acked > 0);
        auto rows = stored(dir.path(), c->name);
        check_exactly_once(rows, c->acked, hub_seqs);
        WsClient again(hub.port());
        auto welcome = again.hello(c->name);
        CHECK(welcome["last_seq"].get<std::uint64_t>() == rows.size());
        auto buffer = http_json(hub.port(), "GET", "/v1/crabs/" + c->name + "/buffer");
        CHECK(buffer.size() == std::min<std::size_t>(100, rows.size()));
        CHECK(buffer.back()["seq"] == rows.size());
        // Resume: the next seq is stored with a hub_seq above everything before the crash.
        again.send(snapshot(rows.size() + 1));
        again.wait_ack(rows.size() + 1);
        auto after = http_json(hub.port(), "GET", "/v1/crabs/" + c->name + "/buffer");
        CHECK(after.back()["hub_seq"].get<std::uint64_t>() > *hub_seqs.rbegin());
    }
}

namespace {

// What one live subscriber saw across crashes: hub_seq -> "crab/seq". A hub_seq seen twice
// must name the same snapshot both times.
struct LiveView {
    std::mutex mu;
    std::condition_variable cv;
    std::map<std::uint64_t, std::string> seen;
    std::uint64_t renamed = 0;  // a hub_seq seen live for two different snapshots
    std::uint64_t events = 0;

    void record(const json& envelope) {
        std::lock_guard lk(mu);
        auto id = envelope["crab"].get<std::string>() + "/" +
                  std::to_string(envelope["seq"].get<std::uint64_t>());
        auto [it, added] = seen.emplace(envelope["hub_seq"].get<std::uint64_t>(), id);
        if (!added && it->second != id) ++renamed;
        ++events;
        cv.notify_all();
    }
    bool wait_events(std::uint64_t n) {
        std::unique_lock lk(mu);
        return cv.wait_for(lk, std::chrono::seconds(60), [&] { return events >= n; });
    }
};

// Subscribes to every crab from "now" and records live events until the hub dies.
std::thread live_subscriber(std::uint16_t port, LiveView& view, std::promise<void>& ready) {
    return std::thread([port, &view, &ready] {
        try {
            WsClient sub(port, "/v1/subscribe");
            sub.send(R"({"type":"subscribe","id":"live","crabs":["*"]})");
            sub.recv_type("subscribed");
            ready.set_value();
            for (;;) {
                auto msg = sub.recv_json(std::chrono::seconds(5));
                if (msg["type"] == "snapshot") view.record(msg);
                if (msg["type"] == "snapshots")
                    for (const auto& item : msg["items"]) view.record(item);
            }
        } catch (const std::exception&) {
            // The hub was killed.
        }
    });
}

// A crab that resumes after welcome.last_seq and keeps 64 snapshots in flight until killed.
std::thread pipelining_crab(std::uint16_t port, const std::string& name,
                            std::atomic<std::uint64_t>& acked) {
    return std::thread([port, name, &acked] {
        try {
            WsClient c(port);
            auto welcome = c.hello(name);
            std::uint64_t sent =
                welcome["last_seq"].is_null() ? 0 : welcome["last_seq"].get<std::uint64_t>();
            for (std::uint64_t base = sent; sent < base + 64;) c.send(snapshot(++sent));
            for (;;) {
                auto msg = c.recv_json(std::chrono::seconds(5));
                if (msg["type"] != "ack") continue;
                acked = std::max<std::uint64_t>(acked, msg["seq"].get<std::uint64_t>());
                while (sent < acked + 64) c.send(snapshot(++sent));
            }
        } catch (const std::exception&) {
            // The hub was killed.
        }
    });
}

int crash_rounds() {
    const char* env = std::getenv("OCTOPUS_CRASH_ROUNDS");
    return env ? std::max(1, std::atoi(env)) : 4;
}

// 8 pipelining crabs and a live subscriber through repeated kill -9, then: no hub_seq ever
// named two snapshots (live, or live against the files), and every acked snapshot is stored
// exactly once.
void hub_seq_survives_crashes(const char* policy) {
    TempDir dir;
    constexpr int kCrabs = 8;
    LiveView view;
    std::vector<std::atomic<std::uint64_t>> acked(kCrabs);
    const int rounds = crash_rounds();
    for (int round = 0; round < rounds; ++round) {
        HubProcess hub(dir.path(), policy);
        std::promise<void> ready;
        auto sub = live_subscriber(hub.port(), view, ready);
        ready.get_future().wait();
        std::vector<std::thread> crabs;
        for (int i = 0; i < kCrabs; ++i)
            crabs.push_back(pipelining_crab(hub.port(), "c" + std::to_string(i), acked[i]));
        // Kill at a different depth of the load each round.
        std::uint64_t start = 0;
        {
            std::lock_guard lk(view.mu);
            start = view.events;
        }
        CHECK(view.wait_events(start + 800 + 700 * static_cast<std::uint64_t>(round % 4)));
        hub.kill9();
        for (auto& t : crabs) t.join();
        sub.join();
    }
    HubProcess hub(dir.path(), policy);
    std::map<std::uint64_t, std::string> on_disk;
    std::uint64_t renamed_vs_files = 0, stored_total = 0;
    for (int i = 0; i < kCrabs; ++i) {
        auto name = "c" + std::to_string(i);
        CAPTURE(name);
        auto rows = stored(dir.path(), name);
        REQUIRE(rows.size() >= acked[i]);
        for (std::size_t r = 0; r < rows.size(); ++r) {
            CHECK(rows[r]["seq"] == r + 1);  // every seq once, none missing
            auto id = name + "/" + std::to_string(r + 1);
            CHECK(on_disk.emplace(rows[r]["hub_seq"].get<std::uint64_t>(), id).second);
        }
        stored_total += rows.size();
    }
    for (const auto& [hub_seq, id] : view.seen) {
        auto it = on_disk.find(hub_seq);
        if (it != on_disk.end() && it->second != id) ++renamed_vs_files;
    }
    MESSAGE(std::string(policy) << ": " << rounds << " kill -9 rounds, " << view.events
                                << " live events, " << stored_total
                                << " stored; hub_seqs re-assigned: " << renamed_vs_files
                                << " against the files, " << view.renamed
                                << " between live events");
    CHECK(renamed_vs_files == 0);
    CHECK(view.renamed == 0);
}

}  // namespace

TEST_CASE("a hub_seq never names two snapshots across kill -9 rounds, fsync always") {
    hub_seq_survives_crashes("always");
}

TEST_CASE("a hub_seq never names two snapshots across kill -9 rounds, fsync interval") {
    hub_seq_survives_crashes("interval");
}

TEST_CASE("a hub_seq never names two snapshots across kill -9 rounds, fsync never") {
    hub_seq_survives_crashes("never");
}

TEST_CASE("acked snapshots survive kill -9 under every fsync policy") {
    for (const char* policy : {"always", "interval", "never"}) {
        CAPTURE(policy);
        TempDir dir;
        {
            HubProcess hub(dir.path(), policy);
            push(hub.port(), "p", 1, 200);
            hub.kill9();
        }
        HubProcess hub(dir.path(), policy);
        CHECK(stored(dir.path(), "p").size() == 200);
        WsClient c(hub.port());
        CHECK(c.hello("p")["last_seq"] == 200);
    }
}

TEST_CASE("a deleted or corrupt state.db is rebuilt from the records") {
    for (bool corrupt : {false, true}) {
        CAPTURE(corrupt);
        TempDir dir;
        {
            HubProcess hub(dir.path());
            push(hub.port(), "s", 1, 30);
            CHECK(hub.terminate() == 0);
        }
        auto db = dir.path() / "s/state.db";
        if (corrupt) {
            std::ofstream(db, std::ios::trunc) << "this is not an sqlite database, not at all";
        } else {
            fs::remove(db);
        }
        HubProcess hub(dir.path());
        WsClient c(hub.port());
        CHECK(c.hello("s")["last_seq"] == 30);
        CHECK(http_json(hub.port(), "GET", "/v1/crabs/s/buffer").size() == 30);
        c.send(snapshot(31));
        c.wait_ack(31);
        auto rows = stored(dir.path(), "s");
        REQUIRE(rows.size() == 31);
        CHECK(rows[30]["hub_seq"] == 31);
        CHECK(fs::exists(db));
    }
}

TEST_CASE("a torn last line is cut, kept aside under manifests/, and never parsed") {
    TempDir dir;
    {
        HubProcess hub(dir.path());
        push(hub.port(), "t", 1, 5);
        CHECK(hub.terminate() == 0);
    }
    auto file = dir.path() / "t/records/month=2024-11/detail.jsonl";
    REQUIRE(fs::exists(file));
    const std::string torn = R"({"hub_seq":999,"crab":"t","seq":6,"rece)";
    std::ofstream(file, std::ios::app) << torn;
    HubProcess hub(dir.path());
    WsClient c(hub.port());
    CHECK(c.hello("t")["last_seq"] == 5);
    c.send(snapshot(6));
    c.wait_ack(6);
    auto lines = read_lines(file);
    REQUIRE(lines.size() == 6);
    for (const auto& line : lines) CHECK_NOTHROW(json::parse(line));
    CHECK(json::parse(lines[5])["hub_seq"] == 6);
    std::ifstream aside(dir.path() / "t/manifests/torn.jsonl");
    std::string kept((std::istreambuf_iterator<char>(aside)), std::istreambuf_iterator<char>());
    CHECK(kept.find(torn) != std::string::npos);
}

TEST_CASE("a second hub on the same data dir is refused with a clear error") {
    TempDir dir;
    HubProcess hub(dir.path());
    auto second = run_command({(bin_dir() / "octopus").string(), "serve", "--listen", "127.0.0.1:0",
                               "--data", dir.path().string(), "--no-local-crab"});
    CHECK(second.exit_code == 1);
    CHECK(second.output.find("in use by another octopus process") != std::string::npos);
    push(hub.port(), "still", 1, 1);
}

TEST_CASE("SIGTERM closes crab sessions with 1001, flushes and exits 0") {
    TempDir dir;
    HubProcess hub(dir.path());
    WsClient c(hub.port());
    c.hello("leaver");
    c.send(snapshot(1));
    c.wait_ack(1);
    // A crab is always reading; this one reads while the hub shuts down around it.
    auto closed = std::async(std::launch::async, [&c] { return c.recv(std::chrono::seconds(20)); });
    CHECK(hub.terminate() == 0);
    CHECK_FALSE(closed.get().has_value());
    CHECK(c.close_code() == 1001);
    CHECK(hub.process().output().find("stopped cleanly") != std::string::npos);
    HubProcess again(dir.path());
    WsClient back(again.port());
    CHECK(back.hello("leaver")["last_seq"] == 1);
}

TEST_CASE("octopus rebuild-state and octopus records work offline") {
    TempDir dir;
    {
        HubProcess hub(dir.path());
        push(hub.port(), "r", 1, 10);
        CHECK(hub.terminate() == 0);
    }
    auto octopus = (bin_dir() / "octopus").string();
    auto rebuilt = run_command({octopus, "rebuild-state", "--data", dir.path().string()});
    CHECK(rebuilt.exit_code == 0);
    CHECK(rebuilt.output.find("r: 10 records, last seq 10, last hub_seq 10") != std::string::npos);

    auto all = run_command({octopus, "records", "--data", dir.path().string(), "r"});
    CHECK(all.exit_code == 0);
    auto window =
        run_command({octopus, "records", "--data", dir.path().string(), "r", "--since",
                     std::to_string(1732778016 + 4), "--until", std::to_string(1732778016 + 8)});
    std::vector<json> rows;
    std::istringstream in(window.output);
    for (std::string line; std::getline(in, line);) rows.push_back(json::parse(line));
    REQUIRE(rows.size() == 4);
    CHECK(rows.front()["seq"] == 4);
    CHECK(rows.back()["seq"] == 7);
    CHECK(std::count(all.output.begin(), all.output.end(), '\n') == 10);

    HubProcess hub(dir.path());
    auto busy = run_command({octopus, "rebuild-state", "--data", dir.path().string()});
    CHECK(busy.exit_code == 1);
}
