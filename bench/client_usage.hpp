// The load generator's own cost, recorded in every ingest and fanout result beside the server's
// (issue: "a ratio must never report the client's limit as the server's"). The bench process's
// CPU (user + sys, every thread: the io_context's and libnats' own) is read when the load starts,
// right after the server is up, and again when the report is written. A run whose client was
// busy for at least 90% of one core over the load's elapsed time is flagged `client_saturated`:
// the Octopus load runs on one io_context thread, so past that point the figure may be the
// client's ceiling, not the server's.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace octopus::bench {

// Call when the load starts (the server is ready).
void mark_load_start();

struct ClientUsage {
    double cpu_s = 0;  // since mark_load_start()
    double busy = 0;   // cpu_s / elapsed: cores kept busy
    bool saturated = false;
};

// The client's usage over a load that lasted `elapsed_s`.
ClientUsage client_usage(double elapsed_s);

// {"client_cpu_s":..,"client_busy":..,"client_saturated":..}
nlohmann::json client_fields(const ClientUsage& u);
// "  client cpu       1.23 s (82% of a core)\n", with a warning when saturated.
std::string client_line(const ClientUsage& u);

// "commit": $OCTOPUS_BENCH_COMMIT (bench/compare.sh sets it to `git describe`), else "unknown".
std::string bench_commit();

}  // namespace octopus::bench
