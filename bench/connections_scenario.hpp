// connections_scenario: `octopus-bench connections`. It opens N idle crab connections (each says
// hello and is welcomed) and then N/10 subscribers (each subscribed to every crab), at most
// kInFlight handshakes at a time so the hub's accept backlog never overflows; it reports the time
// to accept them all and the hub's resident memory per connection (VmRSS after minus before).
// Then a burst proves every connection still works: each crab sends one snapshot and must get its
// ack, and each subscriber must receive exactly all N of them. It never counts a connection as
// working unless the hub answered on it, and every phase is bounded, so a run ends by itself.
#pragma once

#include "bench/bench_args.hpp"

namespace octopus::bench {

// `octopus-bench connections`: --crabs N --subscribers S (default N/10) --hub-bin.
Report connections_scenario(Args& args);

}  // namespace octopus::bench
