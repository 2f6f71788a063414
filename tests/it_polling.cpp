// Integration: [[polling]] against the real hub binary. A WebSocket crab receives the hub's
// collect requests, answers them with reply_to, and measures the gaps between requests on
// receipt: with interval_ms below min_delay_ms, pacing must win. Also: silent crabs reported
// after heartbeat_misses, and config errors naming the key and line.
#include <doctest/doctest.h>

#include <fstream>
#include <set>

#include "support/hub_process.hpp"
#include "support/ws_client.hpp"

using namespace octopus::test;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

// The hub paces by its own steady clock; what the crab sees can be shorter by delivery jitter.
constexpr milliseconds kJitter{25};

std::string answer(std::uint64_t seq, const std::string& id) {
    return R"({"type":"snapshot","seq":)" + std::to_string(seq) + R"(,"reply_to":")" + id +
           R"(","values":{"n":)" + std::to_string(seq) + "}}";
}

// A hub on dir/data running with `toml` as its config file.
HubProcess polling_hub(const TempDir& dir, const std::string& toml) {
    return HubProcess::configured(dir, toml);
}

CommandResult serve_with(const TempDir& dir, const std::string& toml) {
    return run_command(
        {(bin_dir() / "octopus").string(), "serve", "--listen", "127.0.0.1:0", "--data",
         (dir.path() / "data").string(), "--no-local-crab", "--config", write_config(dir, toml)},
        std::chrono::seconds(20));
}

}  // namespace

TEST_CASE("polling paces collect requests by min_delay and stores the answers") {
    TempDir dir;
    auto hub = polling_hub(dir,
                           "[[polling]]\ncrabs = \"pace-*\"\ninterval_ms = 40\n"
                           "min_delay_ms = 150\ntimeout_ms = 1000\n");
    auto idle = std::make_unique<WsClient>(hub.port());  // connected, not matched by the rule
    idle->hello("idle-1");
    WsClient crab(hub.port());
    crab.hello("pace-1");

    std::vector<steady_clock::time_point> received;
    std::vector<std::string> ids;
    auto deadline = steady_clock::now() + std::chrono::seconds(10);
    while (ids.size() < 4 && steady_clock::now() < deadline) {
        auto msg = crab.recv_json(std::chrono::seconds(5));
        if (msg["type"] != "collect") continue;  // acks
        received.push_back(steady_clock::now());
        ids.push_back(msg["id"].get<std::string>());
        crab.send(answer(ids.size(), ids.back()));
    }
    REQUIRE(ids.size() == 4);
    crab.wait_ack(4);
    for (std::size_t i = 1; i < received.size(); ++i) {
        auto gap = std::chrono::duration_cast<milliseconds>(received[i] - received[i - 1]);
        CHECK_MESSAGE(gap >= milliseconds(150) - kJitter, "gap " << gap.count() << " ms");
    }
    CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());

    auto buffer = http_json(hub.port(), "GET", "/v1/crabs/pace-1/buffer");
    std::vector<std::string> replied;
    for (const auto& env : buffer) {
        if (env.contains("reply_to")) replied.push_back(env["reply_to"].get<std::string>());
    }
    CHECK(replied == ids);

    auto metrics = http_request(hub.port(), "GET", "/metrics").body;
    CHECK(metrics.find("octopus_poll_total{outcome=\"answered\"} " + std::to_string(ids.size())) !=
          std::string::npos);
    CHECK_FALSE(idle->recv(milliseconds(100)).has_value());  // never asked
    idle.reset();  // hang up, so the hub's shutdown does not wait for it
    crab.close();
    CHECK(hub.terminate() == 0);
    CHECK(hub.process().output().find("polling stopped: ") != std::string::npos);
}

TEST_CASE("a crab that leaves heartbeat_misses polls unanswered is marked offline (close 4003)") {
    TempDir dir;
    auto hub = polling_hub(dir,
                           "[[polling]]\ncrabs = \"mute\"\ninterval_ms = 30\n"
                           "min_delay_ms = 50\ntimeout_ms = 80\nheartbeat_misses = 2\n");
    WsClient crab(hub.port());
    crab.hello("mute");
    CHECK(crab.recv_json()["type"] == "collect");  // and never answered
    CHECK(hub.process().wait_for_output(R"(crab "mute" is silent: 2 polls in a row unanswered)",
                                        std::chrono::seconds(5)));
    for (int i = 0; i < 100 && crab.recv(std::chrono::seconds(5)).has_value(); ++i) {
    }
    CHECK(crab.close_code() == 4003);
    CHECK(http_json(hub.port(), "GET", "/v1/crabs/mute")["online"] == false);
}

TEST_CASE("bad [[polling]] config stops the hub with the key and line named") {
    TempDir dir;
    auto unknown = serve_with(dir, "[[polling]]\ncrabs = \"*\"\ninterval_ms = 100\nevery = 3\n");
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.output.find(R"(unknown key "polling[0].every" at line 4)") != std::string::npos);

    auto table = serve_with(dir, "[polling]\ncrabs = \"*\"\ninterval_ms = 100\n");
    CHECK(table.exit_code == 2);
    CHECK(table.output.find("polling must be an array of tables, written [[polling]]") !=
          std::string::npos);

    auto missing = serve_with(dir,
                              "[[polling]]\ncrabs = \"*\"\n\n[[polling]]\ncrabs = \"a\"\n"
                              "interval_ms = 100\n[[polling]]\ncrabs = \"b\"\n");
    CHECK(missing.exit_code == 2);
    CHECK(missing.output.find("polling[0]: interval_ms is required (line 1)") != std::string::npos);

    auto glob = serve_with(dir, "[[polling]]\ncrabs = \"../x\"\ninterval_ms = 100\n");
    CHECK(glob.exit_code == 2);
    CHECK(glob.output.find("polling[0]: crabs must be a crab name or a glob") != std::string::npos);
    CHECK(glob.output.find("(line 2)") != std::string::npos);

    auto zero = serve_with(dir, "[[polling]]\ncrabs = \"*\"\ninterval_ms = 0\n");
    CHECK(zero.exit_code == 2);
    CHECK(zero.output.find("polling[0]: interval_ms must be positive (line 3)") !=
          std::string::npos);

    auto negative =
        serve_with(dir, "[[polling]]\ncrabs = \"*\"\ninterval_ms = 10\nmin_delay_ms = -5\n");
    CHECK(negative.exit_code == 2);
    CHECK(
        negative.output.find("polling[0]: min_delay_ms must be a non-negative integer (line 4)") !=
        std::string::npos);
}
