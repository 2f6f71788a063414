#include "core/alerts/alert_log.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/storage/month.hpp"
#include "core/storage/workspace.hpp"

namespace octopus::core {

namespace fs = std::filesystem;

AlertLog::AlertLog(fs::path dir, DiskWriter& writer, Executor& executor)
    : dir_(std::move(dir)), writer_(writer), executor_(executor) {}

AlertLoadStats AlertLog::load(const EventFn& fn) {
    AlertLoadStats stats;
    auto files = list_record_files(dir_);
    if (!files.empty()) fs::create_directories(dir_ / "manifests");  // where torn tails go
    for (const auto& file : files) {
        stats.torn_bytes += cut_torn_tail(dir_, file);
        scan_lines(file, 0, [&](std::string_view line, std::uint64_t) {
            auto e = protocol::decode_alert_event(line);
            if (!e) {
                ++stats.bad_lines;
                return;
            }
            ++stats.events;
            fn(e.value(), line);
        });
    }
    return stats;
}

std::vector<std::string> AlertLog::delivery_tail(bool ok, std::size_t n) const {
    auto file = dir_ / "manifests" / (ok ? "deliveries.jsonl" : "deliveries-failed.jsonl");
    if (!fs::exists(file)) return {};
    return read_tail_lines(file, n);
}

void AlertLog::record(const protocol::AlertEvent& event, std::string line,
                      std::function<void()> done) {
    auto month = month_partition(static_cast<double>(event.at_us) / 1e6);
    queue(
        {dir_ / "records" / ("month=" + month) / "detail.jsonl", std::move(line), std::move(done)});
}

void AlertLog::record_delivery(std::string line, bool ok) {
    queue({dir_ / "manifests" / (ok ? "deliveries.jsonl" : "deliveries-failed.jsonl"),
           std::move(line), nullptr});
}

void AlertLog::queue(Line line) {
    line.text += '\n';
    std::lock_guard lock(mu_);
    queued_.push_back(std::move(line));
    if (std::exchange(flush_submitted_, true)) return;
    writer_.submit_task([this](bool) { flush(); });
}

void AlertLog::flush() {
    std::vector<Line> lines;
    {
        std::lock_guard lock(mu_);
        lines.swap(queued_);
        flush_submitted_ = false;
    }
    // One append per file, in the order the files first appear; lines keep their order.
    std::vector<std::pair<fs::path, std::string>> files;
    std::vector<std::function<void()>> done;
    for (auto& l : lines) {
        auto it = std::find_if(files.begin(), files.end(),
                               [&](const auto& f) { return f.first == l.file; });
        if (it == files.end()) it = files.insert(files.end(), {l.file, {}});
        it->second += l.text;
        if (l.done) done.push_back(std::move(l.done));
    }
    for (const auto& [file, data] : files) append(file, data);
    if (done.empty()) return;
    // A failed append was logged: the alert is notified anyway, an operator must hear of it.
    executor_.post([done = std::move(done)] {
        for (const auto& fn : done) fn();
    });
}

void AlertLog::append(const fs::path& file, const std::string& data) {
    if (!append_to_file(file, data, true))
        spdlog::error("alert audit: cannot append to {}: {}", file.string(), std::strerror(errno));
}

}  // namespace octopus::core
