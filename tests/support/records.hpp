// Reads a crab's workspace back the way a user's reader would: every *.jsonl under records/,
// discovered recursively, one JSON envelope per line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace octopus::test {

std::vector<std::string> read_lines(const std::filesystem::path& file);

// Every envelope of `crab` under `data`, ordered by seq.
std::vector<nlohmann::json> stored(const std::filesystem::path& data, const std::string& crab);

// first, first + 1, ..., last: the sequence a gapless, duplicate-free stream must equal.
std::vector<std::uint64_t> seq_range(std::uint64_t first, std::uint64_t last);

}  // namespace octopus::test
