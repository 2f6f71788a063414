// Samples this machine's real figures from /proc (and statvfs for disk use): the sensors of
// the built-in local_system crab and of octopus-crab. Rates (cpu %, disk and network bytes/s)
// are computed between consecutive calls; the first call measures against the state read at
// construction. Never touches the network.
#pragma once

#include <memory>
#include <string>

namespace octopus::clients {

struct Sample {
    double timestamp = 0;     // Unix seconds, this machine's clock
    std::string values_json;  // compact JSON object, e.g. {"cpu":12.5,"memory":63.7,...}
};

class ProcSampler {
  public:
    explicit ProcSampler(std::string proc_root = "/proc", std::string disk_path = "/");
    ~ProcSampler();
    ProcSampler(const ProcSampler&) = delete;
    ProcSampler& operator=(const ProcSampler&) = delete;

    Sample sample();

  private:
    struct State;
    std::string proc_root_;
    std::string disk_path_;
    std::unique_ptr<State> state_;
};

}  // namespace octopus::clients
