// The hub coordinates; it is single-threaded (every method runs on the executor's thread) and
// knows no sockets. What it owns:
//   - the registry: one CrabState per crab (its workspace, ring buffer, live link, seq counters);
//   - the global order: hub_seq, reserved durably in blocks ahead of use (HubSeqCeiling);
//   - ingest and acks: snapshots accepted this turn go to the DiskWriter in one submission; ack
//     waiters fire when the writer reports "durable up to H" (on_durable, posted back here);
//   - collects (polling answers), subscriptions (Subscriptions), durable consumer cursors
//     (CursorStore) and replays: from the rings here, from the files through the ReplayPump;
//   - run bookkeeping in each workspace's state.db.
// Invariants: hub_seq never goes backward and never names two snapshots, even across kill -9
// (core/storage/hub_seq_ceiling.hpp); a seq is stored at most once per crab; an ack callback
// never runs before the snapshots it covers are durable under the writer's fsync policy.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/crab_link.hpp"
#include "core/executor.hpp"
#include "core/hub_observer.hpp"
#include "core/metrics.hpp"
#include "core/ring_buffer.hpp"
#include "core/storage/cursor_store.hpp"
#include "core/storage/disk_writer.hpp"
#include "core/storage/hub_seq_ceiling.hpp"
#include "core/storage/replay_pump.hpp"
#include "core/storage/workspace.hpp"
#include "core/stored_snapshot.hpp"
#include "core/subscriber_sink.hpp"
#include "core/subscriptions.hpp"
#include "protocol/decoder.hpp"
#include "protocol/messages.hpp"
#include "protocol/result.hpp"
#include "protocol/subscriber_messages.hpp"

namespace octopus::core {

struct HubOptions {
    std::filesystem::path data_dir = "data";
    std::size_t buffer_size = 100;
    std::map<std::string, std::size_t> buffer_overrides;  // per crab name
};

struct CrabInfo {
    std::string name;
    bool online = false;
    std::optional<std::uint64_t> seq;          // highest accepted seq
    std::optional<std::uint64_t> durable_seq;  // highest seq known durable
    std::uint64_t last_hub_seq = 0;
    std::int64_t last_received_at_us = 0;
    std::size_t buffered = 0;
    std::size_t buffer_size = 0;
    std::uint64_t stored = 0;      // records in the workspace
    std::uint64_t accepted = 0;    // this run
    std::uint64_t duplicates = 0;  // this run
    std::uint64_t rejected = 0;    // this run
};

// How many of `crabs` hold a live link (the octopus_crabs_online gauge, /v1/hub/stats).
inline std::size_t count_online(const std::vector<CrabInfo>& crabs) {
    std::size_t n = 0;
    for (const auto& c : crabs) n += c.online ? 1 : 0;
    return n;
}

using AckFn = std::function<void(std::uint64_t seq)>;
using CollectFn = std::function<void(protocol::Result<SnapshotPtr>)>;
struct CollectAllResult {
    std::vector<SnapshotPtr> snapshots;
    std::vector<std::pair<std::string, protocol::Error>> missing;
};

class Hub {
  public:
    Hub(HubOptions options, Executor& executor, DiskWriter& writer, Metrics& metrics,
        const Clock& clock);
    ~Hub();

    // Start-up, before serving: loads every workspace under the data dir.
    void recover(protocol::Decoder& decoder);
    // Tells `observer` (the alert engine) about snapshots and lifecycle from now on; set it
    // before recover() so it also learns the crabs found on disk.
    void set_observer(HubObserver* observer) { observer_ = observer; }

    // Registry. A name held by a live link is refused with duplicate_crab.
    protocol::Result<bool> register_crab(const std::string& name, std::shared_ptr<CrabLink> link);
    void unregister_crab(const std::string& name, const CrabLink* link);
    std::optional<std::uint64_t> durable_seq(const std::string& name) const;
    // Heartbeat polling found the crab silent: its connection is ended, so it goes offline.
    void mark_silent(const std::string& name);
    std::size_t buffer_size(const std::string& name) const;

    // Accepts snapshots from `name` (registered or not: HTTP pushes register lazily). Resent
    // seqs are counted and acknowledged, not stored. on_ack(S) runs once, when every snapshot
    // of this call is durable, with S the crab's highest durable seq. Refused as a whole, with
    // disk_full, while the disk has no room (on_ack is then never called).
    protocol::Result<bool> ingest(const std::string& name, std::vector<protocol::Snapshot>& items,
                                  AckFn on_ack);
    // Why writes are refused right now ("disk_full: ..."), or nothing when they are not.
    std::optional<std::string> write_problem() const;
    // Operator repair: the crab's seq becomes `seq` (its stored records stay), recorded durably
    // in its workspace first (core/seq_reset.hpp). Refused while the crab is connected.
    protocol::Result<bool> reset_seq(const std::string& name, std::uint64_t seq);
    void count_rejected(const std::string& name);

    // Reads.
    protocol::Result<std::vector<SnapshotPtr>> get_buffer(const std::string& name) const;
    // The newest entry of the crab's ring; null for an unknown crab or an empty ring.
    SnapshotPtr newest(const std::string& name) const;
    std::vector<CrabInfo> crabs() const;
    std::optional<CrabInfo> crab(const std::string& name) const;
    std::uint64_t hub_seq() const { return hub_seq_; }

    // Polling: ask a live crab for a fresh snapshot.
    void collect_once(const std::string& name, std::chrono::milliseconds timeout, CollectFn done);
    // `which` narrows the crabs asked (a token's collect scopes); empty asks every online crab.
    void collect_all(std::chrono::milliseconds timeout, std::function<void(CollectAllResult)> done,
                     std::function<bool(const std::string&)> which = {});

    // Subscribers. subscribe() calls sink->subscribed(), replays what `from` asks for (from the
    // ring when it covers the range, else from the workspace files), then goes live: no gap and
    // no duplicate at the seam because all of it happens in one turn of this thread.
    protocol::Result<bool> subscribe(SubscriberSink& sink, const protocol::Subscribe& spec);
    protocol::Result<bool> unsubscribe(SubscriberSink& sink, const std::string& id);
    void remove_subscriber(SubscriberSink& sink);
    // A held-back durable subscription catches up (its sink has room again).
    void resume(SubscriberSink& sink, const std::string& id);
    protocol::Result<bool> consumer_ack(SubscriberSink& sink, const std::string& id,
                                        std::uint64_t hub_seq);
    std::size_t subscription_count() const { return subs_.size(); }

    // Hands the snapshots accepted in this turn to the disk writer now (ingest queues them and
    // posts this; shutdown calls it before stopping the writer).
    void flush_writes();

    // The writer reports that everything up to hub_seq is durable (called on this thread).
    void on_durable(std::uint64_t hub_seq);

    // Run bookkeeping in each workspace's state.db.
    void end_runs();

  private:
    struct CrabState;
    struct AckWaiter {
        std::uint64_t hub_seq;
        CrabState* crab;
        std::uint64_t seq;
        AckFn on_ack;
        std::chrono::steady_clock::time_point since;
    };
    struct PendingCollect {
        std::string crab;
        CollectFn done;
    };

    CrabState& state_for(const std::string& name);
    const CrabState* find(const std::string& name) const;
    SnapshotPtr accept(CrabState& c, protocol::Snapshot& snap, std::uint64_t seq);
    void fire(AckWaiter& w);
    bool reserve_hub_seqs(std::uint64_t n);
    void reserve_ahead();
    bool reserve_now(std::uint64_t ceiling);
    void retry_reserve();
    // ENOSPC or EDQUOT while the writer retries a write for lack of space, else 0.
    int disk_full_errno() const;
    void note_seq_jump(CrabState& c, std::uint64_t seq);
    void queue_writes(std::vector<WriteItem>& writes);
    CrabInfo info(const CrabState& c) const;
    void lifecycle(const CrabState& c, const char* event);
    using Entry = Subscriptions::Entry;
    void replay(Entry& e, std::uint64_t after, std::optional<std::int64_t> since_us,
                bool ring_only);
    bool rings_cover(const Entry& e, std::uint64_t after, bool ring_only) const;
    void finish_replay(Entry& e, std::uint64_t after, std::uint64_t disk_done_to, bool ring_only);
    std::vector<std::filesystem::path> workspaces_of(const Entry& e) const;

    HubOptions options_;
    HubObserver* observer_ = nullptr;
    Executor& executor_;
    DiskWriter& writer_;
    Metrics& metrics_;
    const Clock& clock_;
    std::uint64_t hub_seq_ = 0;
    // Numbers up to reserved_ are durably reserved (see hub_seq_ceiling.hpp); one reservation
    // at a time runs ahead on the writer thread. reserve_failed_ holds why the last one failed.
    std::shared_ptr<HubSeqCeiling> ceiling_;
    std::uint64_t reserved_ = 0;
    bool reserving_ = false;
    std::optional<std::string> reserve_failed_;
    std::unordered_map<std::string, std::unique_ptr<CrabState>> crabs_;
    std::deque<AckWaiter> waiters_;
    std::vector<WriteItem> pending_writes_;  // accepted this turn, not yet handed to the writer
    bool flush_posted_ = false;
    // Accepted but not yet reported written, in hub_seq order: with the files, replay's source
    // for what the ring no longer holds.
    std::deque<std::pair<const CrabState*, SnapshotPtr>> inflight_;
    std::unordered_map<std::string, PendingCollect> collects_;
    std::uint64_t next_request_ = 0;
    Subscriptions subs_;
    CursorStore cursors_;
    std::uint64_t durable_hub_seq_ = 0;  // every snapshot up to here is complete on disk
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    // Replays the rings cannot serve (last: its reader thread stops before the rest goes).
    ReplayPump pump_{executor_, subs_,
                     ReplayPump::Hooks{[this](const Entry& e) { return workspaces_of(e); },
                                       [this] { return durable_hub_seq_; },
                                       [this](Entry& e, std::uint64_t done_to) {
                                           finish_replay(e, e.cursor, done_to, false);
                                       }}};
};

}  // namespace octopus::core
