// Integration: the ingest path end to end against the real hub binary on a loopback port —
// WebSocket and HTTP push, acks, ring buffers, the JSONL workspace and the read API.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>

#include "support/hub_process.hpp"
#include "support/records.hpp"
#include "support/ws_client.hpp"

using namespace octopus::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string snapshot(std::uint64_t seq, double cpu) {
    return R"({"type":"snapshot","seq":)" + std::to_string(seq) +
           R"(,"timestamp":1732778016.781,"values":{"cpu":)" + std::to_string(cpu) + "}}";
}

}  // namespace

TEST_CASE("push -> ack -> buffer -> JSONL carry the same envelope") {
    TempDir dir;
    HubProcess hub(dir.path());
    WsClient crab(hub.port());
    auto welcome = crab.hello("alpha");
    CHECK(welcome["type"] == "welcome");
    CHECK(welcome["crab"] == "alpha");
    CHECK(welcome["last_seq"].is_null());
    CHECK(welcome["buffer_size"] == 100);

    crab.send(R"({"type":"snapshot","seq":1,"timestamp":1732778016.781,)"
              R"("values":{"cpu":12.5,"memory":63.7},"tags":{"host":"a"}})");
    auto ack = crab.recv_json();
    CHECK(ack == json{{"type", "ack"}, {"seq", 1}});

    auto buffer = http_json(hub.port(), "GET", "/v1/crabs/alpha/buffer");
    REQUIRE(buffer.size() == 1);
    auto env = buffer[0];
    CHECK(env["crab"] == "alpha");
    CHECK(env["seq"] == 1);
    CHECK(env["hub_seq"].get<std::uint64_t>() >= 1);
    CHECK(env["values"] == json{{"cpu", 12.5}, {"memory", 63.7}});
    CHECK(env["tags"] == json{{"host", "a"}});
    CHECK(env["timestamp"] == 1732778016.781);
    CHECK(env["received_at"].get<double>() > 1.7e9);

    auto file = dir.path() / "alpha/records/month=2024-11/detail.jsonl";
    auto lines = read_lines(file);
    REQUIRE(lines.size() == 1);
    CHECK(json::parse(lines[0]) == env);
    CHECK(fs::is_directory(dir.path() / "alpha/manifests"));
    CHECK(fs::is_directory(dir.path() / "alpha/objects"));
    // state.db is written by the first checkpoint, off the ack path; a clean stop saves it.
    CHECK(hub.terminate() == 0);
    CHECK(fs::exists(dir.path() / "alpha/state.db"));
}

TEST_CASE("sensor values are stored byte for byte as the crab sent them") {
    TempDir dir;
    HubProcess hub(dir.path());
    WsClient crab(hub.port());
    crab.hello("exact");
    const std::string values =
        R"({"a":0.1,"b":1e-300,"c":9007199254740993,"d":-0.0,"e":-1.7976931348623157e308,)"
        R"("f":-42,"g":true,"h":"text \"quoted\"","i":1.0E+2})";
    crab.send(R"({"type":"snapshot","seq":7,"values":)" + values + "}");
    crab.wait_ack(7);
    auto lines = read_lines(dir.path() / "exact/records/month=unknown/detail.jsonl");
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find(R"("values":)" + values) != std::string::npos);
    CHECK(lines[0].find(R"("timestamp":null)") != std::string::npos);
    auto buffer = http_request(hub.port(), "GET", "/v1/crabs/exact/buffer");
    CHECK(buffer.body.find(values) != std::string::npos);
}

TEST_CASE("a batch is stored in order and acknowledged once, cumulatively") {
    TempDir dir;
    HubProcess hub(dir.path());
    WsClient crab(hub.port());
    crab.hello("batcher");
    json items = json::array();
    for (int i = 1; i <= 50; ++i)
        items.push_back({{"seq", i}, {"timestamp", 1732778016 + i}, {"values", {{"n", i}}}});
    crab.send(json{{"type", "snapshots"}, {"items", items}}.dump());
    auto ack = crab.recv_type("ack");
    CHECK(ack["seq"] == 50);
    auto rows = stored(dir.path(), "batcher");
    REQUIRE(rows.size() == 50);
    for (int i = 0; i < 50; ++i) {
        CHECK(rows[i]["seq"] == i + 1);
        if (i > 0)
            CHECK(rows[i]["hub_seq"].get<std::uint64_t>() ==
                  rows[i - 1]["hub_seq"].get<std::uint64_t>() + 1);
    }
}

TEST_CASE("the hub assigns seq when a crab omits it") {
    TempDir dir;
    HubProcess hub(dir.path());
    WsClient crab(hub.port());
    crab.hello("noseq");
    crab.send(R"({"type":"snapshot","values":{"x":1}})");
    CHECK(crab.recv_type("ack")["seq"] == 1);
    crab.send(R"({"type":"snapshot","values":{"x":2}})");
    CHECK(crab.recv_type("ack")["seq"] == 2);
}

TEST_CASE("resent snapshots are acknowledged and not stored again") {
    TempDir dir;
    HubProcess hub(dir.path());
    {
        WsClient crab(hub.port());
        crab.hello("resender");
        for (int i = 1; i <= 3; ++i) crab.send(snapshot(i, i));
        crab.wait_ack(3);
    }
    WsClient again(hub.port());
    auto welcome = again.hello("resender");
    CHECK(welcome["last_seq"] == 3);
    for (int i = 2; i <= 4; ++i) again.send(snapshot(i, i));
    again.wait_ack(4);
    auto rows = stored(dir.path(), "resender");
    REQUIRE(rows.size() == 4);
    for (int i = 0; i < 4; ++i) CHECK(rows[i]["seq"] == i + 1);
    auto info = http_json(hub.port(), "GET", "/v1/crabs/resender");
    CHECK(info["duplicates"] == 2);
}

TEST_CASE("a second live connection for a name is refused and the first keeps its place") {
    TempDir dir;
    HubProcess hub(dir.path());
    WsClient first(hub.port());
    first.hello("solo");
    WsClient second(hub.port());
    auto err = second.hello("solo");
    CHECK(err["type"] == "error");
    CHECK(err["code"] == "duplicate_crab");
    CHECK_FALSE(second.recv().has_value());
    CHECK(second.close_code() == 4001);
    first.send(snapshot(1, 1));
    CHECK(first.recv_type("ack")["seq"] == 1);
}

TEST_CASE("HTTP push answers with an ack after durability") {
    TempDir dir;
    HubProcess hub(dir.path());
    auto ack = http_json(hub.port(), "POST", "/v1/crabs/web1/snapshots",
                         R"({"seq":1,"timestamp":1732778016.5,"values":{"cpu":1.5}})");
    CHECK(ack == json{{"type", "ack"}, {"seq", 1}});
    ack = http_json(
        hub.port(), "POST", "/v1/crabs/web1/snapshots",
        R"({"type":"snapshots","items":[{"seq":2,"values":{"cpu":2}},{"seq":3,"values":{"cpu":3}}]})");
    CHECK(ack["seq"] == 3);
    CHECK(stored(dir.path(), "web1").size() == 3);
    auto crabs = http_json(hub.port(), "GET", "/v1/crabs");
    REQUIRE(crabs.size() == 1);
    CHECK(crabs[0]["name"] == "web1");
    CHECK(crabs[0]["online"] == false);
    CHECK(crabs[0]["seq"] == 3);
    CHECK(crabs[0]["stored"] == 3);

    auto bad = http_request(hub.port(), "POST", "/v1/crabs/web1/snapshots", R"({"values":[1]})");
    CHECK(bad.status == 400);
    CHECK(json::parse(bad.body)["code"] == "bad_snapshot");
    auto hostile =
        http_request(hub.port(), "POST", "/v1/crabs/..%2Fx/snapshots", R"({"values":{"a":1}})");
    CHECK(hostile.status == 400);
    CHECK(json::parse(hostile.body)["code"] == "bad_name");
}

TEST_CASE("health, metrics, listing and errors of the read API") {
    TempDir dir;
    HubProcess hub(dir.path());
    WsClient crab(hub.port());
    crab.hello("reader");
    crab.send(snapshot(1, 5));
    crab.wait_ack(1);

    auto health = http_json(hub.port(), "GET", "/healthz");
    CHECK(health["status"] == "ok");
    auto metrics = http_request(hub.port(), "GET", "/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.content_type.find("text/plain") == 0);
    CHECK(metrics.body.find("octopus_snapshots_accepted_total 1\n") != std::string::npos);
    CHECK(metrics.body.find("octopus_crabs_online 1\n") != std::string::npos);
    CHECK(metrics.body.find("octopus_ack_latency_seconds_count 1\n") != std::string::npos);
    CHECK(metrics.body.find("octopus_fsyncs_total 0\n") == std::string::npos);

    auto crabs = http_json(hub.port(), "GET", "/v1/crabs");
    REQUIRE(crabs.size() == 1);
    CHECK(crabs[0]["online"] == true);
    CHECK(crabs[0]["durable_seq"] == 1);
    CHECK(crabs[0]["buffered"] == 1);

    auto unknown = http_request(hub.port(), "GET", "/v1/crabs/nobody/buffer");
    CHECK(unknown.status == 404);
    CHECK(json::parse(unknown.body)["code"] == "unknown_crab");
    CHECK(http_request(hub.port(), "GET", "/nowhere").status == 404);
    CHECK(http_request(hub.port(), "DELETE", "/v1/crabs").status == 405);
    CHECK(
        json::parse(http_request(hub.port(), "GET", "/v1/crabs/a%2F..%2Fb/buffer").body)["code"] ==
        "bad_name");
}

TEST_CASE("ring buffers keep the newest N, with per-crab overrides from the config") {
    TempDir dir;
    HubProcess hub = HubProcess::configured(dir, "[buffer]\nsize = 5\n[buffer.crabs]\nbig = 8\n");
    for (std::string name : {"small", "big"}) {
        WsClient crab(hub.port());
        CHECK(crab.hello(name)["buffer_size"] == (name == "big" ? 8 : 5));
        for (int i = 1; i <= 12; ++i) crab.send(snapshot(i, i));
        crab.wait_ack(12);
    }
    auto small = http_json(hub.port(), "GET", "/v1/crabs/small/buffer");
    REQUIRE(small.size() == 5);
    CHECK(small.front()["seq"] == 8);
    CHECK(small.back()["seq"] == 12);
    CHECK(http_json(hub.port(), "GET", "/v1/crabs/big/buffer").size() == 8);
}

TEST_CASE(
    "50 concurrent crabs pipelining: every snapshot stored exactly once, in one global order") {
    TempDir dir;
    HubProcess hub(dir.path());
    constexpr int kCrabs = 50, kEach = 40;
    std::vector<std::unique_ptr<WsClient>> crabs;
    for (int c = 0; c < kCrabs; ++c) {
        crabs.push_back(std::make_unique<WsClient>(hub.port()));
        crabs.back()->hello("crab-" + std::to_string(c));
    }
    for (int i = 1; i <= kEach; ++i) {
        for (auto& crab : crabs) crab->send(snapshot(i, i));
    }
    for (auto& crab : crabs) crab->wait_ack(kEach);
    std::set<std::uint64_t> hub_seqs;
    for (int c = 0; c < kCrabs; ++c) {
        auto rows = stored(dir.path(), "crab-" + std::to_string(c));
        REQUIRE(rows.size() == kEach);
        for (int i = 0; i < kEach; ++i) {
            CHECK(rows[i]["seq"] == i + 1);
            hub_seqs.insert(rows[i]["hub_seq"].get<std::uint64_t>());
        }
    }
    CHECK(hub_seqs.size() == kCrabs * kEach);
    CHECK(*hub_seqs.rbegin() == kCrabs * kEach);
}

TEST_CASE("the built-in local_system crab has live /proc data at once") {
    TempDir dir;
    HubProcess hub({.data_dir = dir.path(), .local_crab = true});
    auto buffer = http_json(hub.port(), "GET", "/v1/crabs/local_system/buffer");
    REQUIRE(buffer.size() >= 1);
    auto values = buffer[0]["values"];
    for (const char* key : {"cpu", "memory", "load1", "disk", "net_rx_bps", "net_tx_bps"}) {
        CHECK_MESSAGE(values.contains(key), key);
    }
    CHECK(values["memory"].get<double>() > 0);
    auto crabs = http_json(hub.port(), "GET", "/v1/crabs");
    CHECK(crabs[0]["online"] == true);
}
