// replay_scenario: `octopus-bench replay`. It fills a fresh data dir with M stored snapshots
// (C crabs pushing `snapshots` batches under fsync "never", each awaiting cumulative acks), stops
// the hub and starts a new one on the same data dir, so nothing is in the rings and the replay
// must come from disk. Then one subscriber asks for everything from hub_seq 0 and reads until it
// has seen hub_seq 1..M, each exactly once and in order; it reports events/s, the time to the
// first event, and the hub's CPU and peak RSS during the replay. It measures whatever the hub
// does and never reaches into it; every phase is bounded, the replay bound scaled with M.
#pragma once

#include "bench/bench_args.hpp"

namespace octopus::bench {

// `octopus-bench replay`: --snapshots M --crabs C --hub-bin.
Report replay_scenario(Args& args);

}  // namespace octopus::bench
