// The one JSON result line an `octopus-bench ... --json` run prints after its human table: the
// last output line that starts with '{'. Tests of the harness read results only through this,
// and run the harness through run_octopus_bench.
#pragma once

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/hub_process.hpp"

namespace octopus::test {

// The parsed result line; a null json when there is none.
inline nlohmann::json bench_result(const std::string& output) {
    nlohmann::json result;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line.front() == '{') result = nlohmann::json::parse(line);
    }
    return result;
}

// Runs bin_dir()'s octopus-bench with `args` and --json, bounded by `timeout`; `with_hub` adds
// --hub-bin with bin_dir()'s octopus (the Octopus target; NATS runs refuse the flag).
inline CommandResult run_octopus_bench(std::vector<std::string> args, bool with_hub,
                                       std::chrono::milliseconds timeout) {
    args.insert(args.begin(), (bin_dir() / "octopus-bench").string());
    args.push_back("--json");
    if (with_hub) {
        args.push_back("--hub-bin");
        args.push_back((bin_dir() / "octopus").string());
    }
    return run_command(args, timeout);
}

}  // namespace octopus::test
