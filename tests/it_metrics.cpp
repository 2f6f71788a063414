// Integration: GET /metrics is valid Prometheus text. Prometheus's own linter (promtool, from
// Debian's prometheus package) checks the live endpoint of a hub with alert rules, a webhook
// hook, polling and traffic, so every family of every writer is present and complete.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

#include "support/hub_process.hpp"
#include "support/ws_client.hpp"

using namespace octopus::test;
namespace fs = std::filesystem;

namespace {

// Runs `promtool check metrics` on `text`; returns its exit code and output.
std::pair<int, std::string> promtool_check(const TempDir& dir, const std::string& text) {
    auto file = dir.path() / "metrics.txt";
    std::ofstream(file) << text;
    std::string cmd = "promtool check metrics < '" + file.string() + "' 2>&1";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    char buf[512];
    while (std::fgets(buf, sizeof buf, pipe)) output += buf;
    int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace

TEST_CASE("promtool check metrics finds nothing to complain about on the live /metrics") {
    TempDir dir;
    std::ofstream(dir.path() / "alerts.toml")
        << "[[rule]]\nname = \"hot\"\nwhen = \"cpu > 90\"\nhooks = [\"log\", \"ws\", \"pager\"]\n"
           "[hooks.pager]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9/never\"\n";
    HubProcess hub = HubProcess::configured(dir,
                                            "[alerts]\nrules = \"alerts.toml\"\n"
                                            "[[polling]]\ncrabs = \"*\"\ninterval_ms = 1000\n");
    WsClient crab(hub.port());
    crab.hello("m");
    crab.send(R"({"type":"snapshot","seq":1,"values":{"cpu":99}})");
    crab.wait_ack(1);
    crab.send("not json");
    auto text = http_request(hub.port(), "GET", "/metrics").body;
    for (const char* family : {"octopus_errors_total", "octopus_ack_latency_seconds_bucket",
                               "octopus_alert_transitions_total", "octopus_alert_rules",
                               "octopus_poll_total", "octopus_hub_seq", "octopus_crabs_online"}) {
        CAPTURE(family);
        CHECK(text.find(std::string("\n") + family) != std::string::npos);
    }
    auto [code, output] = promtool_check(dir, text);
    CAPTURE(output);
    CHECK(code == 0);
    CHECK(output.empty());
}
