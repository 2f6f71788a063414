// state.db: a source's rebuildable operational state in SQLite (WAL). It holds checkpoints
// (per record file: the byte offset up to which the file was scanned and the highest seq and
// hub_seq below it) and run records (hub start/stop). It is never the data contract: deleting
// or corrupting it loses nothing, because the JSONL records rebuild it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;

namespace octopus::core {

struct Checkpoint {
    std::string
        file;  // path relative to the workspace root, e.g. records/month=2026-11/detail.jsonl
    std::uint64_t offset = 0;
    std::uint64_t max_seq = 0;
    std::uint64_t max_hub_seq = 0;
    std::uint64_t records = 0;
};

// The disk refused state.db (full, read-only, I/O error): unlike a corrupt file, this is no
// reason to move it aside. Recovery goes on without checkpoints.
struct StateDbUnavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class StateDb {
  public:
    // Opens or creates the database. A file SQLite cannot read is moved aside to
    // state.db.corrupt-<unix seconds> and a fresh one is created (rebuilt() then says so).
    explicit StateDb(const std::filesystem::path& path);
    ~StateDb();
    StateDb(const StateDb&) = delete;
    StateDb& operator=(const StateDb&) = delete;

    bool rebuilt() const { return rebuilt_; }

    std::map<std::string, Checkpoint> load_checkpoints();
    void save_checkpoints(const std::vector<Checkpoint>& checkpoints);

    std::int64_t begin_run(std::int64_t started_at_us, long pid);
    void end_run(std::int64_t run_id, std::int64_t stopped_at_us, std::uint64_t snapshots);

  private:
    void open_and_migrate();
    void exec(const char* sql);

    std::filesystem::path path_;
    sqlite3* db_ = nullptr;
    bool rebuilt_ = false;
};

}  // namespace octopus::core
