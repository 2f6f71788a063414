// An accepted snapshot, immutable once built: its envelope bytes are encoded exactly once and
// shared (shared_ptr<const>) between the ring buffer, the disk writer and every reader.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace octopus::core {

struct StoredSnapshot {
    std::uint64_t hub_seq = 0;
    std::uint64_t seq = 0;
    std::int64_t received_at_us = 0;
    std::string month;  // "YYYY-MM" or "unknown": which records/ partition holds it
    std::string line;   // the envelope, trailing '\n' included

    std::string_view json() const {
        return std::string_view(line).substr(0, line.empty() ? 0 : line.size() - 1);
    }
};

using SnapshotPtr = std::shared_ptr<const StoredSnapshot>;

}  // namespace octopus::core
