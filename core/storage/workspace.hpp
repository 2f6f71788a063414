// A crab's source workspace, the durable contract (README, "The source workspace"):
//   <data>/<crab>/records/month=YYYY-MM/detail.jsonl   append-only envelopes, one per line
//   <data>/<crab>/manifests/                           audit trails (torn tails kept here)
//   <data>/<crab>/objects/                             reserved for object payloads
//   <data>/<crab>/state.db                             rebuildable checkpoints and runs
//   <data>/<crab>/.lock                                source lock (flock) while open
// After start-up a Workspace is touched only by the disk writer thread. It never rewrites or
// reorders a record; the only truncation is cutting a torn, newline-less tail after a crash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/storage/file_lock.hpp"
#include "core/storage/state_db.hpp"

namespace octopus::core {

// One append target. Tracks what a checkpoint needs so no re-scan is required to write one.
struct RecordFile {
    std::string relative;  // records/month=YYYY-MM/detail.jsonl
    int fd = -1;
    std::uint64_t size = 0;
    std::uint64_t max_seq = 0;
    std::uint64_t max_hub_seq = 0;
    std::uint64_t records = 0;
    bool needs_sync = false;
    bool needs_checkpoint = false;

    Checkpoint checkpoint() const { return {relative, size, max_seq, max_hub_seq, records}; }
};

class Workspace {
  public:
    Workspace(std::filesystem::path root, std::string crab);
    ~Workspace();
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

    const std::string& crab() const { return crab_; }
    const std::filesystem::path& root() const { return root_; }
    // Creates the tree and takes the source lock. Idempotent. Throws on failure. The directory
    // entries it creates are not fsynced here: take_unsynced_dirs() hands their parents to the
    // disk writer, which syncs them with the round's files (in parallel, before any ack).
    void open();
    // state.db, opened (and this run recorded) on first use, after open(): off the path of a
    // crab's first snapshot, since creating a SQLite database costs far more than appending a
    // line. It never takes the source lock, so the checkpointer thread may call it.
    StateDb& state();
    // Closes state.db (the checkpointer does after each save, so descriptors never grow with
    // the number of crabs); the next state() reopens it within the same run.
    void close_state();
    // Closes the record files and releases the source lock; the next file() reopens both. The
    // disk writer does this to workspaces it has not written recently.
    void release();
    // Records the run's end in state.db (no-op when this run never opened it).
    void end_run(std::uint64_t snapshots);
    // Directories whose new entries still need an fsync; empties the list.
    std::vector<std::filesystem::path> take_unsynced_dirs();

    // The append target for a month partition, created and opened on first use.
    RecordFile& file(const std::string& month);
    std::map<std::string, RecordFile>& files() { return files_; }

    static std::string relative_path(const std::string& month);

    // Every *.jsonl under records/, discovered recursively, sorted.
    std::vector<std::filesystem::path> record_files() const;

    // Moves a newline-less tail (a write torn by a crash) to manifests/torn.jsonl and truncates
    // the file to its last complete line. Returns the number of bytes cut.
    std::uint64_t cut_torn_tail(const std::filesystem::path& file);

    void sync_all();
    void close_files();

  private:
    void open_fd(RecordFile& f);

    std::filesystem::path root_;
    std::string crab_;
    std::unique_ptr<FileLock> lock_;
    std::unique_ptr<StateDb> state_;
    std::vector<std::filesystem::path> unsynced_dirs_;
    std::map<std::string, RecordFile> files_;  // by month
    std::int64_t run_id_ = 0;
};

// The record files under a workspace root, sorted (month order).
std::vector<std::filesystem::path> list_record_files(const std::filesystem::path& root);

// Moves a newline-less tail of `file` (a write torn by a crash) to <root>/manifests/torn.jsonl
// and truncates the file to its last complete line. Returns the number of bytes cut.
std::uint64_t cut_torn_tail(const std::filesystem::path& root, const std::filesystem::path& file);

// Calls fn(line, end_offset) for each complete line of `file` from byte `offset` on.
void scan_lines(const std::filesystem::path& file, std::uint64_t offset,
                const std::function<void(std::string_view, std::uint64_t)>& fn);

// The last `n` complete lines of `file`, oldest first, read backwards in blocks.
std::vector<std::string> read_tail_lines(const std::filesystem::path& file, std::size_t n);

// fsync on a directory, so a newly created entry in it survives a power cut.
void sync_directory(const std::filesystem::path& dir);

// Appends `data` to `file` (for small side files: cursors, the alert audit), creating it and its
// directories as needed, then fdatasync when `sync`. A new file or directory gets its entry
// synced in its parent. False (errno set) when the open, a write or the sync failed.
bool append_to_file(const std::filesystem::path& file, std::string_view data, bool sync);

// The month a record file belongs to, from its month=YYYY-MM parent ("unknown" otherwise).
std::string month_of(const std::filesystem::path& file);

}  // namespace octopus::core
