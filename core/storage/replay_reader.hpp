// ReplayReader: the thread that reads stored snapshots back from workspace record files for
// subscriber replays, so the network thread never scans a file. It owns that thread and its job
// queue; it never writes a file and never touches Hub state: a request carries everything it
// needs (the workspace roots, the hub_seq range) and the answer goes back through the Executor.
// A read never crosses `limit`, the hub's durable frontier when it asked: every line at or below
// it is complete on disk, and anything above may still be half written. Each file is positioned
// by binary search on hub_seq (lines are in hub_seq order within a file), so a chunk costs what
// it reads, not the size of the history before it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/executor.hpp"
#include "core/stored_snapshot.hpp"

namespace octopus::core {

struct ReplayRequest {
    std::vector<std::filesystem::path> workspaces;  // crab workspace roots to read
    std::uint64_t after = 0;                        // exclusive
    std::uint64_t limit = 0;                        // inclusive; complete on disk
    std::optional<std::int64_t> since_us;           // keep only events received at/after
    std::size_t max_events = 4096;
};

struct ReplayChunk {
    std::vector<SnapshotPtr> events;  // hub_seq order, every one in (after, limit]
    bool reached_limit = false;       // nothing else in (after, limit] matches
};

class ReplayReader {
  public:
    using Done = std::function<void(ReplayChunk)>;

    explicit ReplayReader(Executor& executor);
    ~ReplayReader();  // drops queued requests, joins the thread
    ReplayReader(const ReplayReader&) = delete;
    ReplayReader& operator=(const ReplayReader&) = delete;

    // Reads on the reader thread; `done` runs on the executor's thread.
    void read(ReplayRequest request, Done done);

  private:
    void run();

    Executor& executor_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::pair<ReplayRequest, Done>> jobs_;
    bool stopping_ = false;
    std::thread thread_;
};

// The chunk itself, on the calling thread (the reader thread's work; exposed for tests).
ReplayChunk read_replay_chunk(const ReplayRequest& request);

}  // namespace octopus::core
