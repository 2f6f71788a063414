// hub_launcher: runs `octopus serve` as a separate process on 127.0.0.1:0 for one bench run and
// learns its port from the "octopus listening on HOST:PORT" log line. The process handling (the
// drained output, /proc CPU time and current and peak RSS, the bounded SIGTERM/SIGKILL stop) is
// server_process's; this file only knows the hub's command line and log line. The destructor
// always reaps.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench/server_process.hpp"

namespace octopus::bench {

using HubUsage = ProcessUsage;

class HubLauncher {
  public:
    // Starts the hub and waits (bounded) for its listening line; throws with its output if not.
    // `extra` is appended to the serve command line (e.g. {"--config", path}).
    HubLauncher(const std::string& hub_bin, const std::string& data_dir, const std::string& fsync,
                const std::vector<std::string>& extra = {});
    HubLauncher(const HubLauncher&) = delete;
    HubLauncher& operator=(const HubLauncher&) = delete;

    std::uint16_t port() const { return port_; }
    HubUsage usage() const { return process_.usage(); }  // read from /proc while the hub runs
    // SIGTERM, SIGKILL after 20 s; "" for a clean exit (status 0), else the status and the
    // hub's output.
    std::string stop() { return process_.stop("hub", std::chrono::seconds(20)); }

  private:
    ServerProcess process_;
    std::uint16_t port_ = 0;
};

// What a load run against a hub yields besides the load's own figures.
struct HubRun {
    double cpu_s = 0;  // the hub's user + sys time during the load
    long peak_rss_kib = 0;
    std::string error;  // the load's error, else the hub's failure; empty when all went well
};

// Starts the hub on a fresh RunDir (removed afterwards) under `fsync` and, when `config_toml` is
// not empty, with that text as its --config (and `alerts_toml` as its --alerts file); runs
// load(port), which returns its error or ""; then stops the hub. Never throws. With `tls`, the
// hub gets a fresh self-signed certificate for 127.0.0.1 (openssl CLI, in the RunDir) and
// [tls], and every WsWire of load() speaks TLS verifying it.
HubRun run_against_hub(const std::string& hub_bin, const std::string& fsync,
                       const std::string& config_toml,
                       const std::function<std::string(std::uint16_t port)>& load,
                       const std::string& alerts_toml = "", bool tls = false);

// Machine facts for the report.
unsigned machine_nproc();
std::string machine_cpu_model();

}  // namespace octopus::bench
