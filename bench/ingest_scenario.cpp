// ingest_scenario: the crab side of the ingest benchmark (see the header). One LoadCrab per
// connection, all on one io_context thread. After each read a crab appends every snapshot its
// window allows to its output buffer and flushes them in one write; every ack of a read is parsed
// before that, so a window's worth of frames costs one syscall each way.
#include "bench/ingest_scenario.hpp"

// Standard headers first: Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <cstdio>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench/client_usage.hpp"
#include "bench/hub_launcher.hpp"
#include "bench/latency_stats.hpp"
#include "bench/run_links.hpp"

namespace octopus::bench {

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr auto kConnectBound = std::chrono::seconds(30);  // all welcomed/subscribed within this
constexpr auto kDrainBound = std::chrono::seconds(10);    // final acks within this

struct WindowedCrab {
    WindowedCrab(asio::io_context& io, LoadCrabEvents& sink, int index) : link(io, sink, index) {}
    LoadCrab link;
    std::deque<Clock::time_point> unacked;  // send times of seq acked_seq+1 .. next_seq-1
    std::uint64_t next_seq = 1;
    std::uint64_t acked_seq = 0;
};

struct Run final : LoadCrabEvents, LoadSubscriberEvents {
    asio::io_context io;
    asio::steady_timer timer{io};
    const IngestOptions& options;
    RunLinks<WindowedCrab> links;  // the crabs and the idle subscribers
    LatencyStats latency;
    int ready = 0;  // crabs welcomed plus idle subscribers subscribed
    bool sending = false;
    bool draining = false;  // sending is over; waiting for the final acks
    bool stopping = false;
    Clock::time_point started, last_ack;
    std::uint64_t sent = 0, acked_total = 0, in_flight = 0;
    std::string error;

    explicit Run(const IngestOptions& o) : options(o) {}

    void start(std::uint16_t port) {
        links.create(io, *this, options.crabs, options.idle_subscribers, true);
        timer.expires_after(kConnectBound);
        timer.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) failed("crabs and subscribers were not all ready within the connect bound");
        });
        links.open(port);
    }
    void one_ready() {
        if (++ready < links.size()) return;
        sending = true;
        started = last_ack = Clock::now();
        timer.expires_after(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(options.seconds)));
        timer.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) stop_sending();
        });
        for (auto& c : links.crabs()) pump(*c);
    }
    void pump(WindowedCrab& c) {
        auto window = static_cast<std::uint64_t>(options.window);
        while (sending && c.next_seq - c.acked_seq <= window && c.link.push(c.next_seq)) {
            ++c.next_seq;
            c.unacked.push_back(Clock::now());
            ++sent;
            ++in_flight;
        }
        c.link.flush();
    }
    void stop_sending() {
        sending = false;
        draining = true;
        timer.expires_after(kDrainBound);
        timer.async_wait([this](const boost::system::error_code& ec) {
            if (ec) return;
            if (error.empty()) error = "final acks did not arrive within the drain bound";
            finish();
        });
        maybe_finish();
    }
    void maybe_finish() {
        if (draining && in_flight == 0) finish();
    }
    void finish() {
        if (stopping) return;
        stopping = true;
        timer.cancel();
        links.close();
    }

    void welcomed(LoadCrab&) override { one_ready(); }
    void acked(LoadCrab& link, std::uint64_t seq) override {
        WindowedCrab& c = links.crab(link);
        auto now = Clock::now();
        while (c.acked_seq < seq && !c.unacked.empty()) {
            latency.add(now - c.unacked.front());
            c.unacked.pop_front();
            ++c.acked_seq;
            ++acked_total;
            --in_flight;
            last_ack = now;
        }
    }
    void read_end(LoadCrab& link) override {
        pump(links.crab(link));
        maybe_finish();
    }
    void subscribed() override { one_ready(); }
    void delivered(std::int64_t, std::int64_t) override {}
    void missed(std::uint64_t) override {}
    void read_end() override {}
    void failed(const std::string& what) override {
        if (error.empty()) error = what;
        sending = false;
        finish();
    }
};

}  // namespace

IngestResult ingest_result_for(const IngestOptions& options) {
    IngestResult r;
    r.crabs = options.crabs;
    r.window = options.window;
    r.seconds = options.seconds;
    r.fsync = options.fsync;
    r.idle_subscribers = options.idle_subscribers;
    r.nproc = machine_nproc();
    r.cpu_model = machine_cpu_model();
    return r;
}

// N rules over every crab, each evaluated on every snapshot and none ever firing: a threshold
// on the payload's cpu, and a rate over memory that keeps a 60 s history per crab.
std::string quiet_alert_rules(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) {
        out += "[[rule]]\nname = \"quiet-" + std::to_string(i) + "\"\nwhen = \"cpu > " +
               std::to_string(1000 + i) + " or rate(memory, 60s) > 1e9\"\nhooks = [\"log\"]\n";
    }
    return out;
}

IngestResult run_ingest(const IngestOptions& options) {
    IngestResult r = ingest_result_for(options);
    r.alert_rules = options.alert_rules;
    HubRun hub = run_against_hub(
        options.hub_bin, options.fsync, "",
        [&](std::uint16_t port) {
            Run run(options);
            run.latency.reserve(1 << 20);
            run.start(port);
            run.io.run();
            r.sent = run.sent;
            r.acked = run.acked_total;
            r.elapsed_s = std::chrono::duration<double>(run.last_ack - run.started).count();
            r.acked_per_s = r.elapsed_s > 0 ? static_cast<double>(r.acked) / r.elapsed_s : 0;
            run.latency.report_into(r);
            return run.error;
        },
        quiet_alert_rules(options.alert_rules), options.tls);
    r.hub_cpu_s = hub.cpu_s;
    r.hub_peak_rss_kib = hub.peak_rss_kib;
    r.error = hub.error;
    return r;
}

IngestOptions ingest_load_options(Args& args) {
    IngestOptions o;
    o.crabs = static_cast<int>(args.integer("crabs", o.crabs, 1, 20000));
    o.window = static_cast<int>(args.integer("window", o.window, 1, 100000));
    o.seconds = args.number("seconds", o.seconds, 0.1, 3600);
    o.fsync = args.choice("fsync", o.fsync, {"always", "interval", "never"});
    return o;
}

Report ingest_report(const IngestResult& r, const std::string& target,
                     const nlohmann::json& extra) {
    nlohmann::json j = result_header("ingest", target);
    j.update({{"crabs", r.crabs},
              {"window", r.window},
              {"seconds", r.seconds},
              {"fsync", r.fsync},
              {"sent", r.sent},
              {"acked", r.acked},
              {"elapsed_s", r.elapsed_s},
              {"acked_per_s", r.acked_per_s},
              {"latency_p50_us", r.p50_us},
              {"latency_p99_us", r.p99_us},
              {"latency_p999_us", r.p999_us},
              {"hub_cpu_s", r.hub_cpu_s},
              {"hub_peak_rss_kib", r.hub_peak_rss_kib}});
    j.update(extra);
    auto client = client_usage(r.elapsed_s);
    j.update(client_fields(client));
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "octopus-bench ingest (%s): %d crabs, window %d, %.1f s, fsync %s\n"
                  "  machine          %u cpus, %s\n"
                  "  sent / acked     %llu / %llu\n"
                  "  acked/s          %.0f\n"
                  "  ack latency us   p50 %.0f  p99 %.0f  p99.9 %.0f\n"
                  "  server cpu       %.2f s (user+sys)\n"
                  "  server peak rss  %ld KiB\n",
                  target.c_str(), r.crabs, r.window, r.seconds, r.fsync.c_str(), r.nproc,
                  r.cpu_model.c_str(), static_cast<unsigned long long>(r.sent),
                  static_cast<unsigned long long>(r.acked), r.acked_per_s, r.p50_us, r.p99_us,
                  r.p999_us, r.hub_cpu_s, r.hub_peak_rss_kib);
    std::string table = buf + client_line(client);
    if (r.idle_subscribers > 0)
        table += "  idle subscribers " + std::to_string(r.idle_subscribers) + " (never read)\n";
    if (r.alert_rules > 0)
        table +=
            "  alert rules      " + std::to_string(r.alert_rules) + " (every crab, never firing)\n";
    return finish_report(std::move(j), std::move(table), r.sent == r.acked, r.error);
}

Report ingest_scenario(Args& args) {
    IngestOptions o = ingest_load_options(args);
    o.idle_subscribers = static_cast<int>(args.integer("idle-subscribers", 0, 0, 10000));
    o.alert_rules = static_cast<int>(args.integer("alert-rules", 0, 0, 1000));
    o.hub_bin = hub_binary(args);
    o.tls = args.has("tls");
    args.done();
    IngestResult r = run_ingest(o);
    return ingest_report(
        r, o.tls ? "octopus+tls" : "octopus",
        {{"idle_subscribers", r.idle_subscribers}, {"alert_rules", r.alert_rules}});
}

}  // namespace octopus::bench
