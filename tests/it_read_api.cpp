// Integration: HTTP collect (POST /v1/crabs/NAME/collect, POST /v1/collect) and the read API
// (GET /v1/crabs/NAME/records) against the real hub binary. A collect blocks its HTTP call until
// the crab answers, so the call runs in std::async while the test thread plays the crab. Read
// API cases push snapshots with known timestamps and compare with hand-computed buckets.
#include <doctest/doctest.h>

#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "support/hub_process.hpp"
#include "support/ws_client.hpp"

using namespace octopus::test;
using nlohmann::json;

namespace {

// A multiple of 60 and of 100, so buckets of either width start exactly here.
constexpr double kBase = 1732777200;

std::future<HttpResult> post_async(std::uint16_t port, const std::string& target) {
    return std::async(std::launch::async,
                      [port, target] { return http_request(port, "POST", target); });
}

// Sends a request that must be refused with `status` and `code`; returns the error message.
std::string refused(std::uint16_t port, const std::string& method, const std::string& target,
                    unsigned status, const std::string& code) {
    auto r = http_request(port, method, target);
    CHECK_MESSAGE(r.status == status, method << " " << target);
    auto body = json::parse(r.body);
    CHECK_MESSAGE(body["code"] == code, method << " " << target);
    return body.value("message", "");
}

void wait_offline(std::uint16_t port, const std::string& name) {
    for (int i = 0; i < 200; ++i) {
        if (http_json(port, "GET", "/v1/crabs/" + name)["online"] == false) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("crab " << name << " stayed online");
}

std::string at(double offset, const std::string& values) {
    return R"({"timestamp":)" + std::to_string(static_cast<std::int64_t>(kBase + offset)) +
           R"(,"values":)" + values + "}";
}

// Sends items one by one (in this order, their text untouched) and waits for the last ack.
void push(WsClient& crab, const std::vector<std::string>& items) {
    for (std::size_t i = 0; i < items.size(); ++i) {
        crab.send(R"({"type":"snapshot","seq":)" + std::to_string(i + 1) + "," +
                  items[i].substr(1));
    }
    crab.wait_ack(items.size());
}

std::string records(double since, double until, const std::string& extra = "") {
    return "/v1/crabs/sensor/records?since=" + std::to_string(static_cast<std::int64_t>(since)) +
           "&until=" + std::to_string(static_cast<std::int64_t>(until)) + extra;
}

// Bucket 0 arrives out of time order: the t=+50 snapshot comes before t=+20, so `last` must
// follow the time axis, not arrival. Strings and booleans are not aggregated.
void push_sensor(WsClient& crab) {
    crab.hello("sensor");
    push(crab, {at(-1, R"({"cpu":99})"), at(5, R"({"cpu":10,"memory":50,"up":true,"mode":"eco"})"),
                at(50, R"({"cpu":40,"memory":52})"), at(20, R"({"cpu":25,"memory":51})"),
                at(65, R"({"cpu":1.50,"memory":60})"), at(100, R"({"cpu":2.5})"),
                at(130, R"({"cpu":7,"memory":70})"), at(200, R"({"cpu":99})")});
}

json point(const json& answer, std::size_t i) {
    REQUIRE(answer["points"].size() > i);
    return answer["points"][i];
}

}  // namespace

TEST_CASE("HTTP collect from the local crab returns a fresh envelope") {
    TempDir dir;
    HubProcess hub({.data_dir = dir.path(), .local_crab = true});
    auto before = http_json(hub.port(), "GET", "/v1/crabs/local_system/buffer");
    REQUIRE(!before.empty());
    auto newest = before.back()["hub_seq"].get<std::uint64_t>();
    auto env = http_json(hub.port(), "POST", "/v1/crabs/local_system/collect");
    CHECK(env["crab"] == "local_system");
    CHECK(env["reply_to"].get<std::string>().starts_with("c"));
    CHECK(env["hub_seq"].get<std::uint64_t>() > newest);
    CHECK(env["values"].contains("cpu"));
    auto after = http_json(hub.port(), "GET", "/v1/crabs/local_system/buffer");
    CHECK(after.back()["hub_seq"].get<std::uint64_t>() >= env["hub_seq"].get<std::uint64_t>());
}

TEST_CASE("HTTP collect from a remote crab answers with the crab's own snapshot") {
    TempDir dir;
    HubProcess hub(dir.path());
    WsClient crab(hub.port());
    crab.hello("remote");
    auto answer = post_async(hub.port(), "/v1/crabs/remote/collect?timeout_ms=5000");
    auto collect = crab.recv_type("collect");
    auto id = collect["id"].get<std::string>();
    crab.send(R"({"type":"snapshot","seq":1,"reply_to":")" + id +
              R"(","timestamp":1732778016.5,"values":{"cpu":42.50,"up":true}})");
    auto res = answer.get();
    REQUIRE(res.status == 200);
    CHECK(res.content_type == "application/json");
    CHECK(res.body.find(R"("values":{"cpu":42.50,"up":true})") != std::string::npos);
    auto env = json::parse(res.body);
    CHECK(env["crab"] == "remote");
    CHECK(env["seq"] == 1);
    CHECK(env["reply_to"] == id);
    crab.wait_ack(1);
}

TEST_CASE("HTTP collect errors: unknown 404, offline 409, timeout 504, bad parameters 400") {
    TempDir dir;
    HubProcess hub(dir.path());
    refused(hub.port(), "POST", "/v1/crabs/nobody/collect", 404, "unknown_crab");

    {
        WsClient gone(hub.port());
        gone.hello("gone");
        gone.close();
    }
    wait_offline(hub.port(), "gone");
    refused(hub.port(), "POST", "/v1/crabs/gone/collect", 409, "crab_offline");

    WsClient mute(hub.port());
    mute.hello("mute");
    auto started = std::chrono::steady_clock::now();
    refused(hub.port(), "POST", "/v1/crabs/mute/collect?timeout_ms=200", 504, "timeout");
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(200));
    CHECK(mute.recv_type("collect")["id"].is_string());

    for (std::string bad : {"?timeout_ms=0", "?timeout_ms=abc", "?timeout=5", "?timeout_ms=%zz"})
        refused(hub.port(), "POST", "/v1/crabs/mute/collect" + bad, 400, "bad_message");
    refused(hub.port(), "GET", "/v1/crabs/mute/collect", 405, "method_not_allowed");
    refused(hub.port(), "GET", "/v1/collect", 405, "method_not_allowed");
    auto metrics = http_request(hub.port(), "GET", "/metrics").body;
    CHECK(metrics.find("octopus_errors_total{code=\"timeout\"} 1\n") != std::string::npos);
    CHECK(metrics.find("octopus_errors_total{code=\"crab_offline\"} 1\n") != std::string::npos);
}

TEST_CASE("POST /v1/collect returns what arrived and names the crabs that did not answer") {
    TempDir dir;
    HubProcess hub({.data_dir = dir.path(), .local_crab = true});
    WsClient mute(hub.port());
    mute.hello("mute");
    WsClient remote(hub.port());
    remote.hello("remote");
    auto answer = post_async(hub.port(), "/v1/collect?timeout_ms=1500");
    auto id = remote.recv_type("collect")["id"].get<std::string>();
    remote.send(R"({"type":"snapshot","seq":1,"reply_to":")" + id + R"(","values":{"n":1}})");
    auto res = answer.get();
    REQUIRE(res.status == 200);
    auto body = json::parse(res.body);
    REQUIRE(body["snapshots"].size() == 2);
    std::set<std::string> answered;
    for (const auto& env : body["snapshots"]) {
        answered.insert(env["crab"].get<std::string>());
        CHECK(env["reply_to"].is_string());
    }
    CHECK(answered == std::set<std::string>{"local_system", "remote"});
    REQUIRE(body["missing"].size() == 1);
    CHECK(body["missing"][0]["crab"] == "mute");
    CHECK(body["missing"][0]["code"] == "timeout");
    CHECK(body["missing"][0]["message"].get<std::string>().find("1500 ms") != std::string::npos);
}

TEST_CASE("records downsampled: avg, min, max and last per step-second bucket") {
    TempDir dir;
    HubProcess hub(dir.path());
    WsClient crab(hub.port());
    push_sensor(crab);

    auto avg = http_json(hub.port(), "GET", records(kBase, kBase + 180, "&step=60"));
    CHECK(avg["crab"] == "sensor");
    CHECK(avg["step"] == 60);
    CHECK(avg["agg"] == "avg");
    REQUIRE(avg["points"].size() == 3);
    CHECK(point(avg, 0) ==
          json{{"t", kBase}, {"count", 3}, {"values", {{"cpu", 25.0}, {"memory", 51.0}}}});
    CHECK(point(avg, 1) ==
          json{{"t", kBase + 60}, {"count", 2}, {"values", {{"cpu", 2.0}, {"memory", 60.0}}}});
    CHECK(point(avg, 2) ==
          json{{"t", kBase + 120}, {"count", 1}, {"values", {{"cpu", 7.0}, {"memory", 70.0}}}});

    auto min = http_json(hub.port(), "GET", records(kBase, kBase + 180, "&step=60&agg=min"));
    CHECK(point(min, 0)["values"] == json{{"cpu", 10.0}, {"memory", 50.0}});
    CHECK(point(min, 1)["values"] == json{{"cpu", 1.5}, {"memory", 60.0}});
    auto max = http_json(hub.port(), "GET", records(kBase, kBase + 180, "&step=60&agg=max"));
    CHECK(point(max, 0)["values"] == json{{"cpu", 40.0}, {"memory", 52.0}});
    CHECK(point(max, 1)["values"] == json{{"cpu", 2.5}, {"memory", 60.0}});
    auto last = http_json(hub.port(), "GET", records(kBase, kBase + 180, "&step=60&agg=last"));
    CHECK(last["agg"] == "last");
    CHECK(point(last, 0)["values"] == json{{"cpu", 40.0}, {"memory", 52.0}});
    CHECK(point(last, 1)["values"] == json{{"cpu", 2.5}, {"memory", 60.0}});
    CHECK(point(last, 2)["values"] == json{{"cpu", 7.0}, {"memory", 70.0}});

    auto cpu = http_json(hub.port(), "GET", records(kBase, kBase + 180, "&step=60&keys=cpu"));
    CHECK(point(cpu, 0)["values"] == json{{"cpu", 25.0}});
    CHECK(point(cpu, 0)["count"] == 3);
    auto open = http_json(hub.port(), "GET", "/v1/crabs/sensor/records?step=60&agg=max");
    REQUIRE(open["points"].size() == 5);
    CHECK(open["points"][0]["t"] == kBase - 60);
    CHECK(open["points"][4]["t"] == kBase + 180);
}

TEST_CASE("records raw: a time window in time order, keys projecting values byte for byte") {
    TempDir dir;
    HubProcess hub(dir.path());
    WsClient crab(hub.port());
    push_sensor(crab);

    auto res = http_request(hub.port(), "GET", records(kBase + 20, kBase + 100, "&keys=cpu"));
    REQUIRE(res.status == 200);
    CHECK(res.body.find(R"("values":{"cpu":1.50})") != std::string::npos);
    auto rows = json::parse(res.body);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0]["timestamp"] == kBase + 20);
    CHECK(rows[1]["timestamp"] == kBase + 50);
    CHECK(rows[2]["timestamp"] == kBase + 65);
    CHECK(rows[0]["values"] == json{{"cpu", 25}});
    CHECK(rows[0]["seq"] == 4);
    CHECK(rows[1]["seq"] == 3);
    CHECK(rows[0]["crab"] == "sensor");
    CHECK(rows[0]["hub_seq"].is_number());

    auto all = http_json(hub.port(), "GET", records(kBase, kBase + 10));
    REQUIRE(all.size() == 1);
    CHECK(all[0]["values"] == json{{"cpu", 10}, {"memory", 50}, {"up", true}, {"mode", "eco"}});
    CHECK(http_json(hub.port(), "GET", "/v1/crabs/sensor/records").size() == 8);
    CHECK(http_json(hub.port(), "GET", records(kBase, kBase + 10, "&keys=nothing"))[0]["values"] ==
          json::object());
}

TEST_CASE("records older than the ring are served from the workspace on disk") {
    TempDir dir;
    HubProcess hub = HubProcess::configured(dir, "[buffer]\nsize = 5\n");
    WsClient crab(hub.port());
    crab.hello("sensor");
    std::vector<std::string> items;
    for (int i = 0; i < 20; ++i)
        items.push_back(at(i * 10, R"({"cpu":)" + std::to_string(i) + "}"));
    push(crab, items);
    REQUIRE(http_json(hub.port(), "GET", "/v1/crabs/sensor/buffer").size() == 5);

    auto old = http_json(hub.port(), "GET", records(kBase, kBase + 100));
    REQUIRE(old.size() == 10);
    for (int i = 0; i < 10; ++i) CHECK(old[i]["values"]["cpu"] == i);
    auto spanning = http_json(hub.port(), "GET", records(kBase + 50, kBase + 1000));
    REQUIRE(spanning.size() == 15);
    CHECK(spanning.front()["values"]["cpu"] == 5);
    CHECK(spanning.back()["values"]["cpu"] == 19);
    auto max = http_json(hub.port(), "GET", records(kBase, kBase + 200, "&step=100&agg=max"));
    REQUIRE(max["points"].size() == 2);
    CHECK(point(max, 0) == json{{"t", kBase}, {"count", 10}, {"values", {{"cpu", 9.0}}}});
    CHECK(point(max, 1) == json{{"t", kBase + 100}, {"count", 10}, {"values", {{"cpu", 19.0}}}});
    auto recent = http_json(hub.port(), "GET", records(kBase + 160, kBase + 1000));
    CHECK(recent.size() == 4);
}

TEST_CASE("records are capped at 10000 rows or points, and the error suggests a step") {
    TempDir dir;
    HubProcess hub(dir.path());
    WsClient crab(hub.port());
    crab.hello("sensor");
    for (int batch = 0; batch < 11; ++batch) {
        json items = json::array();
        for (int i = 0; i < 1000 && batch * 1000 + i < 10001; ++i) {
            int n = batch * 1000 + i;
            items.push_back({{"seq", n + 1}, {"timestamp", kBase + n}, {"values", {{"n", n}}}});
        }
        crab.send(json{{"type", "snapshots"}, {"items", items}}.dump());
    }
    crab.wait_ack(10001);

    auto raw = refused(hub.port(), "GET", "/v1/crabs/sensor/records", 400, "bad_message");
    CHECK(raw.find("10001 snapshots") != std::string::npos);
    CHECK(raw.find("step=2") != std::string::npos);
    CHECK(http_json(hub.port(), "GET", "/v1/crabs/sensor/records?step=2")["points"].size() == 5001);
    CHECK(http_json(hub.port(), "GET", records(kBase, kBase + 10000)).size() == 10000);

    auto wide =
        refused(hub.port(), "GET", records(kBase, kBase + 100000, "&step=1"), 400, "bad_message");
    CHECK(wide.find("step=11") != std::string::npos);
    refused(hub.port(), "GET", "/v1/crabs/sensor/records?step=1", 400, "bad_message");
}

TEST_CASE("records parameters are validated") {
    TempDir dir;
    HubProcess hub(dir.path());
    WsClient crab(hub.port());
    crab.hello("sensor");
    push(crab, {at(0, R"({"cpu":1})")});
    for (std::string bad : {"?since=abc", "?until=1e999", "?since=nan", "?since=10&until=5",
                            "?step=0", "?step=1.5", "?step=60&agg=median", "?agg=max", "?keys=",
                            "?keys=cpu,,mem", "?limit=5", "?since=1&since=2", "?since=%zz"})
        refused(hub.port(), "GET", "/v1/crabs/sensor/records" + bad, 400, "bad_message");
    CHECK(refused(hub.port(), "GET", "/v1/crabs/sensor/records?agg=median&step=1", 400,
                  "bad_message") == "agg must be avg, min, max or last, not \"median\"");
    refused(hub.port(), "GET", "/v1/crabs/nobody/records", 404, "unknown_crab");
    refused(hub.port(), "POST", "/v1/crabs/sensor/records", 405, "method_not_allowed");
    CHECK(http_json(hub.port(), "GET", "/v1/crabs/sensor/records?keys=c%70u&since=1.7e9").size() ==
          1);
}
