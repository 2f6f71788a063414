// Integration: the benchmark harness itself (issue 4). A tiny `octopus-bench ingest` run against
// the real hub must finish on its own, print one well-formed JSON result line, and account for
// every snapshot: each one pushed was acknowledged. No timing assertions: this proves the
// harness counts right, not how fast the hub is.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "support/bench_result.hpp"
#include "support/hub_process.hpp"

using namespace octopus::test;
using nlohmann::json;

TEST_CASE("octopus-bench ingest: JSON result with every sent snapshot acked") {
    auto r = run_command(
        {(bin_dir() / "octopus-bench").string(), "ingest", "--crabs", "4", "--window", "8",
         "--seconds", "1", "--json", "--hub-bin", (bin_dir() / "octopus").string()},
        std::chrono::seconds(90));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);

    json result = bench_result(r.output);
    REQUIRE(result.is_object());
    for (const char* key : {"acked_per_s", "latency_p50_us", "latency_p99_us", "latency_p999_us",
                            "hub_cpu_s", "hub_peak_rss_kib", "nproc", "elapsed_s"}) {
        INFO(key);
        CHECK(result[key].is_number());
    }
    CHECK(result["scenario"] == "ingest");
    CHECK(result["crabs"] == 4);
    CHECK(result["window"] == 8);
    CHECK(result["fsync"] == "always");
    CHECK(result["cpu_model"].is_string());
    CHECK(result["ok"] == true);
    CHECK(result["error"] == "");
    REQUIRE(result["sent"].is_number_unsigned());
    REQUIRE(result["acked"].is_number_unsigned());
    CHECK(result["acked"].get<std::uint64_t>() > 0);
    CHECK(result["sent"].get<std::uint64_t>() == result["acked"].get<std::uint64_t>());
    CHECK(result["hub_peak_rss_kib"].get<long>() > 0);
    CHECK(result["nproc"].get<unsigned>() >= 1);
}
