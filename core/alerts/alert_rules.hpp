// What an alert rule is once loaded and validated (server/alerts/alert_config reads it from TOML).
// Plain data, immutable while installed: the engine holds rules by value and a reload replaces
// the whole set at once, so no rule is ever seen half-changed.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/alerts/alert_condition.hpp"

namespace octopus::core {

struct AlertRule {
    std::string name;                       // unique in the set; the state key with the crab
    std::string crabs = "*";                // glob over crab names
    Condition when;                         // fires when this holds ...
    std::uint32_t for_count = 1;            // ... for this many consecutive snapshots, or
    std::chrono::milliseconds for_time{0};  // ... continuously this long (when non-zero)
    std::optional<Condition> clear;         // resolves when this holds (default: `when` fails)
    std::string severity = "warning";
    std::map<std::string, std::string> labels;
    std::vector<std::string> hooks{"log", "ws"};  // hook names; "log" and "ws" are built in
};

}  // namespace octopus::core
