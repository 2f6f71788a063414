#include "core/alert_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <cerrno>
#include <cstring>

#include "core/month.hpp"
#include "core/workspace.hpp"

namespace octopus::core {

namespace fs = std::filesystem;

AlertLog::AlertLog(fs::path dir, DiskWriter& writer, Executor& executor)
    : dir_(std::move(dir)), writer_(writer), executor_(executor) {}

LoadedAlerts AlertLog::load() {
    LoadedAlerts out;
    auto files = list_record_files(dir_);
    if (!files.empty()) fs::create_directories(dir_ / "manifests");  // where torn tails go
    for (const auto& file : files) {
        out.torn_bytes += cut_torn_tail(dir_, file);
        scan_lines(file, 0, [&](std::string_view line, std::uint64_t) {
            auto e = protocol::decode_alert_event(line);
            if (!e) {
                ++out.bad_lines;
                return;
            }
            out.events.emplace_back(std::move(e.value()), std::string(line));
        });
    }
    std::stable_sort(out.events.begin(), out.events.end(), [](const auto& a, const auto& b) {
        return a.first.alert_seq < b.first.alert_seq;
    });
    return out;
}

void AlertLog::record(const protocol::AlertEvent& event, std::string line,
                      std::function<void()> done) {
    auto file = dir_ / "records" /
                ("month=" + month_partition(static_cast<double>(event.at_us) / 1e6)) /
                "detail.jsonl";
    line += '\n';
    writer_.submit_task([this, file = std::move(file), line = std::move(line),
                         done = std::move(done)](bool sync) mutable {
        append(file, line, sync);
        executor_.post(std::move(done));
    });
}

void AlertLog::record_delivery(std::string line, bool ok) {
    auto file = dir_ / "manifests" / (ok ? "deliveries.jsonl" : "deliveries-failed.jsonl");
    line += '\n';
    writer_.submit_task([this, file = std::move(file), line = std::move(line)](bool sync) {
        append(file, line, sync);
    });
}

void AlertLog::append(const fs::path& file, const std::string& data, bool sync) {
    auto parent = file.parent_path();
    bool new_dir = !made_dirs_.count(parent) && !fs::exists(parent);
    bool new_file = !fs::exists(file);
    std::error_code ec;
    fs::create_directories(parent, ec);
    made_dirs_.insert(parent);
    int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    bool ok = fd >= 0;
    for (std::size_t done = 0; ok && done < data.size();) {
        auto n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += static_cast<std::size_t>(n);
    }
    if (ok && sync) ok = ::fdatasync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!ok)
        spdlog::error("alert audit: cannot append to {}: {}", file.string(), std::strerror(errno));
    if (sync && new_file) sync_directory(parent);
    if (sync && new_dir) sync_directory(parent.parent_path());
}

}  // namespace octopus::core
