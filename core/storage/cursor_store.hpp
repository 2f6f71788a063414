// Durable consumer cursors: the last hub_seq each named consumer acknowledged. Kept in memory
// for the hub and appended to <data>/_consumers/cursors.jsonl ({"durable":NAME,"hub_seq":N} per
// line, the last line per name wins) by the disk writer thread, never the network thread. The
// file is compacted at start. A cursor only moves forward.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/storage/disk_writer.hpp"

namespace octopus::core {

class CursorStore {
  public:
    CursorStore(std::filesystem::path dir, DiskWriter& writer);

    // Reads and compacts the file. Start-up only, before the writer runs.
    void load();
    std::optional<std::uint64_t> get(const std::string& durable) const;
    // Records an acknowledgement; persisted asynchronously by the writer thread, which then calls
    // `persisted` (on the writer thread). Called at once when the cursor is already there.
    void advance(const std::string& durable, std::uint64_t hub_seq,
                 std::function<void()> persisted);

  private:
    std::filesystem::path dir_;
    DiskWriter& writer_;
    std::map<std::string, std::uint64_t> cursors_;
};

}  // namespace octopus::core
