// payload: the shared snapshot body (see the header).
#include "bench/payload.hpp"

#include <chrono>
#include <cstdio>

namespace octopus::bench {

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::size_t write_snapshot_fields(char* out, std::size_t cap, std::uint64_t seq,
                                  std::int64_t sent_ns) {
    double wall =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    double x = static_cast<double>(seq % 1000);
    int n = std::snprintf(out, cap,
                          R"("timestamp":%.3f,"values":{"cpu":%.2f,"memory":%.2f,"disk":%.2f,)"
                          R"("net_rx":%.1f,"net_tx":%.1f,"sent_ns":%lld})",
                          wall, x / 10.0, 40.0 + x / 50.0, 61.25, 125000.0 + x, 64000.0 + x,
                          static_cast<long long>(sent_ns));
    return n > 0 && static_cast<std::size_t>(n) < cap ? static_cast<std::size_t>(n) : 0;
}

std::int64_t parse_int(std::string_view text, std::size_t at) {
    std::int64_t v = 0;
    bool negative = at < text.size() && text[at] == '-';
    if (negative) ++at;
    for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at)
        v = v * 10 + (text[at] - '0');
    return negative ? -v : v;
}

}  // namespace octopus::bench
