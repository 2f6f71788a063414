// Loads alert rules and hooks from their TOML file (config/alerts.toml documents the format).
// Everything is validated before anything is returned: rule names, globs, condition grammar,
// `for`, severities, labels, hook references and hook settings. An error names the file, the
// line and, for a condition, the column of the mistake, so a reload that fails can say exactly
// why while the old rules stay in force.
#pragma once

#include <filesystem>
#include <vector>

#include "core/alerts/alert_rules.hpp"
#include "server/alerts/hook_dispatcher.hpp"

namespace octopus::server {

struct AlertConfig {
    std::vector<core::AlertRule> rules;
    std::vector<HookSpec> hooks;  // webhook and exec hooks; "log" and "ws" are built in
};

// Throws std::runtime_error "FILE:LINE[:COLUMN]: message".
AlertConfig load_alert_config(const std::filesystem::path& file);

}  // namespace octopus::server
