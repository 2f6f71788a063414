// Alert values: a snapshot's stored values object read back into typed AlertValues for
// condition evaluation. The input is the compact `values` text the decoder already validated and
// re-encoded (flat: number, bool and string values), so this file only reads; it never
// validates, allocates for keys the caller did not ask for, or throws. Numbers come back as
// doubles; the crab's exact number text stays in the stored snapshot, untouched.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/alerts/alert_condition.hpp"

namespace octopus::core {

// Parses a values object such as {"cpu":12.5,"up":true,"state":"ok"}. Only keys in `wanted` are
// kept (nullptr keeps all). Text that is not such an object (it cannot come from the decoder)
// yields the values read before the fault.
AlertValues parse_alert_values(std::string_view values_json,
                               const std::vector<std::string>* wanted);

}  // namespace octopus::core
