// Integration: tokens and scopes on the real hub. Tokens are made with `octopus token add`, as an
// operator would; the hub reads them from [auth] tokens. Every route of the route table is tried
// without a token (401), with a token lacking its scope (403) and with one holding it; a push
// token is held to its crab over WebSocket and HTTP; revocation and narrowing reach live sessions
// within a second; a bad file keeps the tokens in force; failed attempts are rate limited.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <map>

#include "server/http_api.hpp"
#include "support/hub_process.hpp"
#include "support/ws_client.hpp"

using namespace octopus::test;
using nlohmann::json;
using octopus::core::auth::Right;

namespace {

// A hub with a token file at <dir>/tokens.toml, and `octopus token` to fill it.
struct AuthHub {
    TempDir dir;
    std::filesystem::path tokens = dir.path() / "tokens.toml";
    std::map<std::string, std::string> token;  // id -> token
    std::unique_ptr<HubProcess> hub;

    std::string add(const std::string& id, const std::vector<std::string>& scopes,
                    const std::string& expires = "") {
        std::vector<std::string> argv = {(bin_dir() / "octopus").string(),
                                         "token",
                                         "add",
                                         "--id",
                                         id,
                                         "--file",
                                         tokens.string()};
        for (const auto& s : scopes) argv.insert(argv.end(), {"--scope", s});
        if (!expires.empty()) argv.insert(argv.end(), {"--expires", expires});
        auto r = run_command(argv);
        REQUIRE(r.exit_code == 0);
        auto t = r.output.substr(r.output.find("oct_"), 68);
        token[id] = t;
        return t;
    }
    void start() {
        hub = std::make_unique<HubProcess>(HubProcess::configured(
            dir, "[auth]\ntokens = \"" + tokens.string() + "\"\n[local_crab]\nenabled = false\n"));
    }
    std::uint16_t port() const { return hub->port(); }
    HttpHeaders as(const std::string& id) { return bearer(token.at(id)); }
    int revoke(const std::string& id) {
        return run_command({(bin_dir() / "octopus").string(), "token", "revoke", id, "--file",
                            tokens.string()})
            .exit_code;
    }
};

std::string fill(std::string_view pattern, const std::string& crab) {
    std::string path(pattern);
    if (auto at = path.find("{crab}"); at != std::string::npos) path.replace(at, 6, crab);
    // {file}: a file that exists under that route (the Web Bell's assets and licences).
    if (auto at = path.find("{file}"); at != std::string::npos)
        path.replace(at, 6, path.starts_with("/assets/") ? "app.js" : "uplot");
    return path;
}

std::string method_name(boost::beast::http::verb v) {
    return std::string(boost::beast::http::to_string(v));
}

// Waits until the crab's connection is closed; the close code, or 0 if still open at `within`.
int closed_within(WsClient& ws, std::chrono::milliseconds within) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (!ws.recv(left)) return ws.close_code();
    }
    return 0;
}

}  // namespace

TEST_CASE("every route refuses a missing token (401) and one without its scope (403)") {
    AuthHub a;
    a.add("all", {"push:*", "read:*", "collect:*", "admin", "metrics"});
    a.add("push", {"push:*"});
    a.add("read", {"read:*"});
    a.add("collect", {"collect:*"});
    a.add("admin", {"admin"});
    a.add("metrics", {"metrics"});
    a.add("elsewhere", {"push:zz", "read:zz", "collect:zz"});
    a.start();
    auto routes = octopus::server::http_routes();
    CHECK(routes.size() >= 12);
    for (const auto& r : routes) {
        auto path = fill(r.pattern, "edge-1");
        auto method = method_name(r.method);
        CAPTURE(method);
        CAPTURE(path);
        auto anonymous = http_request(a.port(), method, path);
        if (!r.need) {
            CHECK(anonymous.status == 200);
            continue;
        }
        CHECK(anonymous.status == 401);
        CHECK(json::parse(anonymous.body)["code"] == "unauthorized");
        for (const char* id : {"push", "read", "collect", "admin", "metrics"}) {
            CAPTURE(id);
            auto status = http_request(a.port(), method, path, "", a.as(id)).status;
            bool holds = to_string(*r.need) == std::string_view(id);
            if (holds) {
                CHECK(status != 401);
                CHECK(status != 403);
            } else {
                CHECK(status == 403);
            }
        }
        // A token over other crabs: refused on a crab's route, served (filtered) elsewhere.
        if (octopus::core::auth::names_crabs(*r.need)) {
            auto status = http_request(a.port(), method, path, "", a.as("elsewhere")).status;
            CHECK((r.pattern.find("{crab}") != std::string_view::npos ? status == 403
                                                                      : status != 403));
        }
    }
    auto guarded =
        std::count_if(routes.begin(), routes.end(), [](const auto& r) { return r.need; });
    CHECK(metric_value(a.port(), "octopus_errors_total{code=\"unauthorized\"}", a.as("metrics")) ==
          static_cast<double>(guarded));
}

TEST_CASE("a push:edge-1 token cannot be edge-2 over WebSocket or HTTP push, nor read it") {
    AuthHub a;
    a.add("edge-1", {"push:edge-1"});
    a.add("reader", {"read:edge-1"});
    a.start();
    {
        WsClient ws(a.port(), "/v1/crab", a.as("edge-1"));
        ws.send(R"({"type":"hello","crab":"edge-2"})");
        auto refused = ws.recv_json();
        CHECK(refused["code"] == "forbidden");
        CHECK(closed_within(ws, std::chrono::seconds(5)) == 4403);
    }
    auto body = R"({"seq":1,"timestamp":1.5,"values":{"x":1}})";
    auto http = http_request(a.port(), "POST", "/v1/crabs/edge-2/snapshots", body, a.as("edge-1"));
    CHECK(http.status == 403);
    CHECK(json::parse(http.body)["code"] == "forbidden");
    CHECK_FALSE(std::filesystem::exists(a.dir.path() / "data" / "edge-2"));
    // As itself it is served, and a reader sees only what it may read.
    WsClient ws(a.port(), "/v1/crab", a.as("edge-1"));
    CHECK(ws.hello("edge-1")["type"] == "welcome");
    CHECK(
        http_request(a.port(), "POST", "/v1/crabs/edge-1/snapshots", body, a.as("edge-1")).status ==
        409);  // connected over WebSocket: push there
    auto crabs = json::parse(http_request(a.port(), "GET", "/v1/crabs", "", a.as("reader")).body);
    REQUIRE(crabs.size() == 1);
    CHECK(crabs[0]["name"] == "edge-1");
    WsClient sub(a.port(), "/v1/subscribe", a.as("reader"));
    sub.send(R"({"type":"subscribe","id":"all","crabs":["*"]})");
    auto no = sub.recv_type("error");
    CHECK(no["code"] == "forbidden");
    CHECK(no["message"].get<std::string>().find("read:*") != std::string::npos);
    sub.send(R"({"type":"subscribe","id":"mine","crabs":["edge-1"]})");
    CHECK(sub.recv_type("subscribed")["id"] == "mine");
}

TEST_CASE("revoking a token closes its live crab and subscriber within a second") {
    AuthHub a;
    a.add("crab", {"push:edge-1"});
    a.add("dash", {"read:*"});
    a.start();
    WsClient crab(a.port(), "/v1/crab", a.as("crab"));
    CHECK(crab.hello("edge-1")["type"] == "welcome");
    WsClient sub(a.port(), "/v1/subscribe", a.as("dash"));
    sub.send(R"({"type":"subscribe","id":"s","crabs":["*"]})");
    CHECK(sub.recv_type("subscribed")["id"] == "s");
    crab.send(R"({"type":"snapshot","seq":1,"timestamp":1.5,"values":{"x":1}})");
    crab.wait_ack(1);
    REQUIRE(a.revoke("crab") == 0);
    REQUIRE(a.revoke("dash") == 0);
    auto t0 = std::chrono::steady_clock::now();
    CHECK(closed_within(crab, std::chrono::seconds(1)) == 4401);
    CHECK(closed_within(sub, std::chrono::seconds(1)) == 4401);
    MESSAGE("revocation reached both sessions in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - t0)
                   .count()
            << " ms");
    CHECK(http_request(a.port(), "GET", "/v1/crabs", "", a.as("dash")).status == 401);
    CHECK(a.hub->process().output().find(a.token["crab"]) == std::string::npos);
    CHECK(a.hub->process().output().find(a.token["dash"]) == std::string::npos);
}

TEST_CASE("a narrowed token drops the subscriptions it no longer covers, naming each") {
    AuthHub a;
    a.add("dash", {"read:*"});
    auto original = [&] {
        std::ifstream in(a.tokens);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }();
    a.start();
    WsClient sub(a.port(), "/v1/subscribe", a.as("dash"));
    sub.send(R"({"type":"subscribe","id":"edges","crabs":["edge-*"]})");
    CHECK(sub.recv_type("subscribed")["id"] == "edges");
    sub.send(R"({"type":"subscribe","id":"rest","crabs":["db-?"]})");
    CHECK(sub.recv_type("subscribed")["id"] == "rest");
    auto narrowed = original;
    narrowed.replace(narrowed.find("\"read:*\""), 8, "\"read:edge-*\"");
    auto tmp = a.tokens.string() + ".new";
    std::ofstream(tmp) << narrowed;
    std::filesystem::rename(tmp, a.tokens);
    auto dropped = sub.recv_json(std::chrono::seconds(1));
    CHECK(dropped["code"] == "forbidden");
    CHECK(dropped["message"].get<std::string>().find("\"rest\"") != std::string::npos);
    CHECK(sub.recv_json()["type"] == "unsubscribed");
    // "edges" is still served, and the connection stays open.
    sub.send(R"({"type":"unsubscribe","id":"edges"})");
    CHECK(sub.recv_type("unsubscribed")["id"] == "edges");
}

TEST_CASE("a token file other users can read gets a warning at start") {
    AuthHub a;
    a.add("ops", {"metrics"});
    std::filesystem::permissions(a.tokens, std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    a.start();
    CHECK(a.hub->process().wait_for_output("can be read by other users"));
}

TEST_CASE("a token file with a mistake keeps the tokens in force, on reload and on change") {
    AuthHub a;
    a.add("admin", {"admin", "read:*"});
    a.start();
    std::ofstream(a.tokens, std::ios::app) << "\n[[token]]\nid = \"broken\"\n";
    auto answer = http_request(a.port(), "POST", "/v1/admin/reload", "", a.as("admin"));
    CHECK(answer.status == 422);
    auto message = json::parse(answer.body)["message"].get<std::string>();
    CHECK(message.find(a.tokens.string() + ":") != std::string::npos);
    CHECK(message.find("hash is required") != std::string::npos);
    CHECK(a.hub->process().wait_for_output("the previous 1 tokens stay in force"));
    CHECK(http_request(a.port(), "GET", "/v1/crabs", "", a.as("admin")).status == 200);
    CHECK(http_request(a.port(), "GET", "/v1/crabs").status == 401);
}

TEST_CASE("a token expires by itself, on a live connection too") {
    AuthHub a;
    a.add("short", {"push:*"}, "4s");
    a.start();
    WsClient crab(a.port(), "/v1/crab", a.as("short"));
    CHECK(crab.hello("edge-1")["type"] == "welcome");
    CHECK(closed_within(crab, std::chrono::seconds(6)) == 4401);
    auto late = http_request(a.port(), "GET", "/v1/crabs/edge-1", "", a.as("short"));
    CHECK(late.status == 401);
}

TEST_CASE("a browser may send its token as a WebSocket subprotocol, never in the URL") {
    AuthHub a;
    a.add("dash", {"read:*"});
    a.start();
    WsClient sub(a.port(), "/v1/subscribe",
                 {{"Sec-WebSocket-Protocol", "octopus, bearer." + a.token["dash"]}});
    sub.send(R"({"type":"subscribe","id":"s","crabs":["*"]})");
    CHECK(sub.recv_type("subscribed")["id"] == "s");
    auto in_url = http_request(a.port(), "GET", "/v1/crabs?token=" + a.token["dash"]);
    CHECK(in_url.status == 401);
}

namespace {
// A GET from source address `from` (another loopback address), for the per-address limit.
unsigned get_from(const std::string& from, std::uint16_t port, const std::string& token) {
    namespace http = boost::beast::http;
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket s(ioc);
    s.open(boost::asio::ip::tcp::v4());
    s.bind({boost::asio::ip::make_address(from), 0});
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    http::request<http::empty_body> req{http::verb::get, "/v1/crabs", 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    req.set(http::field::authorization, "Bearer " + token);
    http::write(s, req);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res);
    return res.result_int();
}
}  // namespace

TEST_CASE("failed authentication is rate limited per address, and counted") {
    AuthHub a;
    a.add("ops", {"read:*", "metrics"});
    a.start();
    std::string wrong = "oct_" + std::string(64, '0');
    for (int i = 0; i < 20; ++i) CHECK(get_from("127.0.0.2", a.port(), wrong) == 401);
    CHECK(get_from("127.0.0.2", a.port(), wrong) == 429);
    CHECK(get_from("127.0.0.2", a.port(), a.token["ops"]) == 429);  // blocked, whatever it sends
    CHECK(get_from("127.0.0.3", a.port(), a.token["ops"]) == 200);  // other addresses are not
    CHECK(metric_value(a.port(), "octopus_errors_total{code=\"unauthorized\"}", a.as("ops")) == 20);
    CHECK(metric_value(a.port(), "octopus_errors_total{code=\"rate_limited\"}", a.as("ops")) == 2);
    CHECK(a.hub->process().output().find(wrong) == std::string::npos);
}

TEST_CASE("octopus token list shows ids, scopes and expiry, never a hash or token") {
    AuthHub a;
    auto t = a.add("edge-1", {"push:edge-1", "read:edge-*"}, "30d");
    auto r = run_command(
        {(bin_dir() / "octopus").string(), "token", "list", "--file", a.tokens.string()});
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("edge-1  push:edge-1,read:edge-*  expires 20") == 0);
    CHECK(r.output.find("sha256") == std::string::npos);
    CHECK(r.output.find(t) == std::string::npos);
    std::ifstream in(a.tokens);
    std::string stored(std::istreambuf_iterator<char>(in), {});
    CHECK(stored.find(t) == std::string::npos);
    CHECK((std::filesystem::status(a.tokens).permissions() & std::filesystem::perms::group_read) ==
          std::filesystem::perms::none);
    auto bad = run_command({(bin_dir() / "octopus").string(), "token", "add", "--id", "x",
                            "--scope", "write:x", "--file", a.tokens.string()});
    CHECK(bad.exit_code == 2);
    CHECK(bad.output.find("is not a scope") != std::string::npos);
}
