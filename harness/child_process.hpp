// A child process the tests or the bench run (the hub, nats-server, a client): posix_spawn with
// stdout and stderr on one pipe that a thread drains, so the child never blocks on a full pipe;
// waits for output lines instead of sleeping; its CPU time and RSS from /proc; and a bounded
// stop (its stop signal, then SIGKILL). Output keeps its first and last kKeepBytes halves when it
// grows past kKeepBytes, so an hours-long run holds bounded memory. Every wait is bounded and
// the destructor always kills and reaps the child.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace octopus::harness {

struct ProcessUsage {
    double cpu_seconds = 0;  // user + sys
    long peak_rss_kib = 0;   // VmHWM
    long rss_kib = 0;        // VmRSS: resident now
};

// CPU time, current and peak RSS of a running process, from /proc/PID/stat and
// /proc/PID/status; zeros when it cannot be read.
ProcessUsage read_process_usage(pid_t pid);

// The first executable `name` on PATH, else `fallback`.
std::string find_program(const std::string& name, const std::string& fallback);

class ChildProcess {
  public:
    static constexpr std::size_t kKeepBytes = 4 << 20;

    // Starts argv[0] (a path); throws std::runtime_error when it cannot be started.
    // `stop_signal` is its graceful stop (SIGTERM for the hub, SIGINT for nats-server).
    explicit ChildProcess(const std::vector<std::string>& argv, int stop_signal = SIGTERM);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    bool running() const { return pid_ > 0; }
    // Waits until `needle` has appeared `times` times in the output; false on timeout or exit.
    bool wait_for_output(const std::string& needle,
                         std::chrono::milliseconds timeout = std::chrono::seconds(15),
                         int times = 1);
    // Waits for a complete line holding `needle`; the rest of that line after it, or none on
    // timeout or exit.
    std::optional<std::string> wait_for_line(const std::string& needle,
                                             std::chrono::milliseconds timeout);
    std::string output() const;
    ProcessUsage usage() const { return read_process_usage(pid_); }
    void kill9();
    // The stop signal, then waits up to `timeout`; past it SIGKILL. Returns the exit code, or
    // 128 + the signal that ended it.
    int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    // Waits for the process to exit on its own; returns the exit code or -1 on timeout.
    int wait_exit(std::chrono::milliseconds timeout);

  private:
    void drain(int fd);
    int reap(int options);

    pid_t pid_ = -1;
    int stop_signal_;
    int status_ = 0;
    std::thread reader_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::string output_;
    bool eof_ = false;
};

}  // namespace octopus::harness
