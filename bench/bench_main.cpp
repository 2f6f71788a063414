// octopus-bench: the command line of the benchmark harness. It picks a scenario by
// name, hands it the remaining flags, and prints the scenario's human table and, with --json, its
// one JSON result line. Scenarios live in their own files; this file only dispatches and prints.
// Exit status: 0 when the run completed and every count matched, 1 on a failed run, 2 on bad
// usage.
#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include "bench/bench_args.hpp"
#include "bench/connections_scenario.hpp"
#include "bench/fanout_scenario.hpp"
#include "bench/ingest_scenario.hpp"
#include "bench/nats_scenarios.hpp"
#include "bench/nats_target.hpp"
#include "bench/replay_scenario.hpp"

namespace {

using octopus::bench::Args;
using octopus::bench::Report;

using Scenario = Report (*)(Args&);

const std::map<std::string, Scenario>& scenarios() {
    static const std::map<std::string, Scenario> all = {
        {"ingest", octopus::bench::ingest_scenario},
        {"connections", octopus::bench::connections_scenario},
        {"replay", octopus::bench::replay_scenario},
        {"fanout", octopus::bench::fanout_scenario},
    };
    return all;
}

// The same scenarios against NATS, for --target nats://... and --spawn-nats.
const std::map<std::string, Scenario>& nats_scenarios() {
    static const std::map<std::string, Scenario> all = {
        {"ingest", octopus::bench::nats_ingest},
        {"fanout", octopus::bench::nats_fanout},
    };
    return all;
}

Scenario pick(const std::string& name, Args& args) {
    bool nats = octopus::bench::nats_target_flags(args).has_value();
    const auto& table = nats ? nats_scenarios() : scenarios();
    auto it = table.find(name);
    if (it == table.end())
        throw octopus::bench::UsageError("unknown scenario " + name + (nats ? " for NATS" : ""));
    return it->second;
}

constexpr const char* kUsage =
    "usage: octopus-bench SCENARIO [flags] [--json]\n"
    "  ingest  --crabs C --window W --seconds S [--fsync always|interval|never] [--hub-bin PATH]\n"
    "          [--idle-subscribers N] [--alert-rules N] [--tls]\n"
    "  fanout  --crabs C --subscribers S --rate R --seconds T [--fsync always|interval|never]\n"
    "          [--hub-bin PATH] [--tls]\n"
    "  --tls: the hub serves wss:// with a fresh self-signed certificate that the load trusts\n"
    "  connections  --crabs N [--subscribers S (N/10)] [--hub-bin PATH]\n"
    "  replay  --snapshots M [--crabs C] [--hub-bin PATH]\n"
    "  NATS as the target (ingest, fanout): --target nats://127.0.0.1:PORT or --spawn-nats "
    "[--nats-send asap|buffered]\n"
    "see the README's Performance section for every scenario and flag\n";

int usage_error(const std::string& why) {
    std::cerr << "octopus-bench: " << why << "\n" << kUsage;
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage_error("no scenario");
    try {
        Args args(argc - 2, argv + 2, {"json", "spawn-nats", "tls"});
        bool json = args.has("json");
        Report report = pick(argv[1], args)(args);
        std::fputs(report.table.c_str(), stdout);
        std::fflush(stdout);
        if (json) std::cout << report.result.dump() << std::endl;
        return report.ok ? 0 : 1;
    } catch (const octopus::bench::UsageError& e) {
        return usage_error(e.what());
    }
}
