#include "server/admin_commands.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>
#include <iostream>
#include <vector>

#include "core/storage/file_lock.hpp"
#include "core/storage/recovery.hpp"
#include "core/storage/workspace.hpp"
#include "protocol/decoder.hpp"
#include "protocol/names.hpp"

namespace octopus::server {

namespace fs = std::filesystem;

int rebuild_state(const fs::path& data_dir, std::ostream& out) {
    if (!fs::is_directory(data_dir)) {
        std::cerr << "octopus: no data directory at " << data_dir.string() << "\n";
        return 1;
    }
    try {
        core::FileLock lock(data_dir / ".octopus.lock");
        protocol::Decoder decoder;
        for (const auto& entry : fs::directory_iterator(data_dir)) {
            auto name = entry.path().filename().string();
            if (!entry.is_directory() || !protocol::is_valid_crab_name(name)) continue;
            for (const char* f : {"state.db", "state.db-wal", "state.db-shm"})
                fs::remove(entry.path() / f);
            core::Workspace ws(entry.path(), name);
            auto r = core::recover_workspace(ws, decoder, 0, true);
            ws.end_run(0);
            out << name << ": " << r.records << " records, last seq " << r.max_seq
                << ", last hub_seq " << r.max_hub_seq << ", " << r.torn_bytes << " torn bytes cut, "
                << r.bad_lines << " bad lines\n";
        }
    } catch (const std::exception& e) {
        std::cerr << "octopus: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

int print_records(const fs::path& data_dir, const std::string& crab, std::optional<double> since,
                  std::optional<double> until, std::ostream& out) {
    if (!protocol::is_valid_crab_name(crab) || !fs::is_directory(data_dir / crab)) {
        std::cerr << "octopus: no crab workspace " << (data_dir / crab).string() << "\n";
        return 1;
    }
    core::Workspace ws(data_dir / crab, crab);
    protocol::Decoder decoder;
    std::vector<std::pair<std::uint64_t, std::string>> lines;
    for (const auto& file : ws.record_files()) {
        core::scan_lines(file, 0, [&](std::string_view line, std::uint64_t) {
            auto env = decoder.decode_envelope(line);
            if (!env) return;
            double t = env.value().timestamp.value_or(
                static_cast<double>(env.value().received_at_us) / 1e6);
            if ((since && t < *since) || (until && t >= *until)) return;
            lines.emplace_back(env.value().hub_seq, std::string(line));
        });
    }
    std::sort(lines.begin(), lines.end());
    for (const auto& [seq, line] : lines) out << line << '\n';
    out.flush();
    return 0;
}

}  // namespace octopus::server
