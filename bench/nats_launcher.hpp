// nats_launcher: runs nats-server for one bench run (`--spawn-nats`): loopback only
// (-a 127.0.0.1), a port the server picks (-p -1, learnt from its "Listening for client
// connections on HOST:PORT" line), JetStream on with its file store in the data dir of a RunDir,
// removed when the launcher is done. Process handling (drained output, /proc usage, bounded stop)
// is server_process's; this file only knows nats-server's command line, log line and stop
// signal (SIGINT). It never touches a server it did not start.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "bench/run_dir.hpp"
#include "bench/server_process.hpp"

namespace octopus::bench {

class NatsLauncher {
  public:
    // Starts nats-server (found on PATH, else /usr/sbin) and waits (bounded) until it listens;
    // throws with its output if it does not.
    NatsLauncher();
    NatsLauncher(const NatsLauncher&) = delete;
    NatsLauncher& operator=(const NatsLauncher&) = delete;

    std::uint16_t port() const { return port_; }
    std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
    ProcessUsage usage() const { return process_.usage(); }
    // SIGINT, SIGKILL after 20 s; "" for a clean exit (status 0), else the status and the
    // server's output.
    std::string stop() { return process_.stop("nats-server", std::chrono::seconds(20)); }

  private:
    RunDir dir_;             // the store; declared first, so it goes after the server has stopped
    ServerProcess process_;  // stopped and reaped by its destructor
    std::uint16_t port_ = 0;
};

// The nats-server executable: the first on PATH, else /usr/sbin/nats-server (Debian installs it
// there, and /usr/sbin is not on every user's PATH).
std::string nats_server_binary();

}  // namespace octopus::bench
