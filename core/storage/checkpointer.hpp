// Checkpointer: the thread that saves workspace checkpoints into each crab's state.db. SQLite is
// slow next to an append (creating a state.db costs a few milliseconds of file creation, locks
// and syncs), so the disk writer only hands over copies of the checkpoints and goes straight
// back to group commit: acks never wait for SQLite, however many crabs are new. It owns the
// thread and the queue; while it runs it is the only user of each Workspace's state.db. It never
// touches record files. Checkpoints are hints for recovery (verified against the files), so one
// that is late, or dropped at a stop that runs out of time, costs a longer scan, never data.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/metrics.hpp"
#include "core/storage/workspace.hpp"

namespace octopus::core {

class Checkpointer {
  public:
    explicit Checkpointer(Metrics& metrics);
    ~Checkpointer();  // stop() if still running
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    void start();
    // Any thread; a newer submission for a workspace replaces one still waiting.
    void submit(Workspace* ws, std::vector<Checkpoint> checkpoints);
    // Saves what is queued within `bound`, drops the rest (with a warning), joins the thread.
    void stop(std::chrono::milliseconds bound = std::chrono::seconds(10));

  private:
    void run();
    void save(Workspace& ws, const std::vector<Checkpoint>& checkpoints);

    Metrics& metrics_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Workspace*> order_;
    std::unordered_map<Workspace*, std::vector<Checkpoint>> waiting_;
    bool stopping_ = false;
    std::chrono::steady_clock::time_point give_up_;
    std::thread thread_;
};

}  // namespace octopus::core
