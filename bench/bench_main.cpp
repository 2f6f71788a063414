// octopus-bench: the command line of the benchmark harness (issue 4). It parses one scenario's
// flags, runs it, and prints a human table and, with --json, one JSON result line. Scenarios live
// in their own files (ingest_scenario.cpp); this file only parses and prints.
// Exit status: 0 when the run completed and every sent snapshot was acked, 1 on a failed run,
// 2 on bad usage.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/ingest_scenario.hpp"

namespace {

using octopus::bench::IngestOptions;
using octopus::bench::IngestResult;

constexpr const char* kUsage =
    "usage: octopus-bench ingest --crabs C --window W --seconds S\n"
    "                            [--fsync always|interval|never] [--hub-bin PATH] [--json]\n";

int usage_error(const std::string& why) {
    std::cerr << "octopus-bench: " << why << "\n" << kUsage;
    return 2;
}

// The hub binary next to this one (build/bin/octopus) unless --hub-bin says otherwise.
std::string default_hub_bin() {
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return "octopus";
    return (self.parent_path() / "octopus").string();
}

nlohmann::json to_json(const IngestResult& r) {
    return {{"scenario", "ingest"},
            {"target", "octopus"},
            {"crabs", r.crabs},
            {"window", r.window},
            {"seconds", r.seconds},
            {"fsync", r.fsync},
            {"sent", r.sent},
            {"acked", r.acked},
            {"elapsed_s", r.elapsed_s},
            {"acked_per_s", r.acked_per_s},
            {"latency_p50_us", r.p50_us},
            {"latency_p99_us", r.p99_us},
            {"latency_p999_us", r.p999_us},
            {"hub_cpu_s", r.hub_cpu_s},
            {"hub_peak_rss_kib", r.hub_peak_rss_kib},
            {"nproc", r.nproc},
            {"cpu_model", r.cpu_model},
            {"ok", r.error.empty() && r.sent == r.acked},
            {"error", r.error}};
}

void print_table(const IngestResult& r) {
    std::printf("octopus-bench ingest: %d crabs, window %d, %.1f s, fsync %s\n", r.crabs, r.window,
                r.seconds, r.fsync.c_str());
    std::printf("  machine          %u cpus, %s\n", r.nproc, r.cpu_model.c_str());
    std::printf("  sent / acked     %llu / %llu\n", static_cast<unsigned long long>(r.sent),
                static_cast<unsigned long long>(r.acked));
    std::printf("  acked/s          %.0f\n", r.acked_per_s);
    std::printf("  ack latency us   p50 %.0f  p99 %.0f  p99.9 %.0f\n", r.p50_us, r.p99_us,
                r.p999_us);
    std::printf("  hub cpu          %.2f s (user+sys)\n", r.hub_cpu_s);
    std::printf("  hub peak rss     %ld KiB\n", r.hub_peak_rss_kib);
    if (!r.error.empty()) std::printf("  error            %s\n", r.error.c_str());
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) != "ingest") return usage_error("unknown scenario");
    IngestOptions options;
    options.hub_bin = default_hub_bin();
    bool json = false;
    for (int i = 2; i < argc; ++i) {
        std::string flag = argv[i];
        if (flag == "--json") {
            json = true;
            continue;
        }
        if (i + 1 >= argc) return usage_error(flag + " needs a value");
        std::string value = argv[++i];
        char* end = nullptr;
        if (flag == "--crabs" || flag == "--window") {
            long n = std::strtol(value.c_str(), &end, 10);
            if (*end != '\0' || n < 1 || n > 100000) return usage_error("bad " + flag);
            (flag == "--crabs" ? options.crabs : options.window) = static_cast<int>(n);
        } else if (flag == "--seconds") {
            double s = std::strtod(value.c_str(), &end);
            if (*end != '\0' || !(s > 0) || s > 3600) return usage_error("bad --seconds");
            options.seconds = s;
        } else if (flag == "--fsync") {
            if (value != "always" && value != "interval" && value != "never")
                return usage_error("bad --fsync");
            options.fsync = value;
        } else if (flag == "--hub-bin") {
            options.hub_bin = value;
        } else {
            return usage_error("unknown flag " + flag);
        }
    }
    IngestResult r = octopus::bench::run_ingest(options);
    print_table(r);
    if (json) std::cout << to_json(r).dump() << std::endl;
    return r.error.empty() && r.sent == r.acked ? 0 : 1;
}
