// replay_scenario: the harness side of the disk-replay benchmark (see the header). Two phases,
// each its own io_context on this thread: Fill (C crab WireClients, each keeping kWindowBatches
// batches unacked) against the first hub, then Replay (one subscriber WireClient) against a second
// hub on the same data dir. Events are checked by scanning `"hub_seq":N` in each frame: the
// stored envelope starts with hub_seq, so every event carries exactly one.
#include "bench/replay_scenario.hpp"

// Standard headers first: Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "bench/deadline.hpp"
#include "bench/hub_launcher.hpp"
#include "bench/messages.hpp"
#include "bench/payload.hpp"
#include "bench/run_dir.hpp"
#include "bench/ws_wire.hpp"

namespace octopus::bench {

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct ReplayOptions {
    long snapshots = 1000000;
    int crabs = 10;
    std::string hub_bin;
};

// Every field but `error` is a key of the JSON result line.
struct ReplayResult {
    long snapshots = 0;
    int crabs = 0;
    double fill_s = 0, fill_per_s = 0;  // first connect -> last ack
    std::uint64_t replayed = 0;         // events seen in hub_seq order, no gap, no duplicate
    double subscribed_ms = 0;           // subscribe sent -> "subscribed"
    double first_event_ms = 0;          // subscribe sent -> first event
    double replay_s = 0;                // "subscribed" -> last event
    double replayed_per_s = 0;
    double hub_cpu_s = 0;  // the restarted hub during the replay (start-up recovery not counted)
    long hub_peak_rss_kib = 0;
    std::string error;  // empty when every phase went as planned
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ReplayResult, snapshots, crabs, fill_s, fill_per_s, replayed,
                                   subscribed_ms, first_event_ms, replay_s, replayed_per_s,
                                   hub_cpu_s, hub_peak_rss_kib)

std::string table(const ReplayResult& r) {
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "octopus-bench replay: %ld snapshots from %d crabs, replayed from disk\n%s"
                  "  fill             %.2f s, %.0f snapshots/s (fsync never)\n"
                  "  replayed         %llu / %ld in %.2f s, %.0f events/s\n"
                  "  subscribed after %.1f ms, first event after %.1f ms\n"
                  "  hub cpu          %.2f s (user+sys, restarted hub, during the replay)\n"
                  "  hub peak rss     %ld KiB\n",
                  r.snapshots, r.crabs, machine_line().c_str(), r.fill_s, r.fill_per_s,
                  static_cast<unsigned long long>(r.replayed), r.snapshots, r.replay_s,
                  r.replayed_per_s, r.subscribed_ms, r.first_event_ms, r.hub_cpu_s,
                  r.hub_peak_rss_kib);
    return buf;
}

// ~170-byte items: 300 make a ~51 KB frame, under the hub's default max_frame_bytes (64 KiB).
constexpr std::uint64_t kBatchItems = 300;
constexpr std::uint64_t kWindowBatches = 4;  // unacked batches per crab: keeps the disk writer fed
constexpr auto kPhaseBase = std::chrono::seconds(30);
constexpr auto kFillPerSnapshot = std::chrono::microseconds(100);
constexpr auto kReplayPerEvent = std::chrono::microseconds(200);

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

struct FillCrab {
    std::shared_ptr<WireClient> ws;
    std::uint64_t share = 0;  // snapshots this crab stores: seqs 1..share
    std::uint64_t sent = 0, acked = 0;
};

struct Fill {
    Fill(const ReplayOptions& o, std::uint16_t p) : port(p) {
        auto count = static_cast<std::uint64_t>(o.crabs);
        auto total = static_cast<std::uint64_t>(o.snapshots);
        for (std::uint64_t i = 0; i < count; ++i)
            crabs.push_back(
                {std::make_shared<WireClient>(io), total / count + (i < total % count)});
        deadline.arm(kPhaseBase + kFillPerSnapshot * o.snapshots, "the fill did not complete",
                     [this](const std::string& e) { fail(e); });
    }

    void start() {
        started = Clock::now();
        for (std::size_t i = 0; i < crabs.size(); ++i)
            crabs[i].ws->open(
                port, "/v1/crab", hello_message(bench_crab_name(static_cast<int>(i))),
                [this, i](std::string_view m) { on_message(crabs[i], m); },
                [this, i](const std::string& e) { fail("crab " + std::to_string(i) + ": " + e); });
    }

    void on_message(FillCrab& c, std::string_view m) {
        if (is_welcome(m)) return pump(c);
        auto seq = ack_seq(m);
        if (!seq || *seq > c.sent) return fail("unexpected " + std::string(m.substr(0, 300)));
        bool was_done = c.acked == c.share;
        c.acked = std::max(c.acked, *seq);
        if (!was_done && c.acked == c.share && ++done == crabs.size()) return finish();
        pump(c);
    }

    void pump(FillCrab& c) {
        while (c.sent < c.share && c.sent - c.acked < kWindowBatches * kBatchItems) {
            std::uint64_t n = std::min(kBatchItems, c.share - c.sent);
            c.ws->send(snapshots_batch(c.sent + 1, n));
            c.sent += n;
        }
    }

    void finish() {
        finished = Clock::now();
        deadline.cancel();
        for (auto& c : crabs) c.ws->close();
    }

    void fail(const std::string& why) {
        if (error.empty()) error = why;
        finish();
    }

    std::uint16_t port;
    asio::io_context io;
    Deadline deadline{io};
    std::vector<FillCrab> crabs;
    std::size_t done = 0;
    Clock::time_point started, finished;
    std::string error;
};

struct Replay {
    Replay(const ReplayOptions& o, std::uint16_t p)
        : port(p), last(static_cast<std::uint64_t>(o.snapshots)) {
        deadline.arm(kPhaseBase + kReplayPerEvent * o.snapshots, "the replay did not complete",
                     [this](const std::string& e) { fail(e); });
    }

    void start() {
        sent = Clock::now();
        sub->open(
            port, "/v1/subscribe", subscribe_message("r", 0),
            [this](std::string_view m) { on_message(m); },
            [this](const std::string& e) { fail("subscriber: " + e); });
    }

    void on_message(std::string_view m) {
        switch (classify(m)) {
            case SubscriberFrame::subscribed:
                return on_subscribed(m);
            case SubscriberFrame::lifecycle:
                return;
            case SubscriberFrame::events:
                if (next == 1) first_event = Clock::now();
                for_each_int_field(m, kHubSeqKey, [this](std::int64_t s) { on_event(s); });
                return;
            case SubscriberFrame::gap:
            case SubscriberFrame::other:
                break;
        }
        fail("unexpected " + std::string(m.substr(0, 300)));
    }

    void on_subscribed(std::string_view m) {
        subscribed = Clock::now();
        std::uint64_t head = 0;
        for_each_int_field(m, kHubSeqKey,
                           [&head](std::int64_t s) { head = static_cast<std::uint64_t>(s); });
        if (head != last)
            fail("the restarted hub's hub_seq is " + std::to_string(head) + ", not " +
                 std::to_string(last));
    }

    void on_event(std::int64_t hub_seq) {
        if (!error.empty()) return;
        if (static_cast<std::uint64_t>(hub_seq) != next)
            return fail("expected hub_seq " + std::to_string(next) + ", got " +
                        std::to_string(hub_seq));
        if (next++ == last) finish();
    }

    void finish() {
        finished = Clock::now();
        deadline.cancel();
        sub->close();
    }

    void fail(const std::string& why) {
        if (error.empty()) error = why;
        finish();
    }

    std::uint16_t port;
    std::uint64_t last;      // the hub_seq that completes the replay
    std::uint64_t next = 1;  // the hub_seq the next event must carry
    asio::io_context io;
    Deadline deadline{io};
    std::shared_ptr<WireClient> sub = std::make_shared<WireClient>(io);
    Clock::time_point sent, subscribed, first_event, finished;
    std::string error;
};

void stop(HubLauncher& hub, std::string& error) {
    std::string stopped = hub.stop();
    if (error.empty()) error = stopped;
}

void fill(const ReplayOptions& o, const std::string& data, ReplayResult& r) {
    HubLauncher hub(o.hub_bin, data, "never");
    Fill f(o, hub.port());
    f.start();
    f.io.run();
    r.fill_s = std::chrono::duration<double>(f.finished - f.started).count();
    r.fill_per_s = r.fill_s > 0 ? static_cast<double>(o.snapshots) / r.fill_s : 0;
    r.error = f.error;
    stop(hub, r.error);
}

void replay(const ReplayOptions& o, const std::string& data, ReplayResult& r) {
    HubLauncher hub(o.hub_bin, data, "never");
    HubUsage before = hub.usage();
    Replay p(o, hub.port());
    p.start();
    p.io.run();
    HubUsage after = hub.usage();
    r.replayed = p.next - 1;
    bool subscribed = p.subscribed > p.sent;
    r.subscribed_ms = subscribed ? ms_between(p.sent, p.subscribed) : 0;
    r.first_event_ms = r.replayed ? ms_between(p.sent, p.first_event) : 0;
    r.replay_s = subscribed ? ms_between(p.subscribed, p.finished) / 1000.0 : 0;
    r.replayed_per_s = r.replay_s > 0 ? static_cast<double>(r.replayed) / r.replay_s : 0;
    r.hub_cpu_s = after.cpu_seconds - before.cpu_seconds;
    r.hub_peak_rss_kib = after.peak_rss_kib;
    r.error = p.error;
    stop(hub, r.error);
}

// Both phases on one fresh data dir. Never throws: failures land in r.error.
void run_replay(const ReplayOptions& options, ReplayResult& r) try {
    RunDir dir;
    fill(options, dir.data(), r);
    if (r.error.empty()) replay(options, dir.data(), r);
} catch (const std::exception& e) {
    r.error = e.what();
}

}  // namespace

Report replay_scenario(Args& args) {
    ReplayOptions o;
    o.snapshots = args.integer("snapshots", o.snapshots, 1, 100000000);
    o.crabs = static_cast<int>(args.integer("crabs", o.crabs, 1, 1000));
    o.hub_bin = hub_binary(args);
    args.done();
    if (o.crabs > o.snapshots) throw UsageError("--crabs must not exceed --snapshots");
    ReplayResult r;
    r.snapshots = o.snapshots;
    r.crabs = o.crabs;
    run_replay(o, r);
    bool counts = r.replayed == static_cast<std::uint64_t>(o.snapshots);
    return finish_report(result_header("replay", "octopus", r), table(r), counts, r.error);
}

}  // namespace octopus::bench
