// ingest_scenario: C crab connections push ~150-byte snapshots to a hub it starts itself, each
// keeping at most W snapshots unacked, for S seconds; then it stops sending, waits (bounded) for
// the final cumulative acks and stops the hub. Every latency sample is send time -> the first ack
// covering that seq, on steady_clock. All sockets run on one io_context thread in this process;
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
    std::string hub_bin;  // path to `octopus`
};

struct IngestResult {
    int crabs = 0;
    int window = 0;
    double seconds = 0;
    std::string fsync;
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

// Runs the scenario; never throws (failures land in `error`).
IngestResult run_ingest(const IngestOptions& options);

// `octopus-bench ingest`: --crabs --window --seconds --fsync --hub-bin.
Report ingest_scenario(Args& args);

}  // namespace octopus::bench
