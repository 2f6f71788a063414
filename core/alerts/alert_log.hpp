// The alert audit trail under <data>/_alerts/, laid out like a source workspace (README, "The
// source workspace"):
//   records/month=YYYY-MM/detail.jsonl   every transition, one encoded AlertEvent per line
//   manifests/deliveries.jsonl          every hook attempt that succeeded
//   manifests/deliveries-failed.jsonl   every hook attempt that failed (and every drop)
// Lines are queued under a mutex and written by the disk writer thread (one task per batch,
// never the network thread): one write and one fdatasync per file per batch, whatever the
// workspaces' fsync policy, because an alert that was notified must be found again at restart
// or it would be notified twice. A transition's `done` runs on the executor's thread once its
// line is durable; notifications wait for it. The records are the source of truth: load()
// replays them to rebuild the engine's state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/executor.hpp"
#include "core/storage/disk_writer.hpp"
#include "protocol/alert_event.hpp"

namespace octopus::core {

struct AlertLoadStats {
    std::size_t events = 0;
    std::size_t bad_lines = 0;
    std::uint64_t torn_bytes = 0;
};

class AlertLog {
  public:
    using EventFn = std::function<void(const protocol::AlertEvent& event, std::string_view line)>;

    AlertLog(std::filesystem::path dir, DiskWriter& writer, Executor& executor);

    // Start-up, before the writer runs: cuts torn tails, then calls fn for every recorded
    // transition in file order (month, then line), streaming: nothing is kept here.
    AlertLoadStats load(const EventFn& fn);
    // Start-up: the last `n` lines of deliveries.jsonl (ok) or deliveries-failed.jsonl.
    std::vector<std::string> delivery_tail(bool ok, std::size_t n) const;
    // Appends one transition line (no newline in `line`); `done` runs on the executor's thread.
    void record(const protocol::AlertEvent& event, std::string line, std::function<void()> done);
    // Appends one delivery attempt line to deliveries.jsonl or deliveries-failed.jsonl.
    void record_delivery(std::string line, bool ok);

  private:
    struct Line {
        std::filesystem::path file;
        std::string text;
        std::function<void()> done;
    };
    void queue(Line line);
    // Writer thread only.
    void flush();
    void append(const std::filesystem::path& file, const std::string& data);

    std::filesystem::path dir_;
    DiskWriter& writer_;
    Executor& executor_;
    std::mutex mu_;
    std::vector<Line> queued_;
    bool flush_submitted_ = false;
};

}  // namespace octopus::core
