// Month partitions of a workspace: records/month=YYYY-MM/ from the snapshot's own timestamp
// (UTC). Timestamps outside [2000-01-01, 2100-01-01) are implausible and go to month=unknown;
// the rule depends on no clock, so the same record always lands in the same partition.
#pragma once

#include <optional>
#include <string>

namespace octopus::core {

std::string month_partition(std::optional<double> unix_seconds);

}  // namespace octopus::core
