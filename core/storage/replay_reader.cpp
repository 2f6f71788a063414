// ReplayReader: positioned, merged reads of record files (see the header).
#include "core/storage/replay_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <queue>
#include <string>

#include "core/storage/recovery.hpp"
#include "core/storage/workspace.hpp"
#include "protocol/decoder.hpp"
#include "protocol/envelope.hpp"

namespace octopus::core {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kLinearWindow = 256 * 1024;  // below this, scanning beats seeking
constexpr std::size_t kReadBlock = 1 << 20;
constexpr std::size_t kProbe = 4096;

class Fd {
  public:
    explicit Fd(const fs::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

  private:
    int fd_;
};

std::size_t pread_some(int fd, char* out, std::size_t n, std::uint64_t at) {
    ssize_t got = ::pread(fd, out, n, static_cast<off_t>(at));
    return got > 0 ? static_cast<std::size_t>(got) : 0;
}

// The first line start at or after `p` and before `hi`.
std::optional<std::uint64_t> next_line_start(int fd, std::uint64_t p, std::uint64_t hi) {
    if (p == 0) return 0;
    char buf[kProbe];
    for (std::uint64_t at = p - 1; at < hi;) {
        std::size_t got = pread_some(fd, buf, kProbe, at);
        if (got == 0) return std::nullopt;
        const char* nl = static_cast<const char*>(std::memchr(buf, '\n', got));
        if (nl) {
            std::uint64_t start = at + static_cast<std::uint64_t>(nl - buf) + 1;
            return start < hi ? std::optional(start) : std::nullopt;
        }
        at += got;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> hub_seq_at(int fd, std::uint64_t start) {
    char buf[64];
    std::size_t got = pread_some(fd, buf, sizeof buf, start);
    return protocol::peek_hub_seq(std::string_view(buf, got));
}

// A line start at or before the first line whose hub_seq is above `after`: binary search while
// the range is wide, so the sequential read that follows skips at most kLinearWindow bytes.
std::uint64_t position_after(int fd, std::uint64_t size, std::uint64_t after) {
    std::uint64_t lo = 0, hi = size;
    while (hi - lo > kLinearWindow) {
        auto start = next_line_start(fd, lo + (hi - lo) / 2, hi);
        auto seq = start ? hub_seq_at(fd, *start) : std::nullopt;
        if (!seq) break;
        (*seq <= after ? lo : hi) = *start;
    }
    return lo;
}

// One record file read forward, line by line, from its positioned start. It stops for good at
// the first line above `limit`, a line it cannot read, or the end of the file.
class FileCursor {
  public:
    FileCursor(const fs::path& path, const ReplayRequest& request)
        : fd_(path), month_(month_of(path)), limit_(request.limit) {
        if (fd_.get() < 0) return;
        std::uint64_t size = static_cast<std::uint64_t>(::lseek(fd_.get(), 0, SEEK_END));
        offset_ = position_after(fd_.get(), size, request.after);
        do advance();
        while (seq_ && *seq_ <= request.after);
    }
    bool valid() const { return seq_.has_value(); }
    std::uint64_t hub_seq() const { return *seq_; }
    std::string_view line() const { return line_; }
    const std::string& month() const { return month_; }
    // The next line at or below the limit; a damaged line (recovery counted it) is skipped.
    void advance() {
        seq_.reset();
        for (;;) {
            auto nl = data_ ? find_newline() : std::string::npos;
            if (nl == std::string::npos && refill()) nl = find_newline();
            if (nl == std::string::npos) return;
            line_ = std::string_view(data_.get() + pos_, nl - pos_);
            pos_ = nl + 1;
            auto seq = protocol::peek_hub_seq(line_);
            if (!seq) continue;
            if (*seq <= limit_) seq_ = seq;
            return;
        }
    }

  private:
    // Keeps the unread tail and appends the next block; false at the end of the file. The block
    // is read straight into place, never zero-filled first.
    bool refill() {
        std::size_t tail = len_ - pos_;
        if (!data_ || tail + kReadBlock > cap_) {
            cap_ = std::max(cap_ * 2, tail + kReadBlock);
            auto bigger = std::make_unique<char[]>(cap_);
            if (tail) std::memcpy(bigger.get(), data_.get() + pos_, tail);
            data_ = std::move(bigger);
        } else if (tail) {
            std::memmove(data_.get(), data_.get() + pos_, tail);
        }
        pos_ = 0;
        std::size_t got = pread_some(fd_.get(), data_.get() + tail, kReadBlock, offset_);
        len_ = tail + got;
        offset_ += got;
        return got > 0;
    }
    std::size_t find_newline() const {
        const void* nl = std::memchr(data_.get() + pos_, '\n', len_ - pos_);
        return nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data_.get())
                  : std::string::npos;
    }

    Fd fd_;
    std::string month_;
    std::uint64_t limit_;
    std::uint64_t offset_ = 0;  // file offset of the next block to read
    std::unique_ptr<char[]> data_;
    std::size_t cap_ = 0, len_ = 0, pos_ = 0;
    std::string_view line_;
    std::optional<std::uint64_t> seq_;
};

}  // namespace

ReplayChunk read_replay_chunk(const ReplayRequest& request) {
    std::vector<std::unique_ptr<FileCursor>> cursors;
    for (const auto& root : request.workspaces) {
        for (const auto& file : list_record_files(root)) {
            auto c = std::make_unique<FileCursor>(file, request);
            if (c->valid()) cursors.push_back(std::move(c));
        }
    }
    auto later = [](const FileCursor* a, const FileCursor* b) {
        return a->hub_seq() > b->hub_seq();
    };
    std::priority_queue<FileCursor*, std::vector<FileCursor*>, decltype(later)> heap(later);
    for (auto& c : cursors) heap.push(c.get());
    protocol::Decoder decoder;
    ReplayChunk chunk;
    while (!heap.empty() && chunk.events.size() < request.max_events) {
        FileCursor* c = heap.top();
        heap.pop();
        auto s = snapshot_from_line(decoder, c->line(), c->month());
        if (s && (!request.since_us || s->received_at_us >= *request.since_us))
            chunk.events.push_back(std::move(s));
        c->advance();
        if (c->valid()) heap.push(c);
    }
    chunk.reached_limit = heap.empty();
    return chunk;
}

ReplayReader::ReplayReader(Executor& executor) : executor_(executor), thread_([this] { run(); }) {}

ReplayReader::~ReplayReader() {
    {
        std::lock_guard lk(mu_);
        stopping_ = true;
        jobs_.clear();
    }
    cv_.notify_one();
    thread_.join();
}

void ReplayReader::read(ReplayRequest request, Done done) {
    {
        std::lock_guard lk(mu_);
        jobs_.emplace_back(std::move(request), std::move(done));
    }
    cv_.notify_one();
}

void ReplayReader::run() {
    for (;;) {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [this] { return stopping_ || !jobs_.empty(); });
        if (stopping_) return;
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        lk.unlock();
        auto chunk = std::make_shared<ReplayChunk>(read_replay_chunk(job.first));
        executor_.post([done = std::move(job.second), chunk] { done(std::move(*chunk)); });
    }
}

}  // namespace octopus::core
