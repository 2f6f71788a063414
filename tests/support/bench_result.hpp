// The one JSON result line an `octopus-bench ... --json` run prints after its human table: the
// last output line that starts with '{'. Tests of the harness read results only through this.
#pragma once

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

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

}  // namespace octopus::test
