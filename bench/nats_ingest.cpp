// nats_ingest: the ingest scenario against NATS JetStream (see nats_scenarios.hpp). C publisher
// connections, each with its own JetStream context, publish `{` + snapshot fields + `}` to
// bench.crab.<i> with js_PublishMsgAsync and a unique Nats-Msg-Id; stream BENCH (file storage,
// bench.crab.>) stores them. One driver thread publishes for every connection while that
// connection has fewer than W unacked, as the Octopus side does from one io_context thread.
// Threads: libnats runs each connection's ack handler on that connection's own delivery thread;
// the handler writes only its publisher's stats and atomics, and the driver reads the stats only
// after nats_shutdown(), so no stats object is ever shared. Shared::mu guards `freed` and `error`.
// Every phase is bounded. NATS 2.9's file store does not sync per message (it syncs lazily), so
// --fsync is only recorded, next to "nats_sync":"default".
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string_view>
#include <vector>

#include "bench/client_usage.hpp"
#include "bench/ingest_scenario.hpp"
#include "bench/latency_stats.hpp"
#include "bench/nats_client.hpp"
#include "bench/nats_scenarios.hpp"
#include "bench/nats_target.hpp"
#include "bench/payload.hpp"

namespace octopus::bench {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kDrainBound = std::chrono::seconds(10);  // final acks within this
constexpr const char* kStream = "BENCH";
constexpr const char* kStreamSubjects = "bench.crab.>";

struct Shared {
    std::mutex mu;
    std::condition_variable room;  // an ack freed a window slot, or a failure
    std::uint64_t freed = 0;       // acks so far; guarded by mu
    std::string error;             // the first failure; guarded by mu
    std::atomic<std::int64_t> last_ack_ns{0};

    void fail(const std::string& what) {
        {
            std::lock_guard lk(mu);
            if (error.empty()) error = what;
        }
        room.notify_all();
    }
    std::string first_error() {
        std::lock_guard lk(mu);
        return error;
    }
};

struct Publisher {
    Publisher(Shared& s, int i) : shared(s), index(i), subject("bench.crab." + std::to_string(i)) {}

    Shared& shared;
    const int index;
    const std::string subject;
    NatsPtr<natsConnection> nc;
    NatsPtr<jsCtx> js;           // destroyed before nc
    std::uint64_t next_seq = 1;  // driver thread only
    std::uint64_t sent = 0;      // driver thread only
    std::atomic<int> in_flight{0};
    std::atomic<std::uint64_t> acked{0};
    LatencyStats latency;  // ack thread only, until nats_shutdown()
};

void note_ack_time(std::atomic<std::int64_t>& last, std::int64_t now) {
    auto seen = last.load(std::memory_order_relaxed);
    while (seen < now && !last.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
}

// libnats' jsPubAckHandler: called once per published message, success or failure, on the
// publisher connection's delivery thread. It owns `msg`.
void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto& p = *static_cast<Publisher*>(closure);
    std::int64_t now = now_ns();
    std::string_view data(natsMsg_GetData(msg),
                          static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    if (pa && !pa->Duplicate) {
        for_each_sent_ns(
            data, [&](std::int64_t sent) { p.latency.add(std::chrono::nanoseconds(now - sent)); });
        p.acked.fetch_add(1, std::memory_order_relaxed);
    } else {
        std::string why = pa                    ? "acked as a duplicate"
                          : pae && pae->ErrText ? pae->ErrText
                                                : "no ack";
        p.shared.fail("publisher " + std::to_string(p.index) + ": " + why);
    }
    natsMsg_Destroy(msg);
    note_ack_time(p.shared.last_ack_ns, now);
    p.in_flight.fetch_sub(1, std::memory_order_release);
    {
        std::lock_guard lk(p.shared.mu);
        ++p.shared.freed;
    }
    p.shared.room.notify_one();
}

void connect_publisher(Publisher& p, const std::string& url, bool send_asap, int window) {
    auto options = nats_options(url, "bench-pub-" + std::to_string(p.index), send_asap);
    p.nc = nats_connect(options.get());
    jsOptions jo;
    nats_check(jsOptions_Init(&jo), "jsOptions_Init");
    // The driver keeps at most `window` unacked; libnats counts a message as pending until its
    // ack handler has returned, so window + 1 means libnats itself never stalls a publish.
    jo.PublishAsync.MaxPending = window + 1;
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = &p;
    jsCtx* js = nullptr;
    nats_check(natsConnection_JetStream(&js, p.nc.get(), &jo), "natsConnection_JetStream");
    p.js.reset(js);
}

// A fresh BENCH stream: a server given by --target may still hold one from an earlier run.
void create_stream(jsCtx* js) {
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_DeleteStream(js, kStream, nullptr, &jerr);
    if (s != NATS_NOT_FOUND) nats_check(s, "delete the old BENCH stream");
    jsStreamConfig cfg;
    nats_check(jsStreamConfig_Init(&cfg), "jsStreamConfig_Init");
    const char* subjects[] = {kStreamSubjects};
    cfg.Name = kStream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    nats_check(js_AddStream(nullptr, js, &cfg, nullptr, &jerr), "create the BENCH stream");
}

bool publish(Publisher& p, const std::string& run_id) {
    std::uint64_t seq = p.next_seq++;
    char body[256];
    body[0] = '{';
    std::size_t n = 1 + write_snapshot_fields(body + 1, sizeof body - 2, seq, now_ns());
    body[n++] = '}';
    natsMsg* raw = nullptr;
    nats_check(natsMsg_Create(&raw, p.subject.c_str(), nullptr, body, static_cast<int>(n)),
               "natsMsg_Create");
    NatsPtr<natsMsg> msg(raw);
    char id[96];
    std::snprintf(id, sizeof id, "%s-%d-%llu", run_id.c_str(), p.index,
                  static_cast<unsigned long long>(seq));
    nats_check(natsMsgHeader_Set(raw, "Nats-Msg-Id", id), "natsMsgHeader_Set");
    // Counted before the call: the ack may arrive before js_PublishMsgAsync returns.
    p.in_flight.fetch_add(1, std::memory_order_relaxed);
    natsStatus s = js_PublishMsgAsync(p.js.get(), &raw, nullptr);
    if (s != NATS_OK) {
        p.in_flight.fetch_sub(1, std::memory_order_relaxed);
        p.shared.fail("publisher " + std::to_string(p.index) +
                      ": publish: " + natsStatus_GetText(s));
        return false;
    }
    msg.release();  // libnats owns it now (and set raw to null)
    ++p.sent;
    return true;
}

// Publishes for every connection with window room until `until`; sleeps on Shared::room only
// when every window is full.
void drive(std::vector<std::unique_ptr<Publisher>>& pubs, Shared& shared, int window,
           Clock::time_point until, const std::string& run_id) {
    while (Clock::now() < until) {
        std::uint64_t seen = 0;
        {
            std::lock_guard lk(shared.mu);
            if (!shared.error.empty()) return;
            seen = shared.freed;
        }
        bool published = false;
        for (auto& p : pubs) {
            while (p->in_flight.load(std::memory_order_acquire) < window) {
                if (!publish(*p, run_id)) return;
                published = true;
            }
        }
        if (published) continue;
        std::unique_lock lk(shared.mu);
        shared.room.wait_until(lk, until,
                               [&] { return shared.freed != seen || !shared.error.empty(); });
    }
}

std::string drain(std::vector<std::unique_ptr<Publisher>>& pubs) {
    auto deadline = Clock::now() + kDrainBound;
    for (auto& p : pubs) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        jsPubOptions po;
        nats_check(jsPubOptions_Init(&po), "jsPubOptions_Init");
        po.MaxWait = std::max<std::int64_t>(1, left.count());
        if (js_PublishAsyncComplete(p->js.get(), &po) != NATS_OK)
            return "final acks did not arrive within the drain bound";
    }
    return "";
}

std::string make_run_id() {
    return std::to_string(::getpid()) + "." + std::to_string(now_ns());
}

void load(std::vector<std::unique_ptr<Publisher>>& pubs, Shared& shared, const IngestOptions& o,
          const std::string& url, bool send_asap, IngestResult& r) {
    for (int i = 0; i < o.crabs; ++i) {
        pubs.push_back(std::make_unique<Publisher>(shared, i));
        connect_publisher(*pubs.back(), url, send_asap, o.window);
    }
    create_stream(pubs.front()->js.get());
    std::int64_t started = now_ns();
    shared.last_ack_ns = started;
    auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o.seconds));
    drive(pubs, shared, o.window, until, make_run_id());
    std::string drained = drain(pubs);
    r.elapsed_s = static_cast<double>(shared.last_ack_ns - started) / 1e9;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    js_DeleteStream(pubs.front()->js.get(), kStream, nullptr, &jerr);  // leave no data behind
    r.error = shared.first_error();
    if (r.error.empty()) r.error = drained;
}

// Closes every connection, waits for libnats' threads, then reads the publishers' counts and
// stats: after nats_shutdown() no ack handler can run.
void collect(std::vector<std::unique_ptr<Publisher>>& pubs, IngestResult& r) {
    for (auto& p : pubs) {
        p->js.reset();
        p->nc.reset();
    }
    std::string shutdown = nats_shutdown();
    if (r.error.empty()) r.error = shutdown;
    LatencyStats latency;
    for (auto& p : pubs) {
        r.sent += p->sent;
        r.acked += p->acked.load();
        latency.merge(p->latency);
    }
    r.acked_per_s = r.elapsed_s > 0 ? static_cast<double>(r.acked) / r.elapsed_s : 0;
    latency.report_into(r);
}

IngestResult run_nats_ingest(const IngestOptions& o, const NatsTargetFlags& flags) {
    IngestResult r = ingest_result_for(o);
    Shared shared;
    std::vector<std::unique_ptr<Publisher>> pubs;
    std::unique_ptr<NatsServer> server;
    try {
        server = std::make_unique<NatsServer>(flags);
        mark_load_start();
        load(pubs, shared, o, server->url(), flags.send_asap, r);
    } catch (const std::exception& e) {
        r.error = e.what();
    }
    collect(pubs, r);
    NatsServerFigures figures = server ? server->finish() : NatsServerFigures{};
    r.hub_cpu_s = figures.cpu_s;
    r.hub_peak_rss_kib = figures.peak_rss_kib;
    if (r.error.empty()) r.error = figures.error;
    return r;
}

}  // namespace

Report nats_ingest(Args& args) {
    // Buffered: ingest runs as fast as acks allow, and libnats' 1 ms write gathering gave about
    // twice the acked/s of one write per publish (69k vs 36k at 10 crabs, window 64).
    auto flags = nats_target_flags(args, "buffered");
    if (!flags) throw UsageError("nats_ingest needs --target nats://... or --spawn-nats");
    IngestOptions o = ingest_load_options(args);
    args.done();
    IngestResult r = run_nats_ingest(o, *flags);
    return ingest_report(r, "nats",
                         {{"nats_sync", "default"},
                          {"nats_send", flags->send_asap ? "asap" : "buffered"},
                          {"server_measured", flags->spawn}});
}

}  // namespace octopus::bench
