// Integration: the connections and replay scenarios of the benchmark harness, on the
// real binaries. Small runs must finish on their own, print one well-formed JSON result line and
// account for everything exactly: every crab acked, every subscriber got every burst event, every
// stored snapshot replayed once in hub_seq order. No timing assertions: this proves the harness
// counts right, not how fast the hub is.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "support/bench_result.hpp"
#include "support/hub_process.hpp"

using namespace octopus::test;
using nlohmann::json;

namespace {

// Runs octopus-bench with `args` and --json; returns its result line (an empty object if none).
json run_bench(std::vector<std::string> args) {
    auto r = run_octopus_bench(std::move(args), true, std::chrono::seconds(150));
    INFO(r.output);
    CHECK(r.exit_code == 0);
    json result = bench_result(r.output);
    return result.is_object() ? result : json::object();
}

// The header every result carries, a clean run, and a number under each of `keys`.
void check_result(const json& result, const char* scenario,
                  std::initializer_list<const char*> keys) {
    CHECK(result["scenario"] == scenario);
    CHECK(result["target"] == "octopus");
    CHECK(result["ok"] == true);
    CHECK(result["error"] == "");
    for (const char* key : keys) {
        INFO(key);
        CHECK(result[key].is_number());
    }
    CHECK(result["hub_peak_rss_kib"].get<long>() > 0);
}

}  // namespace

TEST_CASE("octopus-bench connections: every crab acked, every subscriber got every event") {
    json result = run_bench({"connections", "--crabs", "50", "--subscribers", "5"});
    INFO(result.dump());
    check_result(result, "connections", {"accept_s", "rss_per_connection_bytes", "burst_s"});
    CHECK(result["crabs"] == 50);
    CHECK(result["subscribers"] == 5);
    CHECK(result["burst_acked"] == 50);
    CHECK(result["burst_expected"] == 250);
    CHECK(result["burst_delivered"] == 250);
    CHECK(result["rss_before_kib"].get<long>() > 0);
    CHECK(result["rss_after_kib"].get<long>() > 0);
}

TEST_CASE("octopus-bench replay: every stored snapshot replayed once, in hub_seq order") {
    json result = run_bench({"replay", "--snapshots", "5000", "--crabs", "2"});
    INFO(result.dump());
    check_result(result, "replay",
                 {"fill_per_s", "replay_s", "replayed_per_s", "first_event_ms", "subscribed_ms",
                  "hub_cpu_s"});
    CHECK(result["snapshots"] == 5000);
    CHECK(result["crabs"] == 2);
    CHECK(result["replayed"] == 5000);
}
