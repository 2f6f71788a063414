// fanout_scenario: C crabs push snapshots at a fixed total rate R (R/C each, on 1 ms ticks with a
// bounded catch-up) to a hub it starts itself, while S subscribers, each subscribed to every crab
// from now, read every event. Publishing starts only once every crab is welcomed and every
// subscription confirmed, so each snapshot is owed to all S; after S seconds it stops and drains
// (bounded) until every event is delivered or reported skipped in a `gap`. Latency is push ->
// deliver on one steady clock: the sender's sent_ns inside the payload, read back by the
// subscriber in this process. All sockets share one io_context thread; the hub is a separate
// process, so its CPU and RSS are its own. The run is ok when every owed event is accounted for
// (delivered or in a gap); drops are a measurement, never hidden. The options, result and report
// are shared with the NATS fanout (nats_fanout.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "bench/bench_args.hpp"
#include "bench/latency_stats.hpp"

namespace octopus::bench {

struct FanoutOptions {
    int crabs = 10;  // publishers, for NATS
    int subscribers = 10;
    long rate = 10000;  // snapshots/s, all crabs together
    double seconds = 5;
    // Octopus only. "never" by default: fanout measures delivery, which happens on accept, and
    // its peer (NATS core) keeps nothing on disk; fsync policy only changes when crabs are acked.
    std::string fsync = "never";
    std::string hub_bin;  // Octopus only: path to `octopus`
    bool tls = false;     // Octopus only: --tls, wss:// to a hub with a fresh certificate
};

// The result line's fields every target reports, named as in the JSON, so compare.sh puts
// Octopus and NATS side by side; a target's own fields go in fanout_report's `extra`.
struct FanoutResult {
    FanoutResult() = default;
    // The run's options filled in, before any load.
    explicit FanoutResult(const FanoutOptions& o)
        : crabs(o.crabs), subscribers(o.subscribers), rate(o.rate), seconds(o.seconds) {}

    int crabs = 0, subscribers = 0;
    long rate = 0;
    double seconds = 0;
    std::uint64_t sent = 0, delivered = 0;
    std::uint64_t expected = 0;  // sent * subscribers
    std::uint64_t drops = 0;     // expected - delivered
    double elapsed_s = 0;        // first publish -> last delivery
    double delivered_per_s = 0;
    double latency_p50_us = 0, latency_p99_us = 0, latency_p999_us = 0;
    double server_cpu_s = 0;
    long server_peak_rss_kib = 0;
    std::string error;  // not a field: finish_report adds "ok" and "error"
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(FanoutResult, crabs, subscribers, rate, seconds, sent, delivered,
                                   expected, drops, elapsed_s, delivered_per_s, latency_p50_us,
                                   latency_p99_us, latency_p999_us, server_cpu_s,
                                   server_peak_rss_kib)

// The load flags every fanout target shares: --crabs --subscribers --rate --seconds.
FanoutOptions fanout_load_options(Args& args);
// Sets expected, drops and delivered_per_s from sent, delivered and elapsed_s, and the
// latencies from `latency`.
void fanout_totals(FanoutResult& r, LatencyStats& latency);
// The fanout result line and table for `target` ("octopus", "nats"): the shared fields, then
// `extra` fields and `extra_lines` of the table. ok only when `counts_match` and nothing failed.
Report fanout_report(const FanoutResult& r, const std::string& target, const nlohmann::json& extra,
                     const std::string& extra_lines, bool counts_match);

// `octopus-bench fanout`: the load flags, --fsync and --hub-bin.
Report fanout_scenario(Args& args);

}  // namespace octopus::bench
