#include "core/storage/recovery.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>
#include <fstream>

namespace octopus::core {

namespace fs = std::filesystem;

namespace {

// True when `offset` is 0 or sits just after a newline in a file at least that long.
bool on_line_boundary(const fs::path& file, std::uint64_t offset) {
    if (offset == 0) return true;
    if (fs::file_size(file) < offset) return false;
    std::ifstream in(file, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset - 1));
    return in.get() == '\n';
}

void merge_newest(std::vector<SnapshotPtr>& newest, std::vector<SnapshotPtr> more, std::size_t n) {
    newest.insert(newest.end(), more.begin(), more.end());
    std::sort(newest.begin(), newest.end(),
              [](const SnapshotPtr& a, const SnapshotPtr& b) { return a->hub_seq < b->hub_seq; });
    if (newest.size() > n)
        newest.erase(newest.begin(), newest.end() - static_cast<std::ptrdiff_t>(n));
}

}  // namespace

SnapshotPtr snapshot_from_line(protocol::Decoder& decoder, std::string_view line,
                               const std::string& month) {
    auto env = decoder.decode_envelope(line);
    if (!env) return nullptr;
    auto s = std::make_shared<StoredSnapshot>();
    s->hub_seq = env.value().hub_seq;
    s->seq = env.value().seq;
    s->received_at_us = env.value().received_at_us;
    s->month = month;
    s->line.reserve(line.size() + 1);
    s->line.append(line).push_back('\n');
    return s;
}

RecoveredWorkspace recover_workspace(Workspace& ws, protocol::Decoder& decoder,
                                     std::size_t ring_size, bool rescan) {
    ws.open();
    RecoveredWorkspace out;
    // state.db only saves a scan: when the disk will not let it open (full), scan everything.
    std::map<std::string, Checkpoint> checkpoints;
    bool have_state = true;
    try {
        checkpoints = ws.state().load_checkpoints();
    } catch (const std::exception& e) {
        have_state = false;
        ws.close_state();
        spdlog::warn("{}: state.db unavailable ({}); scanning every record", ws.crab(), e.what());
    }
    std::vector<Checkpoint> updated;
    for (const auto& path : ws.record_files()) {
        out.torn_bytes += ws.cut_torn_tail(path);
        std::string relative = fs::relative(path, ws.root()).string();
        Checkpoint cp{relative};
        auto known = checkpoints.find(relative);
        if (!rescan && known != checkpoints.end() && on_line_boundary(path, known->second.offset)) {
            cp = known->second;
        }
        scan_lines(path, cp.offset, [&](std::string_view line, std::uint64_t end) {
            out.scanned_bytes += line.size() + 1;
            cp.offset = end;
            auto env = decoder.decode_envelope(line);
            if (!env) {
                ++out.bad_lines;
                spdlog::warn("{}: skipping a line that is not an envelope before offset {}: {}",
                             path.string(), end, env.error().message);
                return;
            }
            cp.max_seq = std::max(cp.max_seq, env.value().seq);
            cp.max_hub_seq = std::max(cp.max_hub_seq, env.value().hub_seq);
            ++cp.records;
        });
        out.max_seq = std::max(out.max_seq, cp.max_seq);
        out.max_hub_seq = std::max(out.max_hub_seq, cp.max_hub_seq);
        out.records += cp.records;
        updated.push_back(cp);

        std::string month = month_of(path);
        if (Workspace::relative_path(month) == relative) {
            RecordFile& rf = ws.files()[month];
            rf.relative = relative;
            rf.size = cp.offset;
            rf.max_seq = cp.max_seq;
            rf.max_hub_seq = cp.max_hub_seq;
            rf.records = cp.records;
        }
        std::vector<SnapshotPtr> tail;
        for (auto& line : read_tail_lines(path, ring_size)) {
            if (auto s = snapshot_from_line(decoder, line, month)) tail.push_back(std::move(s));
        }
        merge_newest(out.newest, std::move(tail), ring_size);
    }
    if (!out.newest.empty()) out.last_received_at_us = out.newest.back()->received_at_us;
    if (have_state) {
        try {
            ws.state().save_checkpoints(updated);
        } catch (const std::exception& e) {
            spdlog::warn("{}: checkpoints not saved ({}); the next start scans again", ws.crab(),
                         e.what());
        }
    }
    return out;
}

}  // namespace octopus::core
