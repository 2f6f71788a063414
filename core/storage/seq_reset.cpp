#include "core/storage/seq_reset.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "protocol/json_text.hpp"

namespace octopus::core {

namespace fs = std::filesystem;

namespace {
fs::path resets_file(const fs::path& crab_root) {
    return crab_root / "manifests" / "seq_resets.jsonl";
}
}  // namespace

bool record_seq_reset(const fs::path& crab_root, const SeqReset& reset, std::int64_t at_us) {
    std::string line = "{\"seq\":";
    protocol::append_uint(line, reset.seq);
    line += ",\"hub_seq\":";
    protocol::append_uint(line, reset.hub_seq);
    line += ",\"at\":";
    protocol::append_seconds_us(line, at_us);
    line += "}\n";
    return append_to_file(resets_file(crab_root), line, true);
}

std::optional<SeqReset> last_seq_reset(const fs::path& crab_root) {
    std::ifstream in(resets_file(crab_root));
    std::optional<SeqReset> last;
    for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_unsigned() ||
            !j.contains("hub_seq") || !j["hub_seq"].is_number_unsigned())
            continue;
        last = SeqReset{j["seq"].get<std::uint64_t>(), j["hub_seq"].get<std::uint64_t>()};
    }
    return last;
}

std::uint64_t seq_after_reset(Workspace& ws, protocol::Decoder& decoder, const SeqReset& reset) {
    std::uint64_t seq = reset.seq;
    for (const auto& [month, file] : ws.files()) {
        if (file.max_hub_seq <= reset.hub_seq) continue;
        scan_lines(ws.root() / file.relative, 0, [&](std::string_view line, std::uint64_t) {
            auto env = decoder.decode_envelope(line);
            if (env && env.value().hub_seq > reset.hub_seq) seq = std::max(seq, env.value().seq);
        });
    }
    return seq;
}

}  // namespace octopus::core
