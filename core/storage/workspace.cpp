#include "core/storage/workspace.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <utility>

namespace octopus::core {

namespace fs = std::filesystem;

namespace {
std::runtime_error sys_error(const std::string& what, const fs::path& p) {
    return std::runtime_error(what + " " + p.string() + ": " + std::strerror(errno));
}

std::int64_t now_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// Creates `dir` (and parents); notes the parent of each directory it created in `unsynced`.
void make_dirs(const fs::path& dir, std::vector<fs::path>& unsynced) {
    if (fs::exists(dir)) return;
    make_dirs(dir.parent_path(), unsynced);
    fs::create_directory(dir);
    unsynced.push_back(dir.parent_path());
}
}  // namespace

void sync_directory(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

bool append_to_file(const fs::path& file, std::string_view data, bool sync) {
    auto parent = file.parent_path();
    std::error_code ec;
    if (fs::create_directories(parent, ec)) sync_directory(parent.parent_path());
    bool new_file = !fs::exists(file, ec);
    int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    bool ok = fd >= 0;
    for (std::size_t written = 0; ok && written < data.size();) {
        auto n = ::write(fd, data.data() + written, data.size() - written);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) written += static_cast<std::size_t>(n);
    }
    if (ok && sync) ok = ::fdatasync(fd) == 0;
    int err = errno;
    if (fd >= 0) ::close(fd);
    if (new_file) sync_directory(parent);
    errno = err;
    return ok;
}

std::string month_of(const fs::path& file) {
    auto parent = file.parent_path().filename().string();
    if (parent.rfind("month=", 0) == 0) return parent.substr(6);
    return "unknown";
}

Workspace::Workspace(fs::path root, std::string crab)
    : root_(std::move(root)), crab_(std::move(crab)) {}

Workspace::~Workspace() {
    close_files();
}

void Workspace::open() {
    if (lock_) return;
    for (const char* dir : {"records", "manifests", "objects"})
        make_dirs(root_ / dir, unsynced_dirs_);
    lock_ = std::make_unique<FileLock>(root_ / ".lock");
}

StateDb& Workspace::state() {
    if (!state_) {
        state_ = std::make_unique<StateDb>(root_ / "state.db");
        if (run_id_ == 0) run_id_ = state_->begin_run(now_us(), static_cast<long>(::getpid()));
    }
    return *state_;
}

void Workspace::close_state() {
    state_.reset();
}

void Workspace::release() {
    close_files();
    lock_.reset();
}

std::vector<fs::path> Workspace::take_unsynced_dirs() {
    std::sort(unsynced_dirs_.begin(), unsynced_dirs_.end());
    unsynced_dirs_.erase(std::unique(unsynced_dirs_.begin(), unsynced_dirs_.end()),
                         unsynced_dirs_.end());
    return std::exchange(unsynced_dirs_, {});
}

void Workspace::end_run(std::uint64_t snapshots) {
    if (run_id_ == 0) return;
    try {
        state().end_run(run_id_, now_us(), snapshots);
    } catch (const std::exception& e) {
        spdlog::warn("run end for {} not recorded: {}", crab_, e.what());
    }
    close_state();
}

std::string Workspace::relative_path(const std::string& month) {
    return "records/month=" + month + "/detail.jsonl";
}

RecordFile& Workspace::file(const std::string& month) {
    auto [it, inserted] = files_.try_emplace(month);
    RecordFile& f = it->second;
    if (inserted) f.relative = relative_path(month);
    if (f.fd < 0) open_fd(f);
    return f;
}

void Workspace::open_fd(RecordFile& f) {
    open();
    fs::path path = root_ / f.relative;
    bool created = !fs::exists(path);
    make_dirs(path.parent_path(), unsynced_dirs_);
    f.fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (f.fd < 0) throw sys_error("cannot open", path);
    struct stat st {};
    ::fstat(f.fd, &st);
    f.size = static_cast<std::uint64_t>(st.st_size);
    if (created) unsynced_dirs_.push_back(path.parent_path());
}

std::vector<fs::path> Workspace::record_files() const {
    return list_record_files(root_);
}

std::vector<fs::path> list_record_files(const fs::path& root) {
    std::vector<fs::path> out;
    std::error_code ec;
    fs::path records = root / "records";
    if (!fs::exists(records, ec)) return out;
    for (auto it = fs::recursive_directory_iterator(records, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".jsonl") out.push_back(it->path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::uint64_t Workspace::cut_torn_tail(const fs::path& file) {
    return octopus::core::cut_torn_tail(root_, file);
}

std::uint64_t cut_torn_tail(const fs::path& root, const fs::path& file) {
    int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) throw sys_error("cannot open", file);
    struct stat st {};
    ::fstat(fd, &st);
    auto size = static_cast<std::uint64_t>(st.st_size);
    // Find the last newline by reading backwards in blocks.
    std::uint64_t keep = 0;
    std::string block;
    for (std::uint64_t end = size; end > 0;) {
        std::uint64_t start = end > 65536 ? end - 65536 : 0;
        block.resize(end - start);
        if (::pread(fd, block.data(), block.size(), static_cast<off_t>(start)) !=
            static_cast<ssize_t>(block.size())) {
            ::close(fd);
            throw sys_error("cannot read", file);
        }
        auto nl = block.rfind('\n');
        if (nl != std::string::npos) {
            keep = start + nl + 1;
            break;
        }
        end = start;
    }
    std::uint64_t cut = size - keep;
    if (cut > 0) {
        std::string tail(cut, '\0');
        ::pread(fd, tail.data(), cut, static_cast<off_t>(keep));
        std::ofstream aside(root / "manifests" / "torn.jsonl", std::ios::app | std::ios::binary);
        aside << "{\"file\":\"" << fs::relative(file, root).string() << "\",\"offset\":" << keep
              << ",\"bytes\":" << cut << "}\n";
        aside.write(tail.data(), static_cast<std::streamsize>(tail.size()));
        aside << "\n";
        aside.flush();
        if (::ftruncate(fd, static_cast<off_t>(keep)) != 0) {
            ::close(fd);
            throw sys_error("cannot truncate", file);
        }
        ::fsync(fd);
    }
    ::close(fd);
    return cut;
}

void Workspace::sync_all() {
    for (auto& [month, f] : files_) {
        if (f.fd >= 0 && f.needs_sync) {
            ::fdatasync(f.fd);
            f.needs_sync = false;
        }
    }
}

void Workspace::close_files() {
    for (auto& [month, f] : files_) {
        if (f.fd >= 0) ::close(f.fd);
        f.fd = -1;
    }
}

void scan_lines(const fs::path& file, std::uint64_t offset,
                const std::function<void(std::string_view, std::uint64_t)>& fn) {
    std::ifstream in(file, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    std::string carry;
    std::vector<char> buf(1 << 20);
    std::uint64_t pos = offset;  // file offset of carry's first byte
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        auto got = static_cast<std::size_t>(in.gcount());
        if (got == 0) break;
        carry.append(buf.data(), got);
        std::size_t start = 0;
        for (auto nl = carry.find('\n'); nl != std::string::npos; nl = carry.find('\n', start)) {
            fn(std::string_view(carry).substr(start, nl - start), pos + nl + 1);
            start = nl + 1;
        }
        carry.erase(0, start);
        pos += start;
    }
}

std::vector<std::string> read_tail_lines(const fs::path& file, std::size_t n) {
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    auto size = static_cast<std::uint64_t>(in.tellg());
    std::string data;
    std::uint64_t start = size;
    // Grow the window until it holds n + 1 newlines (n lines plus the previous line's end).
    while (start > 0 && static_cast<std::size_t>(std::count(data.begin(), data.end(), '\n')) <= n) {
        std::uint64_t next = start > 65536 ? start - 65536 : 0;
        std::string block(start - next, '\0');
        in.seekg(static_cast<std::streamoff>(next));
        in.read(block.data(), static_cast<std::streamsize>(block.size()));
        data.insert(0, block);
        start = next;
    }
    std::vector<std::string> lines;
    std::size_t pos = 0;
    if (start > 0) pos = data.find('\n') + 1;  // drop the partial first line of the window
    for (auto nl = data.find('\n', pos); nl != std::string::npos; nl = data.find('\n', pos)) {
        lines.emplace_back(data, pos, nl - pos);
        pos = nl + 1;
    }
    if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(n));
    return lines;
}

}  // namespace octopus::core
