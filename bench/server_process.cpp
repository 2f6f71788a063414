// server_process: a server's start, ready line and stop (see the header).
#include "bench/server_process.hpp"

#include <cstdlib>
#include <stdexcept>

namespace octopus::bench {

ServerProcess::ServerProcess(const std::vector<std::string>& argv, const std::string& ready,
                             std::chrono::milliseconds bound, int stop_signal)
    : child_(argv, stop_signal) {
    auto line = child_.wait_for_line(ready, bound);
    if (line) {
        ready_text_ = *line;
        return;
    }
    child_.terminate(std::chrono::seconds(2));
    throw std::runtime_error(argv[0] + " did not start:\n" + child_.output());
}

ServerProcess::~ServerProcess() {
    child_.terminate(std::chrono::seconds(5));
}

std::string ServerProcess::stop(const std::string& name, std::chrono::milliseconds bound) {
    int code = terminate(bound);
    if (code == 0) return "";
    return name + " exited with " + std::to_string(code) + ":\n" + output_tail();
}

std::uint16_t port_of(const std::string& host_port) {
    auto colon = host_port.rfind(':');
    long port =
        colon == std::string::npos ? 0 : std::strtol(host_port.c_str() + colon + 1, nullptr, 10);
    if (port <= 0 || port > 65535) throw std::runtime_error("no port in '" + host_port + "'");
    return static_cast<std::uint16_t>(port);
}

}  // namespace octopus::bench
