// hub_launcher: runs `octopus serve` as a separate process on 127.0.0.1:0 for one bench run,
// learns its port from the "octopus listening on HOST:PORT" log line, reads its CPU time, current
// and peak RSS from /proc, and stops it with SIGTERM (SIGKILL after a bound). A thread drains the
// hub's output so it never blocks on a full pipe. Every wait is bounded; the destructor always
// reaps.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace octopus::bench {

struct HubUsage {
    double cpu_seconds = 0;  // user + sys
    long peak_rss_kib = 0;   // VmHWM
    long rss_kib = 0;        // VmRSS: resident now
};

class HubLauncher {
  public:
    // Starts the hub and waits (bounded) for its listening line; throws with its output if not.
    // `extra` is appended to the serve command line (e.g. {"--config", path}).
    HubLauncher(const std::string& hub_bin, const std::string& data_dir, const std::string& fsync,
                const std::vector<std::string>& extra = {});
    ~HubLauncher();
    HubLauncher(const HubLauncher&) = delete;
    HubLauncher& operator=(const HubLauncher&) = delete;

    std::uint16_t port() const { return port_; }
    HubUsage usage() const;  // read from /proc while the hub runs
    // SIGTERM, wait up to `bound`, then SIGKILL; returns the exit code or 128+signal.
    int terminate(std::chrono::milliseconds bound = std::chrono::seconds(20));
    // terminate(), then "" for a clean exit (status 0), else the status and the hub's output.
    std::string stop();
    std::string output_tail() const;

  private:
    void drain(int fd);

    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::thread reader_;
    mutable std::mutex mu_;
    std::string output_;  // the first line(s) and then a bounded tail
};

// Machine facts for the report.
unsigned machine_nproc();
std::string machine_cpu_model();

}  // namespace octopus::bench
