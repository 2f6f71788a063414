// The disk writer: one thread that owns every workspace file after start-up. The network
// thread hands it accepted snapshots; it appends them with group commit (everything queued
// since the last round shares one writev per file and, under fsync=always, one fdatasync per
// file, issued in parallel through a SyncPool), then reports "durable up to hub_seq H" through the
// on_durable callback, from its own thread. It must never call back before the durability the
// policy promises:
//   always   - after fdatasync          interval - after write(); fdatasync every N ms
//   never    - after write(); the kernel decides when it reaches the disk
// A failed write is cut back to the last good offset and retried with backoff; nothing is
// acknowledged until it succeeds. Every checkpoint_interval it hands copies of the changed
// checkpoints to the Checkpointer thread, which owns the SQLite side.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/metrics.hpp"
#include "core/storage/checkpointer.hpp"
#include "core/storage/sync_pool.hpp"
#include "core/storage/workspace.hpp"
#include "core/stored_snapshot.hpp"

namespace octopus::core {

enum class FsyncPolicy { always, interval, never };

bool parse_fsync_policy(const std::string& text, FsyncPolicy& out);

struct WriterOptions {
    FsyncPolicy policy = FsyncPolicy::always;
    std::chrono::milliseconds fsync_interval{100};
    std::chrono::milliseconds checkpoint_interval{1000};
};

struct WriteItem {
    Workspace* workspace;
    SnapshotPtr snapshot;
};

class DiskWriter {
  public:
    using DurableFn = std::function<void(std::uint64_t hub_seq)>;

    DiskWriter(WriterOptions options, Metrics& metrics, DurableFn on_durable = nullptr);
    ~DiskWriter();
    DiskWriter(const DiskWriter&) = delete;
    DiskWriter& operator=(const DiskWriter&) = delete;

    // Where "durable up to hub_seq H" reports go (the writer's thread calls it); set it before
    // start(), typically once the hub that receives them exists.
    void set_on_durable(DurableFn on_durable) { on_durable_ = std::move(on_durable); }
    void start();
    // Any thread. Items keep their order.
    void submit(std::vector<WriteItem> items);
    // Any thread. Runs on the writer thread after the snapshots queued before it are written;
    // `sync` tells the task whether the fsync policy is "always".
    void submit_task(std::function<void(bool sync)> task);
    // Writes what is queued, syncs and checkpoints everything, joins the thread.
    void stop();
    // The errno of the write, open or sync being retried, 0 once one succeeds. Any thread: the
    // hub refuses new snapshots while it is ENOSPC or EDQUOT (what is queued stays queued and is
    // acked once written).
    int failing_errno() const { return failing_errno_.load(std::memory_order_relaxed); }

  private:
    void run();
    RecordFile& target(const WriteItem& item);
    void write_batch(std::vector<WriteItem>& batch);
    void write_chunk(std::vector<WriteItem>& batch, std::size_t first, std::size_t last);
    bool write_file(RecordFile& file, std::vector<const StoredSnapshot*>& lines);
    void sync_file(RecordFile& file);
    void sync_together(const std::vector<RecordFile*>& files,
                       const std::vector<Workspace*>& workspaces);
    void sync_dirty(bool all);
    void sync_owed(const std::vector<Workspace*>& workspaces, bool all);
    void checkpoint_dirty();
    void mark_recent(Workspace* ws);
    void release_idle();

    WriterOptions options_;
    Metrics& metrics_;
    DurableFn on_durable_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<WriteItem> queue_;
    std::vector<std::function<void(bool)>> tasks_;
    bool stopping_ = false;
    std::atomic<int> failing_errno_{0};
    bool idle_ = false;  // the writer waits on cv_: only then does submit() need to wake it
    std::thread thread_;
    std::unordered_set<Workspace*> touched_;  // writer thread only: workspaces ever written
    // Workspaces with open files, most recently written first: beyond kMaxOpenWorkspaces the
    // oldest are released, so descriptors stay bounded whatever the number of crabs.
    std::list<Workspace*> recent_;
    std::unordered_map<Workspace*, std::list<Workspace*>::iterator> recent_pos_;
    Checkpointer checkpointer_{metrics_};  // state.db writes, off this thread
    SyncPool sync_pool_{7};                // with the writer thread: 8 syncs at once
    std::chrono::steady_clock::time_point last_sync_;
    std::chrono::steady_clock::time_point last_checkpoint_;
};

}  // namespace octopus::core
