#include "core/storage/cursor_store.hpp"

#include <spdlog/spdlog.h>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/storage/workspace.hpp"

namespace octopus::core {

namespace fs = std::filesystem;

namespace {
std::string cursor_line(const std::string& durable, std::uint64_t hub_seq) {
    return nlohmann::json{{"durable", durable}, {"hub_seq", hub_seq}}.dump() + "\n";
}
}  // namespace

CursorStore::CursorStore(fs::path dir, DiskWriter& writer)
    : dir_(std::move(dir)), writer_(writer) {}

void CursorStore::load() {
    auto file = dir_ / "cursors.jsonl";
    if (!fs::exists(file)) return;  // created on the first durable ack
    scan_lines(file, 0, [&](std::string_view line, std::uint64_t) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.contains("durable") || !j.contains("hub_seq")) return;
        auto& cur = cursors_[j["durable"].get<std::string>()];
        cur = std::max(cur, j["hub_seq"].get<std::uint64_t>());
    });
    auto tmp = dir_ / "cursors.jsonl.tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        for (const auto& [name, seq] : cursors_) out << cursor_line(name, seq);
    }
    fs::rename(tmp, file);
    sync_directory(dir_);
}

std::optional<std::uint64_t> CursorStore::get(const std::string& durable) const {
    auto it = cursors_.find(durable);
    if (it == cursors_.end()) return std::nullopt;
    return it->second;
}

void CursorStore::advance(const std::string& durable, std::uint64_t hub_seq,
                          std::function<void()> persisted) {
    auto& cur = cursors_[durable];
    if (hub_seq <= cur) return persisted();
    cur = hub_seq;
    writer_.submit_task([dir = dir_, line = cursor_line(durable, hub_seq),
                         persisted = std::move(persisted)](bool sync) {
        auto file = dir / "cursors.jsonl";
        if (!append_to_file(file, line, sync))
            return spdlog::error("cursor store: cannot append to {}", file.string());
        persisted();
    });
}

}  // namespace octopus::core
