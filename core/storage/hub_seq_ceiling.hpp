// The hub_seq ceiling: why a hub_seq is never handed out twice, even across kill -9.
// The hub publishes a snapshot to subscribers (and may show it to readers) as soon as it stamps
// it, before the disk writer has stored it. A crash then loses numbers that were seen but never
// written, so "resume above the highest hub_seq on disk" would issue them again for other
// snapshots. Instead the hub reserves numbers in blocks, durably, before handing them out: the
// ceiling file (<data>/_hub/hub_seq_ceiling) holds one line per reservation, the last complete
// line in force, and recovery resumes above max(highest on disk, ceiling). A crash leaves a gap
// of at most one block, never a reuse; a clean stop writes the exact hub_seq, so a restart
// after it leaves no gap. A torn last line (a crash during the append) was a reservation not yet
// confirmed, so the line before it is the right one. Appends are fdatasync'ed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>

namespace octopus::core {

class HubSeqCeiling {
  public:
    // Numbers reserved at once: one fdatasync'ed append per million snapshots, off the network
    // thread, and a gap of at most this many after a crash (2^53 / 2^20 leaves 8.6e9 crashes
    // before hub_seq leaves the range every JSON reader reads exactly).
    static constexpr std::uint64_t kBlock = std::uint64_t{1} << 20;

    explicit HubSeqCeiling(std::filesystem::path data_dir);

    // The ceiling in force (0 when none was ever written).
    std::uint64_t load();
    // Raises the ceiling to `ceiling` (appended and synced; nothing is written when it is
    // already that high, so a late reservation never lowers an earlier one). Thread-safe.
    // False (errno set) when the disk refused.
    bool raise(std::uint64_t ceiling);
    // At a clean stop, every number up to `exact` is on disk: the ceiling becomes `exact`.
    bool lower_to(std::uint64_t exact);

  private:
    bool append(std::uint64_t value);

    std::filesystem::path file_;
    std::mutex mu_;
    std::uint64_t in_force_ = 0;
};

}  // namespace octopus::core
