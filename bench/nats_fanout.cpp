// nats_fanout: the fanout scenario against core NATS (see nats_scenarios.hpp): no JetStream,
// plain publish/subscribe. S subscriber connections each subscribe to bench.crab.> (every
// publisher), and P publisher connections share a total rate R: this thread wakes every tick,
// sends what the schedule says is due (round robin over the publishers), and catches up by at
// most kCatchUp worth of messages per tick, so a slow client shows as `behind`, never as a
// burst. Latency is now - the sent_ns inside each delivered message, on this process's clock.
// Subscribers get large pending limits, so libnats drops only when genuinely overwhelmed;
// drops = sent * S - delivered after a bounded drain, libnats' own drop count is reported too.
// Threads: libnats runs each subscription's callback on that subscription's own thread; it
// writes only its Subscriber, whose stats are read after nats_shutdown(). FanoutShared::mu only
// pairs with the `progress` condition variable.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <limits>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/client_usage.hpp"
#include "bench/fanout_scenario.hpp"
#include "bench/latency_stats.hpp"
#include "bench/nats_client.hpp"
#include "bench/nats_scenarios.hpp"
#include "bench/nats_target.hpp"
#include "bench/payload.hpp"

namespace octopus::bench {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kTick = std::chrono::milliseconds(1);
constexpr double kCatchUp = 0.010;                      // at most 10 ms of schedule per tick
constexpr auto kDrainBound = std::chrono::seconds(30);  // every delivery within this
constexpr auto kQuiet = std::chrono::seconds(2);  // no delivery for this long: the rest dropped
constexpr auto kDrainCheck = std::chrono::milliseconds(50);
constexpr std::int64_t kFlushTimeoutMs = 10000;
constexpr int kPendingMsgs = 4 * 1024 * 1024;      // per subscription, in libnats
constexpr int kPendingBytes = 1024 * 1024 * 1024;  // ~seconds of backlog at any rate we run

// What only the NATS run reports beside the shared FanoutResult (fanout_scenario.hpp).
struct NatsFanoutResult : FanoutResult {
    using FanoutResult::FanoutResult;
    std::uint64_t behind = 0;         // scheduled but not sent: the sender fell behind
    std::int64_t client_dropped = 0;  // dropped by libnats (pending limits), part of drops
    std::uint64_t slow_consumer_events = 0;
};

struct FanoutShared {
    std::mutex mu;
    std::condition_variable progress;  // a subscriber reached `target`
    std::atomic<std::uint64_t> target{std::numeric_limits<std::uint64_t>::max()};
    std::atomic<std::uint64_t> slow_consumer_events{0};
    std::atomic<std::uint64_t> disconnects{0};
};

struct Subscriber {
    Subscriber(FanoutShared& s, int i) : shared(s), index(i) {}

    FanoutShared& shared;
    const int index;
    NatsPtr<natsConnection> nc;
    NatsPtr<natsSubscription> sub;  // destroyed before nc
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::int64_t> last_ns{0};
    LatencyStats latency;  // this subscription's thread only, until nats_shutdown()
};

struct Sender {
    NatsPtr<natsConnection> nc;
    std::string subject;
    std::uint64_t seq = 0;
};

// libnats' natsMsgHandler, on the subscription's own thread; it owns `msg`.
void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto& s = *static_cast<Subscriber*>(closure);
    std::int64_t now = now_ns();
    std::string_view data(natsMsg_GetData(msg),
                          static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    for_each_sent_ns(
        data, [&](std::int64_t sent) { s.latency.add(std::chrono::nanoseconds(now - sent)); });
    natsMsg_Destroy(msg);
    s.last_ns.store(now, std::memory_order_relaxed);
    auto n = s.delivered.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n == s.shared.target.load(std::memory_order_acquire)) {
        std::lock_guard lk(s.shared.mu);
        s.shared.progress.notify_all();
    }
}

void on_error(natsConnection*, natsSubscription*, natsStatus err, void* closure) {
    if (err == NATS_SLOW_CONSUMER)
        static_cast<FanoutShared*>(closure)->slow_consumer_events.fetch_add(1);
}

void on_disconnect(natsConnection*, void* closure) {
    static_cast<FanoutShared*>(closure)->disconnects.fetch_add(1);
}

void connect_subscriber(Subscriber& s, const std::string& url, bool send_asap) {
    auto options = nats_options(url, "bench-sub-" + std::to_string(s.index), send_asap);
    nats_check(natsOptions_SetErrorHandler(options.get(), on_error, &s.shared), "error handler");
    nats_check(natsOptions_SetDisconnectedCB(options.get(), on_disconnect, &s.shared),
               "disconnected handler");
    s.nc = nats_connect(options.get());
    natsSubscription* raw = nullptr;
    nats_check(natsConnection_Subscribe(&raw, s.nc.get(), "bench.crab.>", on_message, &s),
               "subscribe");
    s.sub.reset(raw);
    nats_check(natsSubscription_SetPendingLimits(raw, kPendingMsgs, kPendingBytes),
               "pending limits");
    // The server has the subscription once it answers this PING: no publish can miss it.
    nats_check(natsConnection_FlushTimeout(s.nc.get(), kFlushTimeoutMs), "subscribe flush");
}

Sender connect_sender(const std::string& url, bool send_asap, int index, FanoutShared& shared) {
    auto options = nats_options(url, "bench-pub-" + std::to_string(index), send_asap);
    nats_check(natsOptions_SetDisconnectedCB(options.get(), on_disconnect, &shared),
               "disconnected handler");
    return Sender{nats_connect(options.get()), "bench.crab." + std::to_string(index)};
}

void send_one(Sender& s) {
    char body[256];
    body[0] = '{';
    std::size_t n = 1 + write_snapshot_fields(body + 1, sizeof body - 2, ++s.seq, now_ns());
    body[n++] = '}';
    nats_check(natsConnection_Publish(s.nc.get(), s.subject.c_str(), body, static_cast<int>(n)),
               "publish");
}

// Sends R * seconds messages on schedule, round robin over the senders; returns how many it
// sent. `behind` is what the schedule wanted but the bounded catch-up did not send.
std::uint64_t pace(std::vector<Sender>& senders, const FanoutOptions& o, FanoutShared& shared,
                   std::uint64_t& behind) {
    const auto rate = static_cast<double>(o.rate);
    const auto cap = static_cast<std::uint64_t>(std::max(1.0, rate * kCatchUp));
    const auto start = Clock::now();
    const auto until = start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(o.seconds));
    std::uint64_t sent = 0;
    for (;;) {
        auto now = std::min(Clock::now(), until);
        auto due =
            static_cast<std::uint64_t>(std::chrono::duration<double>(now - start).count() * rate);
        for (std::uint64_t n = std::min(due - std::min(due, sent), cap); n > 0; --n, ++sent)
            send_one(senders[sent % senders.size()]);
        if (shared.disconnects.load() > 0) throw std::runtime_error("a connection was closed");
        if (now >= until) {
            behind = due - std::min(due, sent);
            return sent;
        }
        std::this_thread::sleep_until(std::min(now + kTick, until));
    }
}

std::uint64_t total_delivered(const std::vector<std::unique_ptr<Subscriber>>& subs) {
    std::uint64_t total = 0;
    for (const auto& s : subs) total += s->delivered.load(std::memory_order_relaxed);
    return total;
}

// Waits until every subscriber has `sent` messages, or nothing arrives for kQuiet (the rest was
// dropped: the counts say so), or kDrainBound passes.
std::string await_delivery(std::vector<std::unique_ptr<Subscriber>>& subs, FanoutShared& shared,
                           std::uint64_t sent) {
    shared.target.store(sent, std::memory_order_release);
    const std::uint64_t expected = sent * subs.size();
    const auto deadline = Clock::now() + kDrainBound;
    std::uint64_t last_total = 0;
    auto last_progress = Clock::now();
    std::unique_lock lk(shared.mu);
    for (;;) {
        std::uint64_t total = total_delivered(subs);
        auto now = Clock::now();
        if (total == expected) return "";
        if (total != last_total) {
            last_total = total;
            last_progress = now;
        } else if (now - last_progress > kQuiet) {
            return "";
        }
        if (now >= deadline) return "deliveries still arriving after the drain bound";
        shared.progress.wait_for(lk, kDrainCheck);
    }
}

void load(std::vector<std::unique_ptr<Subscriber>>& subs, std::vector<Sender>& senders,
          FanoutShared& shared, const FanoutOptions& o, const std::string& url, bool send_asap,
          NatsFanoutResult& r) {
    for (int i = 0; i < o.subscribers; ++i) {
        subs.push_back(std::make_unique<Subscriber>(shared, i));
        connect_subscriber(*subs.back(), url, send_asap);
    }
    for (int i = 0; i < o.crabs; ++i) senders.push_back(connect_sender(url, send_asap, i, shared));
    std::int64_t started = now_ns();
    r.sent = pace(senders, o, shared, r.behind);
    for (auto& s : senders)
        nats_check(natsConnection_FlushTimeout(s.nc.get(), kFlushTimeoutMs), "publish flush");
    r.error = await_delivery(subs, shared, r.sent);
    std::int64_t last = started;
    for (auto& s : subs) {
        last = std::max(last, s->last_ns.load());
        std::int64_t dropped = 0;
        natsSubscription_GetDropped(s->sub.get(), &dropped);
        r.client_dropped += dropped;
    }
    r.elapsed_s = static_cast<double>(last - started) / 1e9;
    if (r.error.empty() && shared.disconnects.load() > 0) r.error = "a connection was closed";
}

void collect(std::vector<std::unique_ptr<Subscriber>>& subs, std::vector<Sender>& senders,
             FanoutShared& shared, NatsFanoutResult& r) {
    for (auto& s : subs) {
        s->sub.reset();
        s->nc.reset();
    }
    senders.clear();
    std::string shutdown = nats_shutdown();
    if (r.error.empty()) r.error = shutdown;
    LatencyStats latency;
    for (auto& s : subs) {
        r.delivered += s->delivered.load();
        latency.merge(s->latency);
    }
    r.slow_consumer_events = shared.slow_consumer_events.load();
    fanout_totals(r, latency);
}

NatsFanoutResult run_nats_fanout(const FanoutOptions& o, const NatsTargetFlags& flags) {
    NatsFanoutResult r(o);
    FanoutShared shared;
    std::vector<std::unique_ptr<Subscriber>> subs;
    std::vector<Sender> senders;
    std::unique_ptr<NatsServer> server;
    try {
        server = std::make_unique<NatsServer>(flags);
        mark_load_start();
        load(subs, senders, shared, o, server->url(), flags.send_asap, r);
    } catch (const std::exception& e) {
        r.error = e.what();
    }
    collect(subs, senders, shared, r);
    NatsServerFigures figures = server ? server->finish() : NatsServerFigures{};
    r.server_cpu_s = figures.cpu_s;
    r.server_peak_rss_kib = figures.peak_rss_kib;
    if (r.error.empty()) r.error = figures.error;
    return r;
}

}  // namespace

Report nats_fanout(Args& args) {
    // ASAP: fanout runs at a fixed rate and measures latency, which libnats' 1 ms write
    // gathering would inflate (p50 ~780 us buffered vs ~280 us at 10k msg/s, 1 subscriber).
    auto flags = nats_target_flags(args, "asap");
    if (!flags) throw UsageError("nats_fanout needs --target nats://... or --spawn-nats");
    FanoutOptions o = fanout_load_options(args);
    args.done();
    NatsFanoutResult r = run_nats_fanout(o, *flags);
    const char* send = flags->send_asap ? "asap" : "buffered";
    char lines[256];
    std::snprintf(lines, sizeof lines,
                  "  behind %llu, libnats dropped %lld, slow consumer events %llu, send %s\n",
                  static_cast<unsigned long long>(r.behind),
                  static_cast<long long>(r.client_dropped),
                  static_cast<unsigned long long>(r.slow_consumer_events), send);
    return fanout_report(r, "nats",
                         {{"behind", r.behind},
                          {"client_dropped", r.client_dropped},
                          {"slow_consumer_events", r.slow_consumer_events},
                          {"nats_send", send},
                          {"server_measured", flags->spawn}},
                         lines, r.drops == 0 && r.delivered == r.expected);
}

}  // namespace octopus::bench
