// Integration: the real octopus-crab binary against the real hub, including a hub that is
// killed and restarted under it: nothing the crab sampled is lost or stored twice.
#include <doctest/doctest.h>

#include <fstream>

#include "support/hub_process.hpp"
#include "support/records.hpp"
#include "support/ws_client.hpp"

using namespace octopus::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string crab_bin() {
    return (bin_dir() / "octopus-crab").string();
}
}  // namespace

TEST_CASE("octopus-crab pushes real /proc samples until --count are acked") {
    TempDir dir;
    HubProcess hub(dir.path());
    auto url = "ws://127.0.0.1:" + std::to_string(hub.port());
    auto r = run_command(
        {crab_bin(), "--hub", url, "--name", "probe", "--interval", "50ms", "--count", "5"});
    CHECK_MESSAGE(r.exit_code == 0, r.output);
    auto rows = stored(dir.path(), "probe");
    REQUIRE(rows.size() >= 5);
    for (std::size_t i = 0; i < rows.size(); ++i) CHECK(rows[i]["seq"] == i + 1);
    for (const char* key : {"cpu", "memory", "load1", "disk", "net_rx_bps"})
        CHECK(rows[0]["values"].contains(key));
}

TEST_CASE("octopus-crab refuses bad usage") {
    CHECK(run_command({crab_bin(), "--name", "x"}).exit_code == 2);
    CHECK(run_command({crab_bin(), "--hub", "ws://127.0.0.1:1", "--name", "../x"}).exit_code == 2);
}

TEST_CASE("octopus-crab keeps its samples across a hub kill -9 and restart") {
    TempDir dir;
    {
        HubProcess hub(dir.path());
        auto port = std::to_string(hub.port());
        // --count 60: the crab exits 0 only once 60 of its snapshots are acknowledged.
        ChildProcess crab({crab_bin(), "--hub", "ws://127.0.0.1:" + port, "--name", "steady",
                           "--interval", "20ms", "--count", "60"});
        REQUIRE(crab.wait_for_output("welcomed (hub last_seq"));
        REQUIRE(hub.process().wait_for_output("crab steady online"));
        hub.kill9();
        // The crab keeps sampling into its queue while the hub is away, then resends it.
        HubProcess back({.data_dir = dir.path(), .extra_args = {"--listen", "127.0.0.1:" + port}});
        CHECK(crab.wait_exit(std::chrono::seconds(60)) == 0);
        CHECK(crab.output().find("welcomed (hub last_seq") !=
              crab.output().rfind("welcomed (hub last_seq"));
        CHECK(back.terminate() == 0);
    }
    auto rows = stored(dir.path(), "steady");
    CHECK(rows.size() >= 60);
    for (std::size_t i = 0; i < rows.size(); ++i) CHECK(rows[i]["seq"] == i + 1);
}
