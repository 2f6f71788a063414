// Reads a crab's workspace back the way a user's reader would: every *.jsonl under records/,
// discovered recursively, one JSON envelope per line.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace octopus::test {

std::vector<std::string> read_lines(const std::filesystem::path& file);

// Every envelope of `crab` under `data`, ordered by seq.
std::vector<nlohmann::json> stored(const std::filesystem::path& data, const std::string& crab);

}  // namespace octopus::test
