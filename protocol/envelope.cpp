#include "protocol/envelope.hpp"

#include <charconv>

#include "protocol/json_text.hpp"

namespace octopus::protocol {

namespace {
constexpr std::string_view kHead = R"({"hub_seq":)";
}

void append_envelope_line(std::string& out, const EnvelopeHead& head, const Snapshot& snap) {
    out += kHead;
    append_uint(out, head.hub_seq);
    out += R"(,"crab":)";
    append_json_string(out, head.crab);
    out += R"(,"seq":)";
    append_uint(out, head.seq);
    out += R"(,"received_at":)";
    append_seconds_us(out, head.received_at_us);
    out += R"(,"timestamp":)";
    out += snap.timestamp_raw.empty() ? std::string_view("null")
                                      : std::string_view(snap.timestamp_raw);
    out += R"(,"values":)";
    out += snap.values_json;
    out += R"(,"tags":)";
    out += snap.tags_json.empty() ? std::string_view("{}") : std::string_view(snap.tags_json);
    if (!snap.reply_to.empty()) {
        out += R"(,"reply_to":)";
        append_json_string(out, snap.reply_to);
    }
    out += "}\n";
}

std::optional<std::uint64_t> peek_hub_seq(std::string_view line) {
    if (line.substr(0, kHead.size()) != kHead) return std::nullopt;
    line.remove_prefix(kHead.size());
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
    if (ec != std::errc{} || p == line.data()) return std::nullopt;
    return v;
}

}  // namespace octopus::protocol
