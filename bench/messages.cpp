// messages: snprintf-built frames and scanned hub replies (see the header).
#include "bench/messages.hpp"

#include <cstdio>

#include "bench/payload.hpp"

namespace octopus::bench {

namespace {

// Appends `{"seq":SEQ,` + payload + `}` (with `prefix` after the brace) to out[0, cap).
std::size_t format_item(char* out, std::size_t cap, const char* prefix, std::uint64_t seq) {
    int head =
        std::snprintf(out, cap, R"({%s"seq":%llu,)", prefix, static_cast<unsigned long long>(seq));
    std::size_t n = static_cast<std::size_t>(head);
    n += write_snapshot_fields(out + n, cap - n - 1, seq, now_ns());
    out[n++] = '}';
    return n;
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string bench_crab_name(int index) {
    char name[32];
    std::snprintf(name, sizeof name, "bench-%05d", index);
    return name;
}

std::string hello_message(const std::string& crab) {
    return R"({"type":"hello","crab":")" + crab + "\"}";
}

std::size_t format_snapshot(char* out, std::size_t cap, std::uint64_t seq) {
    return format_item(out, cap, R"("type":"snapshot",)", seq);
}

std::string snapshot_message(std::uint64_t seq) {
    char buf[kSnapshotCap];
    return std::string(buf, format_snapshot(buf, sizeof buf, seq));
}

std::string snapshots_batch(std::uint64_t first_seq, std::size_t count) {
    std::string out = R"({"type":"snapshots","items":[)";
    out.reserve(out.size() + count * kSnapshotCap);
    char buf[kSnapshotCap];
    for (std::size_t i = 0; i < count; ++i) {
        if (i) out += ',';
        out.append(buf, format_item(buf, sizeof buf, "", first_seq + i));
    }
    out += "]}";
    return out;
}

bool is_welcome(std::string_view message) {
    return message.find(R"("type":"welcome")") != std::string_view::npos;
}

std::optional<std::uint64_t> ack_seq(std::string_view message) {
    constexpr std::string_view key = R"("seq":)";
    if (message.find(R"("type":"ack")") == std::string_view::npos) return std::nullopt;
    auto at = message.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    return static_cast<std::uint64_t>(parse_int(message, at + key.size()));
}

SubscriberFrame classify(std::string_view frame) {
    if (starts_with(frame, R"({"type":"snapshot)")) return SubscriberFrame::events;
    if (starts_with(frame, R"({"type":"subscribed")")) return SubscriberFrame::subscribed;
    if (starts_with(frame, R"({"type":"gap")")) return SubscriberFrame::gap;
    if (starts_with(frame, R"({"type":"crab")")) return SubscriberFrame::lifecycle;
    return SubscriberFrame::other;
}

std::string subscribe_message(const std::string& id, std::optional<std::uint64_t> from_hub_seq) {
    std::string m = R"({"type":"subscribe","id":")" + id + R"(","crabs":["*"])";
    m += from_hub_seq ? R"(,"from":{"hub_seq":)" + std::to_string(*from_hub_seq) + "}"
                      : std::string(R"(,"from":"now")");
    return m + "}";
}

}  // namespace octopus::bench
