// ReplayPump: streams a subscription's history from the workspace files when the rings cannot
// serve its replay. One replay per subscription at most: chunks are read ahead on the
// ReplayReader thread (one read in flight, at most kChunk events waiting) and handed to the sink
// as it takes them; a sink that refuses holds the replay until the Hub calls resume(). Once the
// files have given everything up to the hub's durable frontier, the Hub's `finish` hands the
// rest from memory and makes the subscription live in that same turn, so there is no gap and no
// duplicate at the seam. Runs on the hub's thread only; it owns the ReplayReader thread.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/executor.hpp"
#include "core/storage/replay_reader.hpp"
#include "core/subscriptions.hpp"

namespace octopus::core {

class ReplayPump {
  public:
    using Entry = Subscriptions::Entry;
    // What the pump needs from the Hub.
    struct Hooks {
        // The workspace roots of the crabs the subscription matches.
        std::function<std::vector<std::filesystem::path>(const Entry&)> workspaces;
        // Every snapshot up to here is complete on disk.
        std::function<std::uint64_t()> durable;
        // The files are exhausted up to `disk_done_to`: hand the rest from memory, go live.
        std::function<void(Entry&, std::uint64_t disk_done_to)> finish;
    };

    ReplayPump(Executor& executor, Subscriptions& subs, Hooks hooks);
    ~ReplayPump();
    ReplayPump(const ReplayPump&) = delete;
    ReplayPump& operator=(const ReplayPump&) = delete;

    // Holds `e` back from live events and starts reading its history after `after`.
    void start(Entry& e, std::uint64_t after);
    // True when `e` has a replay from disk (handed on now if it was held).
    bool resume(Entry& e);
    // Drops the replays of one subscription (or all of a sink's when id is empty).
    void forget(const SubscriberSink& sink, const std::string& id);

  private:
    struct DiskReplay {
        std::uint64_t token = 0;    // tells a late chunk of a replaced replay apart
        std::uint64_t read_to = 0;  // everything matching up to here is handed or pending
        std::deque<SnapshotPtr> pending;
        bool reading = false;
        bool held = false;  // the sink refused; it calls resume() when it has room
    };
    void pump(Entry& e, DiskReplay& d);
    void read_ahead(Entry& e, DiskReplay& d);
    void on_chunk(Entry& e, DiskReplay& d, ReplayChunk chunk, std::uint64_t limit);

    Subscriptions& subs_;
    Hooks hooks_;
    std::unordered_map<const Entry*, DiskReplay> replays_;
    std::uint64_t tokens_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    ReplayReader reader_;  // last: its thread stops before the rest is destroyed
};

}  // namespace octopus::core
