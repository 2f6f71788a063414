#include "core/storage/disk_writer.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace octopus::core {

using Clock = std::chrono::steady_clock;

namespace {

// ~2 descriptors each (lock, record file); a burst may hold twice as many within one round.
constexpr std::size_t kMaxOpenWorkspaces = 1024;

}  // namespace

bool parse_fsync_policy(const std::string& text, FsyncPolicy& out) {
    if (text == "always") {
        out = FsyncPolicy::always;
    } else if (text == "interval") {
        out = FsyncPolicy::interval;
    } else if (text == "never") {
        out = FsyncPolicy::never;
    } else {
        return false;
    }
    return true;
}

DiskWriter::DiskWriter(WriterOptions options, Metrics& metrics, DurableFn on_durable)
    : options_(options), metrics_(metrics), on_durable_(std::move(on_durable)) {}

DiskWriter::~DiskWriter() {
    stop();
}

void DiskWriter::start() {
    last_sync_ = last_checkpoint_ = Clock::now();
    checkpointer_.start();
    thread_ = std::thread([this] { run(); });
}

void DiskWriter::submit(std::vector<WriteItem> items) {
    bool idle = false;
    {
        std::lock_guard lk(mu_);
        idle = idle_;
        if (queue_.empty()) {
            queue_ = std::move(items);
        } else {
            queue_.insert(queue_.end(), std::make_move_iterator(items.begin()),
                          std::make_move_iterator(items.end()));
        }
    }
    if (idle) cv_.notify_one();  // a busy writer finds the queue when its round ends
}

void DiskWriter::submit_task(std::function<void(bool sync)> task) {
    {
        std::lock_guard lk(mu_);
        tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
}

void DiskWriter::stop() {
    {
        std::lock_guard lk(mu_);
        stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
    checkpointer_.stop();
}

void DiskWriter::run() {
    std::vector<WriteItem> batch;
    std::vector<std::function<void(bool)>> tasks;
    for (;;) {
        {
            std::unique_lock lk(mu_);
            auto wake =
                Clock::now() + std::min(options_.fsync_interval, options_.checkpoint_interval);
            idle_ = true;
            cv_.wait_until(lk, wake,
                           [&] { return !queue_.empty() || !tasks_.empty() || stopping_; });
            idle_ = false;
            batch.swap(queue_);
            tasks.swap(tasks_);
            if (batch.empty() && tasks.empty() && stopping_) break;
        }
        if (!batch.empty()) write_batch(batch);
        batch.clear();
        for (auto& task : tasks) task(options_.policy == FsyncPolicy::always);
        tasks.clear();
        if (options_.policy == FsyncPolicy::interval &&
            Clock::now() - last_sync_ >= options_.fsync_interval) {
            sync_dirty(false);
        }
        if (Clock::now() - last_checkpoint_ >= options_.checkpoint_interval) checkpoint_dirty();
    }
    sync_dirty(true);
    checkpoint_dirty();
}

// The file an item goes to; opening it (mkdir, open) is retried until the disk allows it.
RecordFile& DiskWriter::target(const WriteItem& item) {
    for (;;) {
        try {
            return item.workspace->file(item.snapshot->month);
        } catch (const std::exception& e) {
            failing_errno_ = errno ? errno : EIO;
            bump(metrics_.disk_write_errors);
            spdlog::error("disk writer: {} (retrying)", e.what());
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
}

// Writes the batch in chunks of at most kMaxOpenWorkspaces workspaces, each acknowledged (in
// hub_seq order) once durable, so even a burst from thousands of new crabs never needs more
// open descriptors than the cap allows.
void DiskWriter::write_batch(std::vector<WriteItem>& batch) {
    std::unordered_set<Workspace*> seen;
    std::size_t first = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (seen.count(batch[i].workspace)) continue;
        if (seen.size() == kMaxOpenWorkspaces) {
            write_chunk(batch, first, i);
            seen.clear();
            first = i;
        }
        seen.insert(batch[i].workspace);
    }
    write_chunk(batch, first, batch.size());
}

void DiskWriter::write_chunk(std::vector<WriteItem>& batch, std::size_t first, std::size_t last) {
    // Group by target file, keeping each file's lines in arrival order.
    std::vector<std::pair<RecordFile*, std::vector<const StoredSnapshot*>>> groups;
    std::unordered_map<RecordFile*, std::size_t> group_of;
    std::unordered_set<Workspace*> seen;
    std::vector<Workspace*> workspaces;  // this chunk's, once each
    std::uint64_t max_hub_seq = 0;
    for (std::size_t i = first; i < last; ++i) {
        const WriteItem& item = batch[i];
        RecordFile* file = &target(item);
        touched_.insert(item.workspace);
        if (seen.insert(item.workspace).second) {
            workspaces.push_back(item.workspace);
            mark_recent(item.workspace);
        }
        auto [it, added] = group_of.try_emplace(file, groups.size());
        if (added) groups.emplace_back(file, std::vector<const StoredSnapshot*>{});
        groups[it->second].second.push_back(item.snapshot.get());
        max_hub_seq = std::max(max_hub_seq, item.snapshot->hub_seq);
    }
    for (auto& [file, lines] : groups) {
        for (int attempt = 0; !write_file(*file, lines); ++attempt) {
            std::this_thread::sleep_for(
                std::chrono::milliseconds(std::min(2000, 50 << std::min(attempt, 5))));
        }
    }
    if (options_.policy == FsyncPolicy::always) {
        std::vector<RecordFile*> files;
        for (auto& [file, lines] : groups) files.push_back(file);
        sync_together(files, workspaces);
    }
    bump(metrics_.disk_write_batches);
    if (on_durable_) on_durable_(max_hub_seq);
    release_idle();
}

void DiskWriter::mark_recent(Workspace* ws) {
    auto it = recent_pos_.find(ws);
    if (it != recent_pos_.end()) recent_.erase(it->second);
    recent_.push_front(ws);
    recent_pos_[ws] = recent_.begin();
}

// Releases the least recently written workspaces beyond the cap, after syncing what the policy
// still owes (under "always" this round already synced everything it wrote).
void DiskWriter::release_idle() {
    std::vector<Workspace*> idle;
    while (recent_.size() > kMaxOpenWorkspaces) {
        idle.push_back(recent_.back());
        recent_pos_.erase(recent_.back());
        recent_.pop_back();
    }
    if (idle.empty()) return;
    sync_owed(idle, false);
    for (Workspace* ws : idle) ws->release();
}

bool DiskWriter::write_file(RecordFile& file, std::vector<const StoredSnapshot*>& lines) {
    std::vector<iovec> iov;
    iov.reserve(lines.size());
    std::uint64_t total = 0;
    for (const auto* s : lines) {
        iov.push_back({const_cast<char*>(s->line.data()), s->line.size()});
        total += s->line.size();
    }
    std::uint64_t written = 0;
    std::size_t first = 0;
    while (first < iov.size()) {
        int count = static_cast<int>(std::min<std::size_t>(iov.size() - first, IOV_MAX));
        ssize_t n = ::writev(file.fd, iov.data() + first, count);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            failing_errno_ = errno;
            bump(metrics_.disk_write_errors);
            spdlog::error("disk writer: write to {} failed: {} (retrying)", file.relative,
                          std::strerror(errno));
            // Cut back any partial line so the file stays a sequence of whole envelopes.
            if (::ftruncate(file.fd, static_cast<off_t>(file.size)) != 0) {
                spdlog::error("disk writer: truncate {} failed: {}", file.relative,
                              std::strerror(errno));
            }
            return false;
        }
        written += static_cast<std::uint64_t>(n);
        auto left = static_cast<std::size_t>(n);
        while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
        if (left > 0) {
            iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
            iov[first].iov_len -= left;
        }
    }
    failing_errno_ = 0;
    file.size += total;
    file.records += lines.size();
    for (const auto* s : lines) {
        file.max_seq = std::max(file.max_seq, s->seq);
        file.max_hub_seq = std::max(file.max_hub_seq, s->hub_seq);
    }
    file.needs_sync = true;
    file.needs_checkpoint = true;
    bump(metrics_.disk_bytes_written, written);
    return true;
}

// An ack must never follow a failed fdatasync: retry with backoff until the disk accepts it.
void DiskWriter::sync_file(RecordFile& file) {
    for (int attempt = 0; ::fdatasync(file.fd) != 0; ++attempt) {
        failing_errno_ = errno;
        bump(metrics_.disk_write_errors);
        spdlog::error("disk writer: fdatasync {} failed: {} (retrying)", file.relative,
                      std::strerror(errno));
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::min(2000, 50 << std::min(attempt, 5))));
    }
    file.needs_sync = false;
    bump(metrics_.fsyncs);
}

// The files, and the directories that gained entries in `workspaces`, synced in parallel.
void DiskWriter::sync_together(const std::vector<RecordFile*>& files,
                               const std::vector<Workspace*>& workspaces) {
    std::vector<std::filesystem::path> dirs;
    for (Workspace* ws : workspaces) {
        auto more = ws->take_unsynced_dirs();
        dirs.insert(dirs.end(), more.begin(), more.end());
    }
    sync_pool_.run(files.size() + dirs.size(), [&](std::size_t i) {
        if (i < files.size()) return sync_file(*files[i]);
        sync_directory(dirs[i - files.size()]);
    });
}

void DiskWriter::sync_dirty(bool all) {
    sync_owed(std::vector<Workspace*>(touched_.begin(), touched_.end()), all);
    last_sync_ = Clock::now();
}

// Syncs the open, written files of `workspaces` (and their new directory entries) that the
// policy still owes to the disk: under "never" only when `all` (a clean stop).
void DiskWriter::sync_owed(const std::vector<Workspace*>& workspaces, bool all) {
    if (!all && options_.policy == FsyncPolicy::never) return;
    std::vector<RecordFile*> dirty;
    for (Workspace* ws : workspaces)
        for (auto& [month, f] : ws->files())
            if (f.fd >= 0 && f.needs_sync) dirty.push_back(&f);
    sync_together(dirty, workspaces);
}

// Hands a copy of every changed checkpoint to the checkpointer thread; never waits for SQLite.
void DiskWriter::checkpoint_dirty() {
    for (Workspace* ws : touched_) {
        std::vector<Checkpoint> cps;
        for (auto& [month, f] : ws->files()) {
            if (!f.needs_checkpoint) continue;
            cps.push_back(f.checkpoint());
            f.needs_checkpoint = false;
        }
        if (!cps.empty()) checkpointer_.submit(ws, std::move(cps));
    }
    last_checkpoint_ = Clock::now();
}

}  // namespace octopus::core
