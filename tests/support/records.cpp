#include "support/records.hpp"

#include <algorithm>
#include <fstream>

namespace octopus::test {

namespace fs = std::filesystem;

std::vector<std::string> read_lines(const fs::path& file) {
    std::vector<std::string> lines;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::vector<nlohmann::json> stored(const fs::path& data, const std::string& crab) {
    std::vector<nlohmann::json> out;
    for (auto it = fs::recursive_directory_iterator(data / crab / "records"); it != fs::end(it);
         ++it) {
        if (it->path().extension() != ".jsonl") continue;
        for (const auto& line : read_lines(it->path())) out.push_back(nlohmann::json::parse(line));
    }
    std::stable_sort(out.begin(), out.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
        return a["seq"] < b["seq"];
    });
    return out;
}

std::vector<std::uint64_t> seq_range(std::uint64_t first, std::uint64_t last) {
    std::vector<std::uint64_t> out;
    for (auto i = first; i <= last; ++i) out.push_back(i);
    return out;
}

}  // namespace octopus::test
