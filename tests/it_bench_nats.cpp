// Integration: the NATS side of the benchmark harness. Tiny `octopus-bench ingest` and
// `fanout` runs with --spawn-nats start a real nats-server on loopback, must finish on their own,
// print one well-formed JSON result line and account for every message: each JetStream publish
// was acked, and each core NATS publish reached every subscriber. No timing assertions: this
// proves the harness counts right, not how fast NATS is.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "support/bench_result.hpp"
#include "support/hub_process.hpp"

using namespace octopus::test;
using nlohmann::json;

namespace {

json run_bench(std::vector<std::string> args) {
    auto r = run_octopus_bench(std::move(args), false, std::chrono::seconds(90));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    json result = bench_result(r.output);
    REQUIRE(result.is_object());
    return result;
}

void check_common(const json& result, const char* scenario) {
    CHECK(result["scenario"] == scenario);
    CHECK(result["target"] == "nats");
    CHECK(result["ok"] == true);
    CHECK(result["error"] == "");
    CHECK(result["server_measured"] == true);
    CHECK(result["cpu_model"].is_string());
    CHECK(result["nproc"].get<unsigned>() >= 1);
    for (const char* key : {"latency_p50_us", "latency_p99_us", "latency_p999_us", "elapsed_s"}) {
        INFO(key);
        CHECK(result[key].is_number());
        CHECK(result[key].get<double>() >= 0);
    }
}

}  // namespace

TEST_CASE("octopus-bench ingest --spawn-nats: every JetStream publish acked") {
    json result =
        run_bench({"ingest", "--spawn-nats", "--crabs", "2", "--window", "8", "--seconds", "1"});
    INFO(result.dump());
    check_common(result, "ingest");
    CHECK(result["crabs"] == 2);
    CHECK(result["window"] == 8);
    CHECK(result["nats_sync"] == "default");
    CHECK(result["acked_per_s"].is_number());
    CHECK(result["hub_cpu_s"].is_number());
    REQUIRE(result["sent"].is_number_unsigned());
    REQUIRE(result["acked"].is_number_unsigned());
    CHECK(result["acked"].get<std::uint64_t>() > 0);
    CHECK(result["sent"].get<std::uint64_t>() == result["acked"].get<std::uint64_t>());
    CHECK(result["hub_peak_rss_kib"].get<long>() > 0);
}

TEST_CASE("octopus-bench fanout --spawn-nats: every message reaches every subscriber") {
    json result = run_bench({"fanout", "--spawn-nats", "--crabs", "2", "--subscribers", "2",
                             "--rate", "2000", "--seconds", "1"});
    INFO(result.dump());
    check_common(result, "fanout");
    CHECK(result["crabs"] == 2);
    CHECK(result["subscribers"] == 2);
    CHECK(result["rate"] == 2000);
    CHECK(result["delivered_per_s"].is_number());
    CHECK(result["server_cpu_s"].is_number());
    REQUIRE(result["sent"].is_number_unsigned());
    REQUIRE(result["delivered"].is_number_unsigned());
    auto sent = result["sent"].get<std::uint64_t>();
    CHECK(sent > 0);
    CHECK(result["expected"].get<std::uint64_t>() == sent * 2);
    CHECK(result["delivered"].get<std::uint64_t>() == sent * 2);
    CHECK(result["drops"] == 0);
    CHECK(result["server_peak_rss_kib"].get<long>() > 0);
}

TEST_CASE("octopus-bench --target nats://127.0.0.1:PORT uses a server it did not start") {
    TempDir store;
    ChildProcess nats({octopus::harness::find_program("nats-server", "/usr/sbin/nats-server"), "-a",
                       "127.0.0.1", "-p", "-1", "-js", "-sd", store.path().string()});
    const std::string ready = "Listening for client connections on ";
    REQUIRE(nats.wait_for_output(ready));
    std::string out = nats.output();
    auto at = out.find(ready) + ready.size();
    std::string url = "nats://" + out.substr(at, out.find('\n', at) - at);
    // Twice: the second ingest must replace the first run's stream, not trip over it.
    for (int run = 0; run < 2; ++run) {
        json ingest = run_bench(
            {"ingest", "--target", url, "--crabs", "2", "--window", "4", "--seconds", "0.5"});
        CHECK(ingest["server_measured"] == false);
        CHECK(ingest["sent"] == ingest["acked"]);
    }
    json fanout = run_bench({"fanout", "--target", url, "--crabs", "1", "--subscribers", "1",
                             "--rate", "500", "--seconds", "0.5"});
    CHECK(fanout["delivered"] == fanout["sent"]);
    CHECK(nats.running());
}

TEST_CASE("octopus-bench refuses a NATS target that is not on loopback") {
    for (const char* target :
         {"nats://10.0.0.1:4222", "nats://example.com:4222", "redis://127.0.0.1:1"}) {
        INFO(target);
        auto r = run_command({(bin_dir() / "octopus-bench").string(), "ingest", "--target", target},
                             std::chrono::seconds(30));
        CHECK(r.exit_code == 2);
    }
}
