// Integration: the real octopus-bell binary against the real hub, fed by a WebSocket crab. Its
// stdout is a pipe here, so bell prints plain lines (or --json messages): the buffered
// snapshots at once, live ones as they come, lifecycle events, and the same stream across a hub
// restart (it resumes after the last hub_seq it showed: nothing repeated, nothing lost).
#include <doctest/doctest.h>

#include <regex>
#include <sstream>

#include "support/hub_process.hpp"
#include "support/ws_client.hpp"

using namespace octopus::test;
using nlohmann::json;

namespace {

std::string bell_bin() {
    return (bin_dir() / "octopus-bell").string();
}

std::string hub_url(std::uint16_t port) {
    return "ws://127.0.0.1:" + std::to_string(port);
}

std::string snapshot(std::uint64_t seq, const std::string& cpu, const std::string& memory) {
    return R"({"type":"snapshot","seq":)" + std::to_string(seq) + R"(,"values":{"cpu":)" + cpu +
           R"(,"memory":)" + memory + "}}";
}

// Sends one snapshot and waits until the hub has it.
void push(WsClient& crab, std::uint64_t seq, const std::string& cpu, const std::string& memory) {
    crab.send(snapshot(seq, cpu, memory));
    crab.wait_ack(seq);
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// Plain lines with the age (which depends on timing) checked for its form, then masked.
std::vector<std::string> masked(const std::string& output) {
    static const std::regex age(" age=[0-9]+\\.[0-9]s");
    std::vector<std::string> out;
    for (const auto& line : lines_of(output)) {
        if (line.find(" seq=") != std::string::npos)
            CHECK_MESSAGE(std::regex_search(line, age), line);
        out.push_back(std::regex_replace(line, age, " age=*"));
    }
    return out;
}

// A hub with crab "alpha" connected and two acknowledged snapshots in its buffer.
struct AlphaHub {
    TempDir dir;
    HubProcess hub{dir.path()};
    WsClient crab{hub.port()};
    AlphaHub() {
        crab.hello("alpha");
        push(crab, 1, "12.5", "63.7");
        push(crab, 2, "13", "64.0");
    }
};

}  // namespace

TEST_CASE("octopus-bell prints the buffered snapshots at once, one plain line each") {
    AlphaHub h;
    auto r = run_command(
        {bell_bin(), "--hub", hub_url(h.hub.port()), "--iterations", "2", "--keys", "cpu"});
    CHECK_MESSAGE(r.exit_code == 0, r.output);
    CHECK(masked(r.output) ==
          std::vector<std::string>{"alpha seq=1 age=* cpu=12.5", "alpha seq=2 age=* cpu=13"});
}

TEST_CASE(
    "octopus-bell shows a live snapshot after the buffered ones, then stops at --iterations") {
    AlphaHub h;
    ChildProcess bell(
        {bell_bin(), "--hub", hub_url(h.hub.port()), "--iterations", "3", "--keys", "cpu"});
    // A printed line means bell has subscribed: what the crab sends now reaches it live.
    REQUIRE_MESSAGE(bell.wait_for_output("alpha seq=1 "), bell.output());
    push(h.crab, 3, "99.25", "70");
    CHECK(bell.wait_exit(std::chrono::seconds(15)) == 0);
    CHECK(masked(bell.output()) == std::vector<std::string>{"alpha seq=1 age=* cpu=12.5",
                                                            "alpha seq=2 age=* cpu=13",
                                                            "alpha seq=3 age=* cpu=99.25"});
}

TEST_CASE("octopus-bell without --keys shows every key, sorted") {
    AlphaHub h;
    auto r = run_command({bell_bin(), "--hub", hub_url(h.hub.port()), "--iterations=1"});
    CHECK_MESSAGE(r.exit_code == 0, r.output);
    CHECK(masked(r.output) == std::vector<std::string>{"alpha seq=1 age=* cpu=12.5 memory=63.7"});
}

TEST_CASE("octopus-bell --json prints one hub message per line") {
    AlphaHub h;
    auto r =
        run_command({bell_bin(), "--hub", hub_url(h.hub.port()), "--iterations", "2", "--json"});
    CHECK_MESSAGE(r.exit_code == 0, r.output);
    const auto lines = lines_of(r.output);
    REQUIRE_MESSAGE(lines.size() == 3, r.output);
    std::vector<json> messages;
    for (const auto& line : lines) {
        messages.push_back(json::parse(line, nullptr, false));
        REQUIRE_MESSAGE(messages.back().is_object(), line);
    }
    CHECK(messages[0]["type"] == "subscribed");
    CHECK(messages[0]["id"] == "bell");
    for (std::size_t i = 1; i < 3; ++i) {
        CHECK(messages[i]["type"] == "snapshot");  // a batch is printed item by item
        CHECK(messages[i]["sub"] == "bell");
        CHECK(messages[i]["crab"] == "alpha");
        CHECK(messages[i]["seq"] == i);
        CHECK(messages[i]["values"].contains("memory"));
    }
    // Verbatim: the crab's number tokens, as stored.
    CHECK(lines[2].find(R"("values":{"cpu":13,"memory":64.0})") != std::string::npos);
}

TEST_CASE("octopus-bell shows crabs coming online and going offline, and exits 0 on SIGTERM") {
    TempDir dir;
    HubProcess hub(dir.path());
    WsClient first(hub.port());
    first.hello("beta-0");
    push(first, 1, "0", "0");
    ChildProcess bell({bell_bin(), "--hub", hub_url(hub.port()), "--crab", "beta*"});
    // beta-0's buffered snapshot on screen means bell's subscription is in place.
    REQUIRE_MESSAGE(bell.wait_for_output("beta-0 seq=1 "), bell.output());
    {
        WsClient other(hub.port());
        other.hello("gamma");  // not matched by --crab beta*
        push(other, 1, "1", "2");
        WsClient beta(hub.port());
        beta.hello("beta-1");
        push(beta, 1, "5", "6");
        REQUIRE_MESSAGE(bell.wait_for_output("beta-1 seq=1 "), bell.output());
    }
    REQUIRE_MESSAGE(bell.wait_for_output("beta-1 offline"), bell.output());
    CHECK(bell.terminate() == 0);
    CHECK(masked(bell.output()) ==
          std::vector<std::string>{"beta-0 seq=1 age=* cpu=0 memory=0", "beta-1 online",
                                   "beta-1 seq=1 age=* cpu=5 memory=6", "beta-1 offline"});
}

TEST_CASE("octopus-bell resumes after a hub restart without repeating or losing a snapshot") {
    TempDir dir;
    auto hub = std::make_unique<HubProcess>(dir.path());
    const std::string port = std::to_string(hub->port());
    {
        WsClient crab(hub->port());
        crab.hello("alpha");
        push(crab, 1, "1", "1");
        push(crab, 2, "2", "2");
    }
    ChildProcess bell({bell_bin(), "--hub", hub_url(hub->port()), "--keys", "cpu"});
    REQUIRE_MESSAGE(bell.wait_for_output("alpha seq=2 "), bell.output());
    hub->kill9();
    hub.reset();
    REQUIRE_MESSAGE(bell.wait_for_output("reconnecting"), bell.output());
    HubProcess back({.data_dir = dir.path(), .extra_args = {"--listen", "127.0.0.1:" + port}});
    WsClient crab(back.port());
    crab.hello("alpha");
    push(crab, 3, "3", "3");
    REQUIRE_MESSAGE(bell.wait_for_output("alpha seq=3 "), bell.output());
    CHECK(bell.terminate() == 0);
    std::vector<std::string> snapshots;
    for (const auto& line : masked(bell.output())) {
        if (line.starts_with("alpha seq=")) snapshots.push_back(line);
    }
    CHECK(snapshots == std::vector<std::string>{"alpha seq=1 age=* cpu=1",
                                                "alpha seq=2 age=* cpu=2",
                                                "alpha seq=3 age=* cpu=3"});
}

TEST_CASE("octopus-bell exits 1 with a clear message when the hub is not there") {
    auto r = run_command({bell_bin(), "--hub", "ws://127.0.0.1:1", "--iterations", "1"});
    CHECK(r.exit_code == 1);
    CHECK_MESSAGE(
        r.output.find("octopus-bell: cannot subscribe at ws://127.0.0.1:1/v1/subscribe") !=
            std::string::npos,
        r.output);
}

TEST_CASE("octopus-bell refuses bad usage with exit code 2") {
    const std::string hub = "ws://127.0.0.1:1";
    for (const auto& args : std::vector<std::vector<std::string>>{
             {},
             {"--iterations", "3"},
             {"--hub", "http://127.0.0.1:8765"},
             {"--hub", "ws://127.0.0.1:99999"},
             {"--hub", "ws://127.0.0.1:8765/v1/subscribe"},
             {"--hub", hub, "--iterations", "0"},
             {"--hub", hub, "--iterations", "-1"},
             {"--hub", hub, "--iterations", "many"},
             {"--hub", hub, "--crab", "../x"},
             {"--hub", hub, "--keys", "cpu,,memory"},
             {"--hub", hub, "--keys"},
             {"--hub", hub, "--colour"},
             {"--hub", hub, "stray"},
         }) {
        std::vector<std::string> argv = {bell_bin()};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = run_command(argv);
        CAPTURE(r.output);
        CHECK(r.exit_code == 2);
        CHECK(r.output.find("usage: octopus-bell") != std::string::npos);
    }
}
