// nats_scenarios: the NATS side of the comparison, run with `--target nats://...` or
// `--spawn-nats`. The same payload bytes (payload.hpp), flags and rates as the Octopus scenarios,
// through libnats with the settings a NATS user would pick for the job, so a ratio
// Octopus/NATS compares two tuned systems, not a tuned one with a crippled one.
//   ingest: JetStream file-storage async publish, a Nats-Msg-Id per message, at most W unacked
//           per publisher connection (nats_ingest.cpp).
//   fanout: core NATS publish/subscribe, every subscriber on all publishers (nats_fanout.cpp).
#pragma once

#include "bench/bench_args.hpp"

namespace octopus::bench {

// `octopus-bench ingest --target nats://...|--spawn-nats`: --crabs --window --seconds --fsync.
Report nats_ingest(Args& args);
// `octopus-bench fanout --target nats://...|--spawn-nats`: --crabs --subscribers --rate --seconds.
Report nats_fanout(Args& args);

}  // namespace octopus::bench
