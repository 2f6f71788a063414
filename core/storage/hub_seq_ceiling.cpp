#include "core/storage/hub_seq_ceiling.hpp"

#include <charconv>
#include <fstream>
#include <string>

#include "core/storage/workspace.hpp"

namespace octopus::core {

HubSeqCeiling::HubSeqCeiling(std::filesystem::path data_dir)
    : file_(std::move(data_dir) / "_hub" / "hub_seq_ceiling") {}

std::uint64_t HubSeqCeiling::load() {
    std::ifstream in(file_, std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The last complete line: a tail without its newline was never confirmed.
    auto end = all.rfind('\n');
    if (end == std::string::npos) return 0;
    auto begin = all.rfind('\n', end == 0 ? 0 : end - 1);
    begin = (begin == std::string::npos || begin == end) ? 0 : begin + 1;
    std::uint64_t value = 0;
    std::from_chars(all.data() + begin, all.data() + end, value);
    std::lock_guard lock(mu_);
    in_force_ = value;
    return value;
}

bool HubSeqCeiling::raise(std::uint64_t ceiling) {
    std::lock_guard lock(mu_);
    return ceiling <= in_force_ || append(ceiling);
}

bool HubSeqCeiling::lower_to(std::uint64_t exact) {
    std::lock_guard lock(mu_);
    return append(exact);
}

bool HubSeqCeiling::append(std::uint64_t value) {
    if (!append_to_file(file_, std::to_string(value) + "\n", true)) return false;
    in_force_ = value;
    return true;
}

}  // namespace octopus::core
