// Integration: the benchmark harness itself. A tiny `octopus-bench ingest` run against
// the real hub must finish on its own, print one well-formed JSON result line, and account for
// every snapshot: each one pushed was acknowledged; a tiny `fanout` run must deliver every
// snapshot to every subscriber. No timing assertions: this proves the harness counts right, not
// how fast the hub is.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "support/bench_result.hpp"
#include "support/hub_process.hpp"

using namespace octopus::test;
using nlohmann::json;

namespace {

// Runs octopus-bench with --json against the built hub; requires exit status 0 and returns the
// result line.
json run_bench(std::vector<std::string> args) {
    auto r = run_octopus_bench(std::move(args), true, std::chrono::seconds(90));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    json result = bench_result(r.output);
    REQUIRE(result.is_object());
    return result;
}

}  // namespace

TEST_CASE("octopus-bench ingest: JSON result with every sent snapshot acked") {
    json result = run_bench({"ingest", "--crabs", "4", "--window", "8", "--seconds", "1"});
    INFO(result.dump());
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

TEST_CASE("octopus-bench fanout: every event reaches every subscriber") {
    json result = run_bench(
        {"fanout", "--crabs", "2", "--subscribers", "3", "--rate", "2000", "--seconds", "1"});
    INFO(result.dump());
    for (const char* key :
         {"delivered_per_s", "latency_p50_us", "latency_p99_us", "latency_p999_us", "server_cpu_s",
          "server_peak_rss_kib", "rate", "seconds"}) {
        INFO(key);
        CHECK(result[key].is_number());
    }
    CHECK(result["scenario"] == "fanout");
    CHECK(result["target"] == "octopus");
    CHECK(result["crabs"] == 2);
    CHECK(result["subscribers"] == 3);
    CHECK(result["fsync"] == "never");
    CHECK(result["ok"] == true);
    CHECK(result["error"] == "");
    REQUIRE(result["sent"].is_number_unsigned());
    auto sent = result["sent"].get<std::uint64_t>();
    CHECK(sent > 0);
    CHECK(result["expected"].get<std::uint64_t>() == sent * 3);
    CHECK(result["delivered"].get<std::uint64_t>() == sent * 3);
    CHECK(result["drops"].get<std::uint64_t>() == 0);
}

TEST_CASE("octopus-bench --tls: ingest and fanout over wss with a fresh certificate") {
    json ingest = run_bench({"ingest", "--crabs", "2", "--window", "8", "--seconds", "1", "--tls"});
    CHECK(ingest["target"] == "octopus+tls");
    CHECK(ingest["ok"] == true);
    CHECK(ingest["acked"].get<std::uint64_t>() > 0);
    json fanout = run_bench({"fanout", "--crabs", "1", "--subscribers", "2", "--rate", "500",
                             "--seconds", "1", "--tls"});
    CHECK(fanout["target"] == "octopus+tls");
    CHECK(fanout["delivered"].get<std::uint64_t>() == fanout["sent"].get<std::uint64_t>() * 2);
}

TEST_CASE("octopus-bench ingest: an idle subscriber does not cost an ack") {
    json result = run_bench(
        {"ingest", "--crabs", "2", "--window", "8", "--seconds", "1", "--idle-subscribers", "1"});
    INFO(result.dump());
    CHECK(result["idle_subscribers"] == 1);
    CHECK(result["ok"] == true);
    CHECK(result["acked"].get<std::uint64_t>() > 0);
    CHECK(result["sent"].get<std::uint64_t>() == result["acked"].get<std::uint64_t>());
}
