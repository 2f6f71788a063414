// crab_messages: snprintf-built crab frames and scanned hub replies (see the header).
#include "bench/crab_messages.hpp"

#include <cstdio>

#include "bench/payload.hpp"

namespace octopus::bench {

namespace {

constexpr std::size_t kItemCap = 256;  // one payload item, with room to spare

// Appends `{"seq":SEQ,` + payload + `}` (with `prefix` after the brace) to `out`.
void append_item(std::string& out, const char* prefix, std::uint64_t seq) {
    char buf[kItemCap];
    int head = std::snprintf(buf, sizeof buf, R"({%s"seq":%llu,)", prefix,
                             static_cast<unsigned long long>(seq));
    std::size_t n = static_cast<std::size_t>(head);
    n += write_snapshot_fields(buf + n, sizeof buf - n - 1, seq, now_ns());
    buf[n++] = '}';
    out.append(buf, n);
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

std::string snapshot_message(std::uint64_t seq) {
    std::string out;
    append_item(out, R"("type":"snapshot",)", seq);
    return out;
}

std::string snapshots_batch(std::uint64_t first_seq, std::size_t count) {
    std::string out = R"({"type":"snapshots","items":[)";
    out.reserve(out.size() + count * kItemCap);
    for (std::size_t i = 0; i < count; ++i) {
        if (i) out += ',';
        append_item(out, "", first_seq + i);
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

}  // namespace octopus::bench
