// Wires one hub process together: data-dir lock, recovery, the disk writer thread, the single
// network thread (io_context) with its listener, the local crab and signal handling.
// Shutdown on SIGINT/SIGTERM: stop accepting, close every session (crabs get 1001), drain the
// writer (write, fsync, checkpoint), record the run's end, exit 0.
#pragma once

#include "server/config.hpp"

namespace octopus::server {

// Runs until a stop signal; returns the process exit code.
int run_hub(const Config& config);

}  // namespace octopus::server
