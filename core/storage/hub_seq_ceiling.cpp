#include "core/storage/hub_seq_ceiling.hpp"

#include <charconv>
#include <string>

#include "core/storage/workspace.hpp"

namespace octopus::core {

HubSeqCeiling::HubSeqCeiling(std::filesystem::path data_dir)
    : file_(std::move(data_dir) / "_hub" / "hub_seq_ceiling") {}

std::uint64_t HubSeqCeiling::load() {
    std::error_code ec;
    if (!std::filesystem::exists(file_, ec)) return 0;
    // The last complete line: a tail without its newline was never confirmed.
    auto last = read_tail_lines(file_, 1);
    std::uint64_t value = 0;
    if (!last.empty()) std::from_chars(last[0].data(), last[0].data() + last[0].size(), value);
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
