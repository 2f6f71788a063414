// nats_target: which NATS server a run talks to. `--target nats://127.0.0.1:PORT` names one that
// is already running (loopback only: the harness never loads another machine); `--spawn-nats`
// starts one for the run (nats_launcher). Only a spawned server's CPU and RSS can be measured,
// since only its pid is known. It never starts a server the flags did not ask for.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "bench/bench_args.hpp"
#include "bench/nats_launcher.hpp"

namespace octopus::bench {

struct NatsTargetFlags {
    std::string url;  // empty with --spawn-nats
    bool spawn = false;
    bool send_asap = true;  // --nats-send asap|buffered (see nats_client.hpp)
};

// Reads --target (default "octopus") and --spawn-nats, and for NATS --nats-send (default
// `send_default`, the scenario's best setting); nullopt when the run targets Octopus.
// Throws UsageError for a target that is neither `octopus` nor a loopback nats:// URL, or for
// both flags at once.
std::optional<NatsTargetFlags> nats_target_flags(Args& args,
                                                 const std::string& send_default = "asap");

// What a run learns about the server at its end: zeros for one it did not start.
struct NatsServerFigures {
    double cpu_s = 0;  // user + sys since the server was ready
    long peak_rss_kib = 0;
    std::string error;  // a spawned server that did not exit cleanly, with its output
};

class NatsServer {
  public:
    explicit NatsServer(const NatsTargetFlags& flags);
    const std::string& url() const { return url_; }
    // Reads the server's usage, then stops a spawned server.
    NatsServerFigures finish();

  private:
    std::unique_ptr<NatsLauncher> launcher_;
    ProcessUsage at_start_;
    std::string url_;
};

}  // namespace octopus::bench
