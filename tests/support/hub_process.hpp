// Test harness: runs the real `octopus serve` binary (a harness::ChildProcess) on 127.0.0.1:0
// with a temporary data dir, learns its port from the "listening on" log line, and can SIGTERM
// or SIGKILL it; tests wait for a log line instead of sleeping.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/child_process.hpp"
#include "harness/temp_dir.hpp"

namespace octopus::test {

using harness::ChildProcess;
using harness::TempDir;

std::filesystem::path bin_dir();

struct CommandResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr interleaved
};

// Runs a binary from bin_dir() to completion (bounded by `timeout`, then SIGKILL).
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

// How to start a hub, by name: HubProcess({.data_dir = d, .local_crab = true}).
struct HubOptions {
    std::filesystem::path data_dir;
    std::string fsync = "always";
    bool local_crab = false;                // the built-in local_system crab
    std::vector<std::string> extra_args{};  // e.g. {"--config", path}
};

// Writes `toml` to <dir>/octopus.toml and returns that path.
std::string write_config(const TempDir& dir, const std::string& toml);

class HubProcess {
  public:
    // A hub with data in <dir>/data and `toml` as its --config file.
    static HubProcess configured(const TempDir& dir, const std::string& toml);
    explicit HubProcess(HubOptions options);
    explicit HubProcess(std::filesystem::path data, std::string fsync = "always")
        : HubProcess(HubOptions{.data_dir = std::move(data), .fsync = std::move(fsync)}) {}
    std::uint16_t port() const { return port_; }
    ChildProcess& process() { return *child_; }
    void kill9() { child_->kill9(); }
    int terminate() { return child_->terminate(); }

  private:
    std::unique_ptr<ChildProcess> child_;
    std::uint16_t port_ = 0;
};

}  // namespace octopus::test
