// server_process: one server the harness runs as a child process (the Octopus hub or
// nats-server), over harness::ChildProcess: a bounded wait for the log line that says it
// listens (the child's output otherwise, in the error), its CPU time and RSS, and a bounded
// stop that reports an unclean exit with the server's output. It knows no server's flags or log
// format beyond the needle it is given.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/child_process.hpp"

namespace octopus::bench {

using harness::ProcessUsage;
using harness::read_process_usage;

class ServerProcess {
  public:
    // Starts argv[0] (a path) and waits up to `bound` for an output line containing `ready`;
    // throws with the output so far if the line does not come or the process exits first.
    // `stop_signal` is the server's graceful stop (SIGTERM for the hub).
    ServerProcess(const std::vector<std::string>& argv, const std::string& ready,
                  std::chrono::milliseconds bound, int stop_signal);
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    // The rest of the ready line after `ready`, e.g. "127.0.0.1:4222".
    const std::string& ready_text() const { return ready_text_; }
    ProcessUsage usage() const { return child_.usage(); }
    // The stop signal, wait up to `bound`, then SIGKILL; returns the exit code or 128+signal.
    int terminate(std::chrono::milliseconds bound) { return child_.terminate(bound); }
    // terminate(bound), then "" for a clean exit (status 0), else "NAME exited with STATUS:" and
    // the server's output.
    std::string stop(const std::string& name, std::chrono::milliseconds bound);
    std::string output_tail() const { return child_.output(); }

  private:
    harness::ChildProcess child_;
    std::string ready_text_;
};

// The port of a "HOST:PORT" text; throws when there is none.
std::uint16_t port_of(const std::string& host_port);

}  // namespace octopus::bench
