// Integration: limits that keep one hostile or buggy peer from hurting the hub. Deeply nested
// JSON on every endpoint, a subscriber that floods errors and never reads, binary frames on
// /v1/subscribe, the cap on subscriptions per connection, a crab poisoning its own seq (and the
// operator's reset), and a hub that starts on a full disk. Each case checks the precise error,
// the metric, and that the hub keeps serving.
#include <doctest/doctest.h>
#include <sys/mount.h>

#include <fstream>
#include <future>
#include <thread>

#include "support/hub_process.hpp"
#include "support/records.hpp"
#include "support/ws_client.hpp"

using namespace octopus::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string nested(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

std::string snapshot(std::uint64_t seq) {
    return R"({"type":"snapshot","seq":)" + std::to_string(seq) + R"(,"values":{"n":)" +
           std::to_string(seq) + "}}";
}

std::uint64_t rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
    }
    return 0;
}

}  // namespace

TEST_CASE("deeply nested JSON is refused with bad_json on every endpoint, and the hub serves on") {
    TempDir dir;
    // A raised frame cap lets a message nest 300,000 deep: enough to crash a recursive printer.
    HubProcess hub = HubProcess::configured(
        dir, "[limits]\nmax_frame_bytes = 1048576\nmax_http_body_bytes = 1048576\n");
    WsClient sub(hub.port(), "/v1/subscribe");
    WsClient crab(hub.port());
    crab.hello("deep");
    std::uint64_t seq = 0;
    for (std::size_t depth : {65, 1000, 10000, 100000, 300000}) {
        CAPTURE(depth);
        sub.send(R"({"type":"subscribe","id":"n","crabs":)" + nested(depth) + "}");
        auto err = sub.recv_json();
        CHECK(err["code"] == "bad_json");
        CHECK(err["message"] == "JSON nested deeper than 64 levels");
        crab.send(R"({"type":"snapshot","values":{"a":)" + nested(depth) + "}}");
        CHECK(crab.recv_json()["code"] == "bad_json");
        auto http = http_request(hub.port(), "POST", "/v1/crabs/deep-http/snapshots",
                                 R"({"values":{"a":1},"x":)" + nested(depth) + "}");
        CHECK(http.status == 400);
        CHECK(json::parse(http.body)["code"] == "bad_json");
        crab.send(snapshot(++seq));
        CHECK(crab.recv_type("ack")["seq"] == seq);
    }
    // 64 levels in all is still JSON the hub reads: an unknown field nested 63 deep is ignored.
    crab.send(R"({"type":"snapshot","seq":)" + std::to_string(++seq) +
              R"(,"values":{"n":1},"future":)" + nested(63) + "}");
    CHECK(crab.recv_type("ack")["seq"] == seq);
    // An entry that is not a string is named by index and type, never echoed back.
    sub.send(R"({"type":"subscribe","id":"n","crabs":["ok",)" + nested(60) + "]}");
    auto err = sub.recv_json();
    CHECK(err["code"] == "bad_message");
    CHECK(err["message"] == "crabs[1] must be a string, not array");
    // A bad string entry is quoted by a short escaped prefix only.
    sub.send(R"({"type":"subscribe","id":"n","crabs":[")" + std::string(250, '/') + "\"]}");
    err = sub.recv_json();
    CHECK(err["code"] == "bad_message");
    CHECK(err["message"].get<std::string>().size() < 120);
    sub.send(R"({"type":"subscribe","id":"n","crabs":["deep"]})");
    CHECK(sub.recv_type("subscribed")["id"] == "n");
    CHECK(metric_value(hub.port(), "octopus_errors_total{code=\"bad_json\"}") == 15);
}

TEST_CASE("a subscriber flooding bad frames without reading is closed with 4008, RSS bounded") {
    TempDir dir;
    HubProcess hub(dir.path());
    pid_t pid = hub.process().pid();
    WsClient warmup(hub.port(), "/v1/subscribe");
    warmup.send("x");
    CHECK(warmup.recv_json()["code"] == "bad_json");
    auto before = rss_kib(pid);
    REQUIRE(before > 0);
    WsClient flood(hub.port(), "/v1/subscribe");
    std::size_t sent = 0;
    try {
        // Before the bound, 300,000 unread error replies grew the hub by ~62 MiB.
        for (; sent < 300000; ++sent) flood.send("x");
    } catch (const std::exception&) {
        // The hub closed the connection under our writes: that is the point.
    }
    CHECK(hub.process().wait_for_output("subscriber queue full"));
    auto after = rss_kib(pid);
    MESSAGE("error flood: " << sent << " frames sent, hub RSS " << before << " KiB before, "
                            << after << " KiB after");
    CHECK(after < before + 16 * 1024);
    CHECK(metric_value(hub.port(), "octopus_subscriber_drops_total") >= 1);
    WsClient next(hub.port(), "/v1/subscribe");
    next.send(R"({"type":"subscribe","id":"a"})");
    CHECK(next.recv_type("subscribed")["id"] == "a");
}

TEST_CASE("a binary frame on /v1/subscribe gets bad_message and changes nothing") {
    TempDir dir;
    HubProcess hub(dir.path());
    WsClient sub(hub.port(), "/v1/subscribe");
    sub.send_binary(R"({"type":"subscribe","id":"b"})");
    auto err = sub.recv_json();
    CHECK(err["type"] == "error");
    CHECK(err["code"] == "bad_message");
    CHECK(err["message"] == "binary frames are not accepted; send JSON text frames");
    sub.send(R"({"type":"subscribe","id":"b"})");
    CHECK(sub.recv_json()["type"] == "subscribed");
}

TEST_CASE("one connection holds at most max_subscriptions, refused with too_many_subscriptions") {
    TempDir dir;
    HubProcess hub(dir.path());
    WsClient sub(hub.port(), "/v1/subscribe");
    for (int i = 0; i < 1000; ++i) {
        sub.send(R"({"type":"subscribe","id":"s)" + std::to_string(i) + R"(","crabs":["x"]})");
    }
    for (int i = 0; i < 1000; ++i) REQUIRE(sub.recv_json()["type"] == "subscribed");
    sub.send(R"({"type":"subscribe","id":"one-more","crabs":["x"]})");
    auto err = sub.recv_json();
    CHECK(err["code"] == "too_many_subscriptions");
    CHECK(err["message"].get<std::string>().find("max_subscriptions") != std::string::npos);
    CHECK(metric_value(hub.port(), "octopus_errors_total{code=\"too_many_subscriptions\"}") == 1);
    sub.send(R"({"type":"unsubscribe","id":"s0"})");
    CHECK(sub.recv_json()["type"] == "unsubscribed");
    sub.send(R"({"type":"subscribe","id":"one-more","crabs":["x"]})");
    CHECK(sub.recv_json()["type"] == "subscribed");

    TempDir small;
    HubProcess capped = HubProcess::configured(small, "[subscribers]\nmax_subscriptions = 2\n");
    WsClient two(capped.port(), "/v1/subscribe");
    for (const char* id : {"a", "b", "c"})
        two.send(R"({"type":"subscribe","id":")" + std::string(id) + "\"}");
    CHECK(two.recv_json()["type"] == "subscribed");
    CHECK(two.recv_json()["type"] == "subscribed");
    CHECK(two.recv_json()["code"] == "too_many_subscriptions");
}

TEST_CASE("seqs above 2^53-1 are refused, a crab's seq is seen and reset by an operator") {
    TempDir dir;
    std::uint16_t port = 0;
    auto push = [&](std::uint64_t seq) {
        return http_request(port, "POST", "/v1/crabs/poisoned/snapshots",
                            R"({"seq":)" + std::to_string(seq) + R"(,"values":{"n":1}})");
    };
    {
        HubProcess hub(dir.path());
        port = hub.port();
        auto huge = http_request(port, "POST", "/v1/crabs/poisoned/snapshots",
                                 R"({"seq":18446744073709551615,"values":{"n":1}})");
        CHECK(huge.status == 400);
        CHECK(json::parse(huge.body)["code"] == "bad_snapshot");
        CHECK(push(9007199254740992).status == 400);
        CHECK(push(1).status == 200);
        // The largest allowed seq still poisons a crab: logged and counted as a jump.
        CHECK(push(9007199254740991).status == 200);
        CHECK(hub.process().wait_for_output("seq jumps from 1 to 9007199254740991"));
        CHECK(metric_value(port, "octopus_seq_jumps_total") == 1);
        CHECK(json::parse(push(2).body)["seq"] == 9007199254740991);  // acked as a duplicate
        CHECK(http_json(port, "GET", "/v1/crabs/poisoned")["seq"] == 9007199254740991);
        // Refused while connected, and for a crab the hub does not know.
        {
            WsClient online(port);
            online.hello("poisoned");
            auto busy = http_request(port, "POST", "/v1/admin/crabs/poisoned/reset-seq", "");
            CHECK(busy.status == 409);
            CHECK(json::parse(busy.body)["code"] == "crab_online");
        }
        auto unknown = http_request(port, "POST", "/v1/admin/crabs/nobody/reset-seq", "");
        CHECK(unknown.status == 404);
        auto bad =
            http_request(port, "POST", "/v1/admin/crabs/poisoned/reset-seq", R"({"seq":-1})");
        CHECK(bad.status == 400);
        CHECK(http_request(port, "GET", "/v1/admin/crabs/poisoned/reset-seq").status == 405);
        REQUIRE(hub.process().wait_for_output("crab poisoned offline"));
        auto reset =
            http_request(port, "POST", "/v1/admin/crabs/poisoned/reset-seq", R"({"seq":1})");
        CHECK(reset.status == 200);
        CHECK(json::parse(reset.body) == json{{"crab", "poisoned"}, {"seq", 1}});
        CHECK(http_json(port, "GET", "/v1/crabs/poisoned")["seq"] == 1);
        CHECK(json::parse(push(2).body)["seq"] == 2);
        CHECK(metric_value(port, "octopus_seq_resets_total") == 1);
        hub.kill9();
    }
    // The reset survives kill -9: seq 3 is stored, 2 is a duplicate.
    HubProcess hub(dir.path());
    port = hub.port();
    WsClient crab(port);
    CHECK(crab.hello("poisoned")["last_seq"] == 2);
    crab.send(snapshot(3));
    CHECK(crab.recv_type("ack")["seq"] == 3);
    auto rows = stored(dir.path(), "poisoned");
    REQUIRE(rows.size() == 4);
    CHECK(rows.back()["seq"] == 9007199254740991);  // stored records are never rewritten
}

namespace {

// A small tmpfs the test can fill; unmounted at the end. Needs root (CI runs as root).
struct SmallDisk {
    fs::path path;
    bool mounted = false;
    explicit SmallDisk(const fs::path& where) : path(where) {
        fs::create_directories(path);
        mounted = ::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=4m") == 0;
    }
    ~SmallDisk() {
        if (mounted) ::umount2(path.c_str(), MNT_DETACH);
    }
    // Writes a filler file until the disk refuses.
    void fill() {
        std::ofstream out(path / "filler", std::ios::binary);
        std::string block(64 * 1024, 'f');
        while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) out.flush();
        std::ofstream small(path / "filler-tail", std::ios::binary);
        while (small.put('f')) small.flush();
    }
    void free() {
        std::error_code ec;
        fs::remove(path / "filler", ec);
        fs::remove(path / "filler-tail", ec);
    }
};

}  // namespace

TEST_CASE("a hub on a full disk starts, serves reads, refuses writes with disk_full, resumes") {
    TempDir dir;
    SmallDisk disk(dir.path() / "disk");
    if (!disk.mounted) {
        MESSAGE("cannot mount a tmpfs here (not root?): full-disk case not run");
        return;
    }
    auto data = disk.path / "data";
    {
        HubProcess hub(data);
        WsClient crab(hub.port());
        crab.hello("full");
        for (std::uint64_t s = 1; s <= 5; ++s) crab.send(snapshot(s));
        crab.wait_ack(5);
        CHECK(hub.terminate() == 0);
    }
    disk.fill();
    HubProcess hub(data);
    auto port = hub.port();
    CHECK(http_json(port, "GET", "/v1/crabs/full/buffer").size() == 5);
    // A batch too big for the last page of any file: its write fails and waits, unacked.
    std::string batch = R"({"type":"snapshots","items":[)";
    for (std::uint64_t s = 6; s <= 305; ++s) {
        batch += (s > 6 ? "," : "") + std::string(R"({"seq":)") + std::to_string(s) +
                 R"(,"values":{"padding":")" + std::string(100, 'p') + "\"}}";
    }
    batch += "]}";
    auto pending = std::async(std::launch::async, [&] {
        return http_request(port, "POST", "/v1/crabs/full/snapshots", batch);
    });
    // Room returns at the latest here, so the pending push can finish even if a check throws.
    struct FreeAtEnd {
        SmallDisk& disk;
        ~FreeAtEnd() { disk.free(); }
    } free_at_end{disk};
    bool degraded = false;
    for (int i = 0; i < 200 && !degraded; ++i) {
        auto health = http_request(port, "GET", "/healthz");
        degraded = health.status == 503 && json::parse(health.body)["status"] == "degraded";
        if (!degraded) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(degraded);
    auto refused = http_request(port, "POST", "/v1/crabs/full/snapshots", snapshot(306));
    CHECK(refused.status == 507);
    CHECK(json::parse(refused.body)["code"] == "disk_full");
    WsClient other(port);
    other.hello("other");
    other.send(snapshot(1));
    CHECK(other.recv_type("error")["code"] == "disk_full");
    CHECK(metric_value(port, "octopus_errors_total{code=\"disk_full\"}") == 2);
    CHECK(http_json(port, "GET", "/v1/crabs/full/buffer").size() == 100);  // reads still served
    CHECK(stored(data, "full").size() == 5);  // nothing partial reached the file
    CHECK(pending.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);

    disk.free();
    auto acked = pending.get();  // the batch is written and acked once there is room
    CHECK(acked.status == 200);
    CHECK(json::parse(acked.body)["seq"] == 305);
    bool healthy = false;
    for (int i = 0; i < 100 && !healthy; ++i) {
        healthy = http_request(port, "GET", "/healthz").status == 200;
        if (!healthy) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(healthy);
    CHECK(json::parse(
              http_request(port, "POST", "/v1/crabs/full/snapshots", snapshot(306)).body)["seq"] ==
          306);
    auto rows = stored(data, "full");
    REQUIRE(rows.size() == 306);
    for (std::size_t i = 0; i < rows.size(); ++i) CHECK(rows[i]["seq"] == i + 1);
}
