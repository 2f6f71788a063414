// ingest_scenario: the crab side of the ingest benchmark (see the header). One Crab per
// connection, all on one io_context thread: one async_write and one async_read in flight each.
// A Crab's frame is rebuilt in place with snprintf for every send (no JSON library on the hot
// path); acks are parsed by scanning for "seq": since the hub's ack shape is fixed.
#include "bench/ingest_scenario.hpp"

// Standard headers first: Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <cstdio>
#include <deque>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "bench/hub_launcher.hpp"
#include "bench/latency_stats.hpp"
#include "bench/payload.hpp"
#include "bench/run_dir.hpp"

namespace octopus::bench {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kConnectBound = std::chrono::seconds(30);  // all crabs welcomed within this
constexpr auto kDrainBound = std::chrono::seconds(10);    // final acks within this

struct Run;

struct Crab : std::enable_shared_from_this<Crab> {
    Crab(asio::io_context& io, Run& r, int i) : ws(io), run(r), index(i) {}
    void start(std::uint16_t port);
    void pump();
    void read();
    void on_message();
    void fail(const std::string& what, const beast::error_code& ec);

    websocket::stream<tcp::socket> ws;
    beast::flat_buffer buffer;
    Run& run;
    int index;
    std::string frame;
    std::deque<Clock::time_point> unacked;  // send times of seq acked_seq+1 .. next_seq-1
    std::uint64_t next_seq = 1;
    std::uint64_t acked_seq = 0;
    bool writing = false;
    bool welcomed = false;
    bool closed = false;
};

struct Run {
    asio::io_context io;
    asio::steady_timer timer{io};
    const IngestOptions& options;
    std::vector<std::shared_ptr<Crab>> crabs;
    LatencyStats latency;
    int welcomed = 0;
    bool sending = false;
    bool stopping = false;
    Clock::time_point started, last_ack;
    std::uint64_t sent = 0, acked = 0, in_flight = 0;
    std::string error;

    explicit Run(const IngestOptions& o) : options(o) {}

    void all_welcomed() {
        sending = true;
        started = last_ack = Clock::now();
        timer.expires_after(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(options.seconds)));
        timer.async_wait([this](beast::error_code ec) {
            if (!ec) stop_sending();
        });
        for (auto& c : crabs) c->pump();
    }
    void stop_sending() {
        sending = false;
        timer.expires_after(kDrainBound);
        timer.async_wait([this](beast::error_code ec) {
            if (ec) return;
            if (error.empty()) error = "final acks did not arrive within the drain bound";
            finish();
        });
        maybe_finish();
    }
    void maybe_finish() {
        if (!sending && in_flight == 0) finish();
    }
    void finish() {
        if (stopping) return;
        stopping = true;
        timer.cancel();
        for (auto& c : crabs) {
            beast::error_code ignored;
            c->closed = true;
            beast::get_lowest_layer(c->ws).close(ignored);
        }
    }
    void fail(const std::string& what) {
        if (error.empty()) error = what;
        sending = false;
        finish();
    }
};

void Crab::fail(const std::string& what, const beast::error_code& ec) {
    if (closed || run.stopping) return;
    run.fail("crab " + std::to_string(index) + ": " + what + ": " + ec.message());
}

void Crab::start(std::uint16_t port) {
    auto self = shared_from_this();
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    ws.next_layer().async_connect(ep, [self, port](beast::error_code ec) {
        if (ec) return self->fail("connect", ec);
        self->ws.next_layer().set_option(tcp::no_delay(true));
        self->ws.auto_fragment(false);
        self->ws.async_handshake(
            "127.0.0.1:" + std::to_string(port), "/v1/crab", [self](beast::error_code ec2) {
                if (ec2) return self->fail("handshake", ec2);
                char name[32];
                std::snprintf(name, sizeof name, "bench-%04d", self->index);
                self->frame = std::string(R"({"type":"hello","crab":")") + name + "\"}";
                self->writing = true;
                self->ws.async_write(asio::buffer(self->frame),
                                     [self](beast::error_code ec3, std::size_t) {
                                         self->writing = false;
                                         if (ec3) return self->fail("hello", ec3);
                                         self->pump();
                                     });
                self->read();
            });
    });
}

void Crab::pump() {
    if (writing || closed || !run.sending) return;
    if (next_seq - acked_seq > static_cast<std::uint64_t>(run.options.window)) return;
    std::uint64_t seq = next_seq++;
    char buf[256];
    int head = std::snprintf(buf, sizeof buf, R"({"type":"snapshot","seq":%llu,)",
                             static_cast<unsigned long long>(seq));
    std::size_t n = static_cast<std::size_t>(head);
    n += write_snapshot_fields(buf + n, sizeof buf - n - 1, seq, now_ns());
    buf[n++] = '}';
    frame.assign(buf, n);
    unacked.push_back(Clock::now());
    ++run.sent;
    ++run.in_flight;
    writing = true;
    auto self = shared_from_this();
    ws.async_write(asio::buffer(frame), [self](beast::error_code ec, std::size_t) {
        self->writing = false;
        if (ec) return self->fail("write", ec);
        self->pump();
    });
}

void Crab::read() {
    auto self = shared_from_this();
    ws.async_read(buffer, [self](beast::error_code ec, std::size_t) {
        if (ec) return self->fail("read", ec);
        self->on_message();
        self->buffer.consume(self->buffer.size());
        if (!self->closed) self->read();
    });
}

void Crab::on_message() {
    auto data = buffer.data();
    std::string_view text(static_cast<const char*>(data.data()), data.size());
    if (!welcomed) {
        if (text.find(R"("type":"welcome")") == std::string_view::npos) {
            run.fail("crab " + std::to_string(index) + ": expected welcome, got " +
                     std::string(text));
            return;
        }
        welcomed = true;
        if (++run.welcomed == static_cast<int>(run.crabs.size())) run.all_welcomed();
        return;
    }
    if (text.find(R"("type":"ack")") == std::string_view::npos) {
        run.fail("crab " + std::to_string(index) + ": unexpected message " + std::string(text));
        return;
    }
    auto at = text.find(R"("seq":)");
    if (at == std::string_view::npos) return run.fail("ack without seq: " + std::string(text));
    std::uint64_t seq = std::strtoull(text.data() + at + 6, nullptr, 10);
    auto now = Clock::now();
    while (acked_seq < seq && !unacked.empty()) {
        run.latency.add(now - unacked.front());
        unacked.pop_front();
        ++acked_seq;
        ++run.acked;
        --run.in_flight;
        run.last_ack = now;
    }
    pump();
    run.maybe_finish();
}

}  // namespace

IngestResult ingest_result_for(const IngestOptions& options) {
    IngestResult r;
    r.crabs = options.crabs;
    r.window = options.window;
    r.seconds = options.seconds;
    r.fsync = options.fsync;
    r.nproc = machine_nproc();
    r.cpu_model = machine_cpu_model();
    return r;
}

IngestResult run_ingest(const IngestOptions& options) {
    IngestResult r = ingest_result_for(options);
    try {
        RunDir dir;
        HubLauncher hub(options.hub_bin, dir.data(), options.fsync);
        HubUsage before = hub.usage();
        {
            Run run(options);
            run.latency.reserve(1 << 20);
            for (int i = 0; i < options.crabs; ++i)
                run.crabs.push_back(std::make_shared<Crab>(run.io, run, i));
            run.timer.expires_after(kConnectBound);
            run.timer.async_wait([&run](beast::error_code ec) {
                if (!ec) run.fail("crabs were not all welcomed within the connect bound");
            });
            for (auto& c : run.crabs) c->start(hub.port());
            run.io.run();
            r.sent = run.sent;
            r.acked = run.acked;
            r.elapsed_s = std::chrono::duration<double>(run.last_ack - run.started).count();
            r.acked_per_s = r.elapsed_s > 0 ? static_cast<double>(r.acked) / r.elapsed_s : 0;
            run.latency.report_into(r);
            r.error = run.error;
        }
        HubUsage after = hub.usage();
        r.hub_cpu_s = after.cpu_seconds - before.cpu_seconds;
        r.hub_peak_rss_kib = after.peak_rss_kib;
        std::string stopped = hub.stop();
        if (r.error.empty()) r.error = stopped;
    } catch (const std::exception& e) {
        r.error = e.what();
    }
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
    return finish_report(std::move(j), buf, r.sent == r.acked, r.error);
}

Report ingest_scenario(Args& args) {
    IngestOptions o = ingest_load_options(args);
    o.hub_bin = hub_binary(args);
    args.done();
    return ingest_report(run_ingest(o), "octopus", nlohmann::json::object());
}

}  // namespace octopus::bench
