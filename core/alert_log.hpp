// The alert audit trail under <data>/_alerts/, laid out like a source workspace (seed 004):
//   records/month=YYYY-MM/detail.jsonl   every transition, one encoded AlertEvent per line
//   manifests/deliveries.jsonl          every hook attempt that succeeded
//   manifests/deliveries-failed.jsonl   every hook attempt that failed (and every drop)
// Appends run on the disk writer thread (DiskWriter::submit_task), never on the network thread,
// and are fdatasync'ed when the fsync policy is "always". A transition's `done` callback runs on
// the executor's thread once its line is durable: notifications wait for it, so an alert that
// was notified is always found again at restart and never notified twice.
// The records are the source of truth: load() rebuilds the engine's state from them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/disk_writer.hpp"
#include "core/executor.hpp"
#include "protocol/alert_event.hpp"

namespace octopus::core {

struct LoadedAlerts {
    std::vector<std::pair<protocol::AlertEvent, std::string>> events;  // (decoded, line), in order
    std::size_t bad_lines = 0;
    std::uint64_t torn_bytes = 0;
};

class AlertLog {
  public:
    AlertLog(std::filesystem::path dir, DiskWriter& writer, Executor& executor);

    // Start-up, before the writer runs: cuts torn tails, reads every transition in order.
    LoadedAlerts load();
    // Appends one transition line (no newline in `line`); `done` runs on the executor's thread.
    void record(const protocol::AlertEvent& event, std::string line, std::function<void()> done);
    // Appends one delivery attempt line to deliveries.jsonl or deliveries-failed.jsonl.
    void record_delivery(std::string line, bool ok);

    const std::filesystem::path& dir() const { return dir_; }

  private:
    // Writer thread only.
    void append(const std::filesystem::path& file, const std::string& data, bool sync);

    std::filesystem::path dir_;
    DiskWriter& writer_;
    Executor& executor_;
    std::set<std::filesystem::path> made_dirs_;  // writer thread only
};

}  // namespace octopus::core
