// Integration: the hub over TLS, with certificates made by the test (support/test_pki). wss and
// https with verification of the hub's certificate; plaintext, garbage and silence on the TLS
// port refused and counted while the hub keeps serving; certificate rotation under a pushing
// crab; mutual TLS, and a client certificate naming its crab.
#include <doctest/doctest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fstream>
#include <regex>

#include "clients/tls_client.hpp"
#include "support/hub_process.hpp"
#include "support/test_pki.hpp"
#include "support/ws_client.hpp"

using namespace octopus::test;
using nlohmann::json;
namespace ssl = boost::asio::ssl;

namespace {

std::string tls_config(const CertFiles& server, const std::string& more = "") {
    return "[local_crab]\nenabled = false\n[tls]\ncert = \"" + server.cert.string() +
           "\"\nkey = \"" + server.key.string() + "\"\n" + more;
}

std::shared_ptr<ssl::context> client_context(const TestPki& pki, const CertFiles* cert = nullptr) {
    return octopus::clients::make_client_context({.ca_file = pki.ca().string(),
                                                  .cert_file = cert ? cert->cert.string() : "",
                                                  .key_file = cert ? cert->key.string() : ""});
}

std::string snapshot(std::uint64_t seq) {
    return R"({"type":"snapshot","seq":)" + std::to_string(seq) +
           R"(,"timestamp":1.5,"values":{"x":)" + std::to_string(seq) + "}}";
}

// Sends `bytes` on a raw TCP connection and waits for the hub to close it; the bytes it answered.
std::string raw_exchange(std::uint16_t port, const std::string& bytes) {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket s(ioc);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    if (!bytes.empty()) boost::asio::write(s, boost::asio::buffer(bytes));
    std::string got(4096, '\0');
    boost::system::error_code ec;
    auto n = boost::asio::read(s, boost::asio::buffer(got), ec);  // until the hub closes
    got.resize(n);
    return got;
}

void copy_over(const CertFiles& from, const CertFiles& to) {
    for (auto [a, b] : {std::pair{from.cert, to.cert}, {from.key, to.key}}) {
        auto tmp = b;
        tmp += ".tmp";
        std::filesystem::copy_file(a, tmp, std::filesystem::copy_options::overwrite_existing);
        std::filesystem::rename(tmp, b);
    }
}

}  // namespace

TEST_CASE("wss push and ack, https push and a wss subscriber, each verifying the hub") {
    TempDir dir;
    TestPki pki(dir.path());
    HubProcess hub = HubProcess::configured(dir, tls_config(pki.server("hub")));
    auto ctx = client_context(pki);
    WssClient sub(hub.port(), *ctx, "/v1/subscribe");
    sub.send(R"({"type":"subscribe","id":"s","crabs":["*"]})");
    CHECK(sub.recv_type("subscribed")["id"] == "s");
    WssClient crab(hub.port(), *ctx, "/v1/crab");
    CHECK(crab.hello("edge-1")["type"] == "welcome");
    crab.send(snapshot(1));
    crab.wait_ack(1);
    CHECK(sub.recv_type("snapshot")["crab"] == "edge-1");
    auto push = https_request(hub.port(), *ctx, "POST", "/v1/crabs/edge-2/snapshots", snapshot(1));
    CHECK(push.status == 200);
    CHECK(json::parse(push.body)["seq"] == 1);
    CHECK(json::parse(https_request(hub.port(), *ctx, "GET", "/v1/crabs").body).size() == 2);
    // A client that trusts another CA refuses the hub, with a one-line reason.
    TempDir other_dir;
    TestPki other(other_dir.path(), "other-ca");
    auto wrong = client_context(other);
    CHECK_THROWS_WITH(https_request(hub.port(), *wrong, "GET", "/healthz"),
                      doctest::Contains("certificate verify failed"));
}

TEST_CASE("plaintext, garbage and silence on the TLS port are refused, counted, harmless") {
    TempDir dir;
    TestPki pki(dir.path());
    HubProcess hub = HubProcess::configured(dir, tls_config(pki.server("hub")));
    auto ctx = client_context(pki);
    WssClient crab(hub.port(), *ctx, "/v1/crab");
    CHECK(crab.hello("edge-1")["type"] == "welcome");
    // Plain HTTP gets no HTTP answer (and certainly no data); the connection is closed.
    auto plain = raw_exchange(hub.port(), "GET /v1/crabs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    CHECK(plain.find("HTTP/1.1 200") == std::string::npos);
    CHECK(plain.find("edge-1") == std::string::npos);
    CHECK_THROWS(http_request(hub.port(), "GET", "/healthz"));
    raw_exchange(hub.port(), std::string(300, '\x16') + "garbage");
    // A peer that opens a connection and says nothing is cut off by the handshake timeout.
    auto t0 = std::chrono::steady_clock::now();
    raw_exchange(hub.port(), "");
    auto waited = std::chrono::steady_clock::now() - t0;
    CHECK(waited < std::chrono::seconds(15));
    MESSAGE("a silent peer was closed after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count() << " ms");
    // The crab never noticed.
    crab.send(snapshot(1));
    crab.wait_ack(1);
    auto metrics = https_request(hub.port(), *ctx, "GET", "/metrics").body;
    std::smatch m;
    REQUIRE(
        std::regex_search(metrics, m, std::regex("octopus_tls_handshake_failures_total ([0-9]+)")));
    CHECK(std::stoi(m[1].str()) >= 4);
}

TEST_CASE("certificate rotation under a pushing crab: nothing lost, no reconnect") {
    TempDir dir;
    TestPki pki(dir.path());
    auto live = pki.server("hub");
    HubProcess hub = HubProcess::configured(dir, tls_config(live));
    auto ctx = client_context(pki);
    WssClient crab(hub.port(), *ctx, "/v1/crab");
    CHECK(crab.hello("edge-1")["type"] == "welcome");
    auto before = WssClient(hub.port(), *ctx, "/v1/subscribe").peer_certificate();
    std::uint64_t seq = 0;
    for (; seq < 200; ++seq) crab.send(snapshot(seq + 1));
    copy_over(pki.server("hub-next"), live);
    auto reload = https_request(hub.port(), *ctx, "POST", "/v1/admin/reload");
    CHECK(reload.status == 200);
    for (; seq < 400; ++seq) crab.send(snapshot(seq + 1));
    crab.wait_ack(400);
    auto after = WssClient(hub.port(), *ctx, "/v1/subscribe").peer_certificate();
    CHECK_FALSE(before.empty());
    CHECK(after != before);
    auto info = json::parse(https_request(hub.port(), *ctx, "GET", "/v1/crabs/edge-1").body);
    CHECK(info["stored"] == 400);
    CHECK(info["online"] == true);
    // A key that does not load keeps the certificate in force, and the answer says why.
    std::ofstream(live.key) << "not a key\n";
    auto bad = https_request(hub.port(), *ctx, "POST", "/v1/admin/reload");
    CHECK(bad.status == 422);
    CHECK(json::parse(bad.body)["message"].get<std::string>().find(live.key.string()) !=
          std::string::npos);
    CHECK(WssClient(hub.port(), *ctx, "/v1/subscribe").peer_certificate() == after);
    crab.send(snapshot(401));
    crab.wait_ack(401);
}

TEST_CASE("mutual TLS: a good client certificate is accepted, none or another CA's refused") {
    TempDir dir;
    TestPki pki(dir.path());
    TestPki other(dir.path(), "other-ca");
    HubProcess hub = HubProcess::configured(
        dir, tls_config(pki.server("hub"), "client_ca = \"" + pki.ca().string() + "\"\n"));
    auto good_cert = pki.client("edge-1");
    auto good = client_context(pki, &good_cert);
    CHECK(https_request(hub.port(), *good, "GET", "/v1/crabs").status == 200);
    auto none = client_context(pki);
    CHECK_THROWS(https_request(hub.port(), *none, "GET", "/v1/crabs"));
    auto foreign_cert = other.client("edge-1");
    auto foreign = client_context(pki, &foreign_cert);
    CHECK_THROWS(https_request(hub.port(), *foreign, "GET", "/v1/crabs"));
    CHECK(https_request(hub.port(), *good, "GET", "/healthz").status == 200);
}

TEST_CASE("a client certificate names its crab: hello as itself without a token, not as another") {
    for (const char* from : {"cn", "san"}) {
        CAPTURE(from);
        TempDir dir;
        TestPki pki(dir.path());
        auto tokens = dir.path() / "tokens.toml";
        std::ofstream(tokens) << "# no tokens yet\n";
        HubProcess hub = HubProcess::configured(
            dir, tls_config(pki.server("hub"), "client_ca = \"" + pki.ca().string() +
                                                   "\"\ncrab_name_from = \"" + from + "\"\n") +
                     "[auth]\ntokens = \"" + tokens.string() + "\"\n");
        auto cert = pki.client("edge-1");
        auto ctx = client_context(pki, &cert);
        WssClient crab(hub.port(), *ctx, "/v1/crab");
        CHECK(crab.hello("edge-1")["type"] == "welcome");
        crab.send(snapshot(1));
        crab.wait_ack(1);
        WssClient impostor(hub.port(), *ctx, "/v1/crab");
        CHECK(impostor.hello("edge-2")["code"] == "forbidden");
        // The certificate is for pushing only.
        CHECK(https_request(hub.port(), *ctx, "GET", "/v1/crabs").status == 403);
    }
}

TEST_CASE("plain_listen keeps a loopback plaintext listener beside the TLS one") {
    TempDir dir;
    TestPki pki(dir.path());
    HubProcess hub = HubProcess::configured(
        dir, tls_config(pki.server("hub"), "plain_listen = \"127.0.0.1:0\"\n"));
    auto line = hub.process().wait_for_line("octopus plaintext listener on 127.0.0.1:",
                                            std::chrono::seconds(10));
    REQUIRE(line);
    auto plain_port = static_cast<std::uint16_t>(std::stoi(*line));
    CHECK(http_request(plain_port, "GET", "/healthz").status == 200);
    WsClient crab(plain_port, "/v1/crab");
    CHECK(crab.hello("edge-1")["type"] == "welcome");
    auto ctx = client_context(pki);
    CHECK(json::parse(https_request(hub.port(), *ctx, "GET", "/v1/crabs").body).size() == 1);
    auto refused = run_command(
        {(bin_dir() / "octopus").string(), "serve", "--config",
         write_config(dir, tls_config(pki.server("hub2"), "plain_listen = \"0.0.0.0:0\"\n")),
         "--data", (dir.path() / "data2").string()});
    CHECK(refused.exit_code == 2);
    CHECK(refused.output.find("tls.plain_listen must be a loopback address") != std::string::npos);
}

TEST_CASE("octopus-crab and octopus-bell over wss with a CA file and a token file") {
    TempDir dir;
    TestPki pki(dir.path());
    auto tokens = dir.path() / "tokens.toml";
    auto add = [&](const char* id, const char* scope) {
        auto r = run_command({(bin_dir() / "octopus").string(), "token", "add", "--id", id,
                              "--scope", scope, "--file", tokens.string()});
        REQUIRE(r.exit_code == 0);
        auto file = dir.path() / (std::string(id) + ".token");
        std::ofstream(file) << r.output.substr(r.output.find("oct_"), 68) << "\n";
        return file.string();
    };
    auto crab_token = add("crab", "push:probe");
    auto bell_token = add("bell", "read:*");
    HubProcess hub = HubProcess::configured(
        dir, tls_config(pki.server("hub")) + "[auth]\ntokens = \"" + tokens.string() + "\"\n");
    auto url = "wss://127.0.0.1:" + std::to_string(hub.port());
    auto crab = run_command({(bin_dir() / "octopus-crab").string(), "--hub", url, "--name", "probe",
                             "--interval", "50ms", "--count", "3", "--ca", pki.ca().string(),
                             "--token-file", crab_token});
    CHECK_MESSAGE(crab.exit_code == 0, crab.output);
    auto bell = run_command({(bin_dir() / "octopus-bell").string(), "--hub", url, "--iterations",
                             "1", "--json", "--ca", pki.ca().string(), "--token-file", bell_token});
    CHECK_MESSAGE(bell.exit_code == 0, bell.output);
    CHECK(bell.output.find("\"crab\":\"probe\"") != std::string::npos);
    // Without the hub's CA (the system store does not know it): one clear line, then retries.
    ChildProcess lost({(bin_dir() / "octopus-crab").string(), "--hub", url, "--name", "probe",
                       "--token-file", crab_token});
    CHECK(lost.wait_for_output("certificate verify failed"));
    auto denied = run_command({(bin_dir() / "octopus-bell").string(), "--hub", url, "--iterations",
                               "1", "--ca", pki.ca().string()});
    CHECK(denied.exit_code != 0);
    CHECK(denied.output.find("401") != std::string::npos);
}
