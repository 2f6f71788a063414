// ingest_scenario: C crab connections push ~150-byte snapshots to a hub it starts itself, each
// keeping at most W snapshots unacked, for S seconds; then it stops sending, waits (bounded) for
// the final cumulative acks and stops the hub. Every latency sample is send time -> the first ack
// covering that seq, on steady_clock. With --idle-subscribers N, N subscribers subscribe to every
// crab first and then never read, so the cost of a stuck consumer on ingest can be measured.
// All sockets run on one io_context thread in this process (the raw-frame client of ws_wire.hpp);
// the hub is a separate process, so its CPU and RSS are measured apart from the load client's.
// Invariant: every phase is bounded (connect, run, drain), so a run always ends by itself.
#pragma once

#include <cstdint>
#include <string>

#include "bench/bench_args.hpp"

namespace octopus::bench {

struct IngestOptions {
    int crabs = 10;
    int window = 64;
    double seconds = 5;
    std::string fsync = "always";
    int idle_subscribers = 0;  // Octopus only: subscribers that never read
    int alert_rules = 0;       // Octopus only: alert rules over every crab that never fire
    std::string hub_bin;       // path to `octopus`
    bool tls = false;          // --tls: wss:// to a hub with a fresh certificate
};

struct IngestResult {
    int crabs = 0;
    int window = 0;
    double seconds = 0;
    std::string fsync;
    int idle_subscribers = 0;
    int alert_rules = 0;
    std::uint64_t sent = 0;
    std::uint64_t acked = 0;
    double elapsed_s = 0;  // first send -> last ack (or end of the drain bound)
    double acked_per_s = 0;
    double p50_us = 0, p99_us = 0, p999_us = 0;
    double hub_cpu_s = 0;
    long hub_peak_rss_kib = 0;
    unsigned nproc = 0;
    std::string cpu_model;
    std::string error;  // empty when every phase went as planned
};

// A result with the run's options and the machine filled in, before any load.
IngestResult ingest_result_for(const IngestOptions& options);

// Runs the scenario; never throws (failures land in `error`).
IngestResult run_ingest(const IngestOptions& options);

// The load flags every ingest target shares: --crabs --window --seconds --fsync.
IngestOptions ingest_load_options(Args& args);
// The ingest result line and table for `target` ("octopus", "nats"), with `extra` fields; ok
// only when every sent snapshot was acked and nothing failed. Every target uses this one shape,
// so compare.sh finds the same field names on both sides.
Report ingest_report(const IngestResult& r, const std::string& target, const nlohmann::json& extra);

// `octopus-bench ingest`: the load flags, --idle-subscribers and --hub-bin.
Report ingest_scenario(Args& args);

}  // namespace octopus::bench
