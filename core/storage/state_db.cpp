#include "core/storage/state_db.hpp"

#include <sqlite3.h>

#include <chrono>
#include <stdexcept>
#include <system_error>

namespace octopus::core {

namespace {
constexpr const char* kSchema = R"sql(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS checkpoints(
  file TEXT PRIMARY KEY,
  offset INTEGER NOT NULL,
  max_seq INTEGER NOT NULL,
  max_hub_seq INTEGER NOT NULL,
  records INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at REAL NOT NULL,
  stopped_at REAL,
  pid INTEGER NOT NULL,
  snapshots INTEGER);
)sql";

class Statement {
  public:
    Statement(sqlite3* db, const char* sql) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
            throw std::runtime_error(std::string("state.db: ") + sqlite3_errmsg(db));
        }
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    sqlite3_stmt* get() { return stmt_; }

  private:
    sqlite3_stmt* stmt_ = nullptr;
};

double seconds(std::int64_t us) {
    return static_cast<double>(us) / 1e6;
}
}  // namespace

StateDb::StateDb(const std::filesystem::path& path) : path_(path) {
    rebuilt_ = !std::filesystem::exists(path_);
    try {
        open_and_migrate();
    } catch (const StateDbUnavailable&) {
        // The disk, not the file, is the problem (full, read-only, failing): a good state.db
        // must not be moved aside for it. The caller goes on without it.
        if (db_) sqlite3_close(db_);
        db_ = nullptr;
        throw;
    } catch (const std::exception&) {
        if (db_) sqlite3_close(db_);
        db_ = nullptr;
        auto stamp = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
        std::error_code ec;
        std::filesystem::rename(path_, path_.string() + ".corrupt-" + std::to_string(stamp), ec);
        std::filesystem::remove(path_.string() + "-wal", ec);
        std::filesystem::remove(path_.string() + "-shm", ec);
        rebuilt_ = true;
        open_and_migrate();
    }
}

StateDb::~StateDb() {
    if (db_) sqlite3_close(db_);
}

void StateDb::open_and_migrate() {
    if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
        throw std::runtime_error("cannot open " + path_.string());
    }
    sqlite3_busy_timeout(db_, 2000);
    exec(kSchema);
    Statement check(db_, "SELECT count(*) FROM checkpoints");
    if (sqlite3_step(check.get()) != SQLITE_ROW) throw std::runtime_error("state.db unreadable");
}

void StateDb::exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = "state.db " + path_.string() + ": " + (err ? err : "unknown error");
        sqlite3_free(err);
        int code = sqlite3_errcode(db_) & 0xff;
        if (code == SQLITE_FULL || code == SQLITE_IOERR || code == SQLITE_READONLY)
            throw StateDbUnavailable(msg);
        throw std::runtime_error(msg);
    }
}

std::map<std::string, Checkpoint> StateDb::load_checkpoints() {
    std::map<std::string, Checkpoint> out;
    Statement st(db_, "SELECT file, offset, max_seq, max_hub_seq, records FROM checkpoints");
    while (sqlite3_step(st.get()) == SQLITE_ROW) {
        Checkpoint cp;
        cp.file = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0));
        cp.offset = static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 1));
        cp.max_seq = static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 2));
        cp.max_hub_seq = static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 3));
        cp.records = static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 4));
        out.emplace(cp.file, cp);
    }
    return out;
}

void StateDb::save_checkpoints(const std::vector<Checkpoint>& checkpoints) {
    exec("BEGIN");
    {
        Statement st(db_,
                     "INSERT INTO checkpoints(file, offset, max_seq, max_hub_seq, records) "
                     "VALUES(?,?,?,?,?) ON CONFLICT(file) DO UPDATE SET offset=excluded.offset, "
                     "max_seq=excluded.max_seq, max_hub_seq=excluded.max_hub_seq, "
                     "records=excluded.records");
        for (const auto& cp : checkpoints) {
            sqlite3_bind_text(st.get(), 1, cp.file.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st.get(), 2, static_cast<sqlite3_int64>(cp.offset));
            sqlite3_bind_int64(st.get(), 3, static_cast<sqlite3_int64>(cp.max_seq));
            sqlite3_bind_int64(st.get(), 4, static_cast<sqlite3_int64>(cp.max_hub_seq));
            sqlite3_bind_int64(st.get(), 5, static_cast<sqlite3_int64>(cp.records));
            sqlite3_step(st.get());
            sqlite3_reset(st.get());
        }
    }
    exec("COMMIT");
}

std::int64_t StateDb::begin_run(std::int64_t started_at_us, long pid) {
    Statement st(db_, "INSERT INTO runs(started_at, pid) VALUES(?, ?)");
    sqlite3_bind_double(st.get(), 1, seconds(started_at_us));
    sqlite3_bind_int64(st.get(), 2, pid);
    sqlite3_step(st.get());
    return sqlite3_last_insert_rowid(db_);
}

void StateDb::end_run(std::int64_t run_id, std::int64_t stopped_at_us, std::uint64_t snapshots) {
    Statement st(db_, "UPDATE runs SET stopped_at = ?, snapshots = ? WHERE id = ?");
    sqlite3_bind_double(st.get(), 1, seconds(stopped_at_us));
    sqlite3_bind_int64(st.get(), 2, static_cast<sqlite3_int64>(snapshots));
    sqlite3_bind_int64(st.get(), 3, run_id);
    sqlite3_step(st.get());
}

}  // namespace octopus::core
