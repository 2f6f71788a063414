// nats_launcher: nats-server's command line and its listening line.
#include "bench/nats_launcher.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <vector>

namespace octopus::bench {

namespace {

constexpr auto kStartBound = std::chrono::seconds(15);
// nats-server 2.9 shuts down cleanly on either signal, but exits 0 only after SIGINT (1 after
// SIGTERM); with SIGINT a non-zero status still means a real failure.
constexpr int kStopSignal = SIGINT;

std::vector<std::string> serve_command(const std::string& store) {
    return {nats_server_binary(), "-a", "127.0.0.1", "-p", "-1", "-js", "-sd", store};
}

}  // namespace

std::string nats_server_binary() {
    return harness::find_program("nats-server", "/usr/sbin/nats-server");
}

NatsLauncher::NatsLauncher()
    : process_(serve_command(dir_.data()), "Listening for client connections on ", kStartBound,
               kStopSignal),
      port_(port_of(process_.ready_text())) {}

}  // namespace octopus::bench
