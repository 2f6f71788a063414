#include "bench/client_usage.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>

namespace octopus::bench {

namespace {

constexpr double kSaturated = 0.9;  // of one core

double process_cpu_s() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return s(u.ru_utime) + s(u.ru_stime);
}

double g_start_cpu_s = -1;

}  // namespace

void mark_load_start() {
    g_start_cpu_s = process_cpu_s();
}

ClientUsage client_usage(double elapsed_s) {
    ClientUsage u;
    if (g_start_cpu_s < 0) return u;
    u.cpu_s = process_cpu_s() - g_start_cpu_s;
    u.busy = elapsed_s > 0 ? u.cpu_s / elapsed_s : 0;
    u.saturated = u.busy >= kSaturated;
    return u;
}

nlohmann::json client_fields(const ClientUsage& u) {
    return {{"client_cpu_s", u.cpu_s}, {"client_busy", u.busy}, {"client_saturated", u.saturated}};
}

std::string client_line(const ClientUsage& u) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "  client cpu       %.2f s (%.0f%% of a core)%s\n", u.cpu_s,
                  u.busy * 100,
                  u.saturated ? "  CLIENT SATURATED: the figure may be the load's limit" : "");
    return buf;
}

std::string bench_commit() {
    const char* c = std::getenv("OCTOPUS_BENCH_COMMIT");
    return c && *c ? c : "unknown";
}

}  // namespace octopus::bench
