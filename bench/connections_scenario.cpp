// connections_scenario: the harness side of the connection-count benchmark (see the header). All
// clients are WireClients on one io_context thread; the Run below owns them and moves through three
// phases: accepting (bounded-concurrency opens), burst (one snapshot per crab) and done. The hub
// runs with a config whose max_connections fits every client, since its default (10,000) is
// below 10,000 crabs plus their subscribers.
#include "bench/connections_scenario.hpp"

#include <sys/resource.h>

// Standard headers first: Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
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

constexpr int kInFlight = 200;  // handshakes at once: far below the hub's listen backlog
constexpr int kSpareFds = 64;   // the harness's own files, pipes and the hub's listener
constexpr auto kPhaseBase = std::chrono::seconds(30);
constexpr auto kAcceptPerConnection = std::chrono::milliseconds(5);
// A crab's first snapshot makes its workspace (directories, a SQLite state.db): ~6 ms each here.
constexpr auto kBurstPerCrab = std::chrono::milliseconds(20);
constexpr auto kBurstPerDelivery = std::chrono::microseconds(2);

struct ConnectionsOptions {
    int crabs = 1000;
    int subscribers = 100;
    std::string hub_bin;
};

// Every field but `error` is a key of the JSON result line.
struct ConnectionsResult {
    int crabs = 0, subscribers = 0;
    double accept_s = 0;  // first connect -> last subscriber subscribed
    long rss_before_kib = 0, rss_after_kib = 0, hub_peak_rss_kib = 0;
    double rss_per_connection_bytes = 0;
    std::uint64_t burst_acked = 0, burst_delivered = 0, burst_expected = 0;
    double burst_s = 0;  // first burst send -> last ack and last delivery
    std::string error;   // empty when every phase went as planned
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ConnectionsResult, crabs, subscribers, accept_s, rss_before_kib,
                                   rss_after_kib, rss_per_connection_bytes, burst_acked,
                                   burst_delivered, burst_expected, burst_s, hub_peak_rss_kib)

std::string table(const ConnectionsResult& r) {
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "octopus-bench connections: %d crabs, %d subscribers\n%s"
                  "  accept all       %.2f s\n"
                  "  hub rss          %ld -> %ld KiB, %.0f bytes per connection\n"
                  "  burst acked      %llu / %d\n"
                  "  burst delivered  %llu / %llu in %.2f s\n"
                  "  hub peak rss     %ld KiB\n",
                  r.crabs, r.subscribers, machine_line().c_str(), r.accept_s, r.rss_before_kib,
                  r.rss_after_kib, r.rss_per_connection_bytes,
                  static_cast<unsigned long long>(r.burst_acked), r.crabs,
                  static_cast<unsigned long long>(r.burst_delivered),
                  static_cast<unsigned long long>(r.burst_expected), r.burst_s, r.hub_peak_rss_kib);
    return buf;
}

struct Run {
    enum class Phase { accepting, burst, done };

    Run(const ConnectionsOptions& o, HubLauncher& h)
        : options(o), hub(h), delivered(static_cast<std::size_t>(o.subscribers), 0) {}

    int total() const { return options.crabs + options.subscribers; }
    std::uint64_t expected() const {
        return static_cast<std::uint64_t>(options.crabs) *
               static_cast<std::uint64_t>(options.subscribers);
    }

    void start() {
        started = Clock::now();
        arm(kPhaseBase + kAcceptPerConnection * total(), "not every connection was accepted");
        open_more();
    }

    void arm(Clock::duration bound, const std::string& why) {
        deadline.arm(bound, why, [this](const std::string& e) { fail(e); });
    }

    // Crabs first; subscribers only once every crab is welcomed.
    void open_more() {
        while (phase == Phase::accepting && launched < total() && launched - ready < kInFlight) {
            if (launched == options.crabs && ready < options.crabs) return;
            int i = launched++;
            if (i < options.crabs)
                open_crab(i);
            else
                open_subscriber(i - options.crabs);
        }
    }

    void open_crab(int i) {
        auto c = std::make_shared<WireClient>(io);
        clients.push_back(c);
        c->open(
            hub.port(), "/v1/crab", hello_message(bench_crab_name(i)),
            [this, i](std::string_view m) { on_crab_message(i, m); },
            [this, i](const std::string& e) { fail("crab " + std::to_string(i) + ": " + e); });
    }

    void open_subscriber(int s) {
        auto c = std::make_shared<WireClient>(io);
        clients.push_back(c);
        c->open(
            hub.port(), "/v1/subscribe", subscribe_message("all", std::nullopt),
            [this, s](std::string_view m) { on_subscriber_message(s, m); },
            [this, s](const std::string& e) {
                fail("subscriber " + std::to_string(s) + ": " + e);
            });
    }

    void on_crab_message(int i, std::string_view m) {
        if (phase == Phase::accepting && is_welcome(m)) return on_ready();
        auto seq = ack_seq(m);
        if (phase != Phase::burst || seq != 1u)
            return fail("crab " + std::to_string(i) + ": unexpected " + std::string(m));
        ++acked;
        maybe_done();
    }

    void on_subscriber_message(int s, std::string_view m) {
        switch (classify(m)) {
            case SubscriberFrame::subscribed:
                return on_ready();
            case SubscriberFrame::lifecycle:
                return;
            case SubscriberFrame::events:
                return count_events(s, for_each_int_field(m, kHubSeqKey, [](std::int64_t) {}));
            case SubscriberFrame::gap:
            case SubscriberFrame::other:
                break;
        }
        fail("subscriber " + std::to_string(s) + ": unexpected " + std::string(m));
    }

    void count_events(int s, std::uint64_t events) {
        auto& mine = delivered[static_cast<std::size_t>(s)];
        mine += events;
        if (mine > static_cast<std::uint64_t>(options.crabs))
            return fail("subscriber " + std::to_string(s) + " got more events than were sent");
        if (mine == static_cast<std::uint64_t>(options.crabs)) ++complete;
        maybe_done();
    }

    void on_ready() {
        if (++ready < total()) return open_more();
        accepted = Clock::now();
        rss_after_kib = hub.usage().rss_kib;
        phase = Phase::burst;
        arm(kPhaseBase + kBurstPerCrab * options.crabs +
                kBurstPerDelivery * static_cast<long>(expected()),
            "the burst did not complete");
        for (int i = 0; i < options.crabs; ++i)
            clients[static_cast<std::size_t>(i)]->send(snapshot_message(1));
    }

    void maybe_done() {
        if (acked == static_cast<std::uint64_t>(options.crabs) && complete == options.subscribers)
            finish();
    }

    void finish() {
        if (phase == Phase::done) return;
        if (phase == Phase::burst) burst_end = Clock::now();
        phase = Phase::done;
        deadline.cancel();
        for (auto& c : clients) c->close();
    }

    void fail(const std::string& why) {
        if (phase == Phase::done) return;
        if (error.empty()) error = why;
        finish();
    }

    std::uint64_t delivered_total() const {
        std::uint64_t sum = 0;
        for (auto d : delivered) sum += d;
        return sum;
    }

    const ConnectionsOptions& options;
    HubLauncher& hub;
    asio::io_context io;
    Deadline deadline{io};
    std::vector<std::shared_ptr<WireClient>> clients;  // crabs 0..N-1, then subscribers
    std::vector<std::uint64_t> delivered;              // events per subscriber
    Phase phase = Phase::accepting;
    int launched = 0, ready = 0, complete = 0;
    std::uint64_t acked = 0;
    long rss_after_kib = 0;
    Clock::time_point started, accepted, burst_end;
    std::string error;
};

// Soft RLIMIT_NOFILE up to the hard limit; throws if that still cannot hold `needed` sockets.
void raise_fd_limit(int needed) {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) throw std::runtime_error("getrlimit failed");
    lim.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) throw std::runtime_error("setrlimit failed");
    if (lim.rlim_cur < static_cast<rlim_t>(needed + kSpareFds))
        throw std::runtime_error("the fd limit " + std::to_string(lim.rlim_cur) + " cannot hold " +
                                 std::to_string(needed) + " connections");
}

// A config whose only change from the defaults is a max_connections that fits this run.
std::string write_config(const std::string& path, int connections) {
    std::ofstream out(path);
    out << "[hub]\nmax_connections = " << std::max(10000, connections + kSpareFds) << "\n";
    if (!out) throw std::runtime_error("cannot write " + path);
    return path;
}

void record(const Run& run, ConnectionsResult& r) {
    r.accept_s = std::chrono::duration<double>(run.accepted - run.started).count();
    r.rss_after_kib = run.rss_after_kib;
    int connections = run.total();
    r.rss_per_connection_bytes =
        run.rss_after_kib > 0
            ? static_cast<double>(run.rss_after_kib - r.rss_before_kib) * 1024.0 / connections
            : 0;
    r.burst_acked = run.acked;
    r.burst_delivered = run.delivered_total();
    r.burst_expected = run.expected();
    if (run.burst_end > run.accepted)
        r.burst_s = std::chrono::duration<double>(run.burst_end - run.accepted).count();
    r.error = run.error;
}

// Starts the hub, runs every phase, stops the hub. Never throws: failures land in r.error.
void run_connections(const ConnectionsOptions& options, ConnectionsResult& r) try {
    raise_fd_limit(options.crabs + options.subscribers);
    RunDir dir;
    HubLauncher hub(
        options.hub_bin, dir.data(), "never",
        {"--config", write_config(dir.file("hub.toml"), options.crabs + options.subscribers)});
    r.rss_before_kib = hub.usage().rss_kib;
    {
        Run run(options, hub);
        run.start();
        run.io.run();
        record(run, r);
    }
    r.hub_peak_rss_kib = hub.usage().peak_rss_kib;
    std::string stopped = hub.stop();
    if (r.error.empty()) r.error = stopped;
} catch (const std::exception& e) {
    r.error = e.what();
}

}  // namespace

Report connections_scenario(Args& args) {
    ConnectionsOptions o;
    o.crabs = static_cast<int>(args.integer("crabs", o.crabs, 1, 20000));
    o.subscribers = static_cast<int>(args.integer("subscribers", o.crabs / 10, 0, 20000));
    o.hub_bin = hub_binary(args);
    args.done();
    ConnectionsResult r;
    r.crabs = o.crabs;
    r.subscribers = o.subscribers;
    run_connections(o, r);
    bool counts = r.burst_acked == static_cast<std::uint64_t>(o.crabs) &&
                  r.burst_delivered == r.burst_expected;
    return finish_report(result_header("connections", "octopus", r), table(r), counts, r.error);
}

}  // namespace octopus::bench
