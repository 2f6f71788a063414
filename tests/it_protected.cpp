// Integration: what keeps a hub without authentication safe. Protected mode (a non-loopback
// listen address is refused at start unless --insecure), cross-site WebSocket hijacking (a
// browser's foreign Origin on an upgrade) and DNS rebinding (a foreign Host on a loopback hub),
// each refused with 403 forbidden and counted, while ordinary clients go on working.
#include <doctest/doctest.h>

#include "support/hub_process.hpp"
#include "support/ws_client.hpp"

using namespace octopus::test;
using nlohmann::json;

namespace {

HttpHeaders upgrade_headers(const std::string& origin) {
    HttpHeaders h = {{"Upgrade", "websocket"},
                     {"Connection", "Upgrade"},
                     {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                     {"Sec-WebSocket-Version", "13"}};
    if (!origin.empty()) h.emplace_back("Origin", origin);
    return h;
}

}  // namespace

TEST_CASE("protected mode: a non-loopback listen address without auth refuses to start") {
    TempDir dir;
    for (const char* listen : {"0.0.0.0:0", "[::]:0"}) {
        CAPTURE(listen);
        auto r = run_command({(bin_dir() / "octopus").string(), "serve", "--listen", listen,
                              "--data", (dir.path() / "data").string(), "--no-local-crab"});
        CHECK(r.exit_code == 2);
        CHECK(r.output.find("refusing to listen on") != std::string::npos);
        CHECK(r.output.find("--insecure") != std::string::npos);
    }
    CHECK_FALSE(std::filesystem::exists(dir.path() / "data"));
    // --insecure is accepted (here on loopback, since tests only ever bind loopback) and shown.
    HubProcess hub({.data_dir = dir.path() / "data", .extra_args = {"--insecure"}});
    CHECK(http_json(hub.port(), "GET", "/healthz")["insecure"] == true);
}

TEST_CASE("a WebSocket upgrade from a foreign Origin is refused, the hub's own is not") {
    TempDir dir;
    HubProcess hub =
        HubProcess::configured(dir, "[hub]\nallowed_origins = [\"https://Dash.Example\"]\n");
    auto port = hub.port();
    auto own = "http://127.0.0.1:" + std::to_string(port);
    for (const char* path : {"/v1/crab", "/v1/subscribe"}) {
        CAPTURE(path);
        auto evil = http_request(port, "GET", path, "", upgrade_headers("http://evil.example"));
        CHECK(evil.status == 403);
        CHECK(json::parse(evil.body)["code"] == "forbidden");
        CHECK(http_request(port, "GET", path, "", upgrade_headers(own)).status == 101);
        CHECK(http_request(port, "GET", path, "", upgrade_headers("https://dash.example")).status ==
              101);
    }
    // A client that sends no Origin (not a browser) is not affected.
    WsClient crab(port);
    CHECK(crab.hello("plain")["type"] == "welcome");
    CHECK(metric_value(port, "octopus_errors_total{code=\"forbidden\"}") == 2);
}

TEST_CASE("a loopback hub refuses a request whose Host is not a loopback name") {
    TempDir dir;
    HubProcess hub(dir.path());
    auto port = hub.port();
    auto rebound = http_request(port, "GET", "/v1/crabs", "", {{"Host", "evil.example"}});
    CHECK(rebound.status == 403);
    CHECK(json::parse(rebound.body)["code"] == "forbidden");
    auto upgrade = upgrade_headers("http://evil.example:" + std::to_string(port));
    upgrade.emplace_back("Host", "evil.example:" + std::to_string(port));
    CHECK(http_request(port, "GET", "/v1/subscribe", "", upgrade).status == 403);
    for (const std::string& host :
         std::vector<std::string>{"localhost:" + std::to_string(port), "127.0.0.1",
                                  "[::1]:" + std::to_string(port), "127.1.2.3:80"}) {
        CAPTURE(host);
        CHECK(http_request(port, "GET", "/v1/crabs", "", {{"Host", host}}).status == 200);
    }
}
