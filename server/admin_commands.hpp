// Offline workspace commands that run without a hub: `octopus rebuild-state` (recreate every
// state.db from the JSONL records, under the data-dir lock so a running hub is never raced)
// and `octopus records` (print one crab's stored envelopes in hub_seq order; read-only, so it
// is safe beside a running hub).
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

namespace octopus::server {

int rebuild_state(const std::filesystem::path& data_dir, std::ostream& out);

int print_records(const std::filesystem::path& data_dir, const std::string& crab,
                  std::optional<double> since, std::optional<double> until, std::ostream& out);

}  // namespace octopus::server
