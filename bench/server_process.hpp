// server_process: one server the harness runs as a child process (the Octopus hub or
// nats-server): posix_spawn with stdout and stderr on a pipe that a thread drains, so the server
// never blocks on a full pipe; a bounded wait for the log line that says it listens; its CPU time
// and current and peak RSS from /proc; and a bounded stop (the server's stop signal, then SIGKILL).
// It knows no server's flags or log format beyond the needle it is given. Every wait is bounded;
// the destructor always stops and reaps the child.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace octopus::bench {

struct ProcessUsage {
    double cpu_seconds = 0;  // user + sys
    long peak_rss_kib = 0;   // VmHWM
    long rss_kib = 0;        // VmRSS: resident now
};

// CPU time, current and peak RSS of a running process, from /proc/PID/stat and /proc/PID/status;
// zeros when it cannot be read.
ProcessUsage read_process_usage(pid_t pid);

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
    ProcessUsage usage() const { return read_process_usage(pid_); }
    // The stop signal, wait up to `bound`, then SIGKILL; returns the exit code or 128+signal.
    int terminate(std::chrono::milliseconds bound);
    // terminate(bound), then "" for a clean exit (status 0), else "NAME exited with STATUS:" and
    // the server's output.
    std::string stop(const std::string& name, std::chrono::milliseconds bound);
    std::string output_tail() const;

  private:
    void drain(int fd);
    bool find_ready(const std::string& ready);

    pid_t pid_ = -1;
    int stop_signal_;
    std::string ready_text_;
    std::thread reader_;
    mutable std::mutex mu_;
    std::string output_;  // the first line(s) and then a bounded tail
};

// The port of a "HOST:PORT" text; throws when there is none.
std::uint16_t port_of(const std::string& host_port);

}  // namespace octopus::bench
