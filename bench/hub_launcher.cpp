// hub_launcher: the hub's serve command line and its listening line.
#include "bench/hub_launcher.hpp"

#include "bench/client_usage.hpp"

#include "bench/ws_wire.hpp"
#include "clients/tls_client.hpp"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "bench/run_dir.hpp"

namespace octopus::bench {

namespace {

constexpr auto kStartBound = std::chrono::seconds(15);

std::vector<std::string> serve_command(const std::string& hub_bin, const std::string& data_dir,
                                       const std::string& fsync,
                                       const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {hub_bin,  "serve",   "--listen", "127.0.0.1:0",    "--data",
                                     data_dir, "--fsync", fsync,      "--no-local-crab"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

}  // namespace

HubLauncher::HubLauncher(const std::string& hub_bin, const std::string& data_dir,
                         const std::string& fsync, const std::vector<std::string>& extra)
    : process_(serve_command(hub_bin, data_dir, fsync, extra), "octopus listening on ", kStartBound,
               SIGTERM),
      port_(port_of(process_.ready_text())) {}

namespace {

// A self-signed certificate for 127.0.0.1 in `dir`; the [tls] section that serves it. WsWire
// trusts exactly that certificate until reset.
std::string tls_section(RunDir& dir) {
    std::string cert = dir.file("hub.pem"), key = dir.file("hub.key");
    harness::ChildProcess openssl(
        {harness::find_program("openssl", "/usr/bin/openssl"), "req", "-x509", "-newkey", "ec",
         "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
         "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert});
    if (openssl.wait_exit(std::chrono::seconds(30)) != 0)
        throw std::runtime_error("openssl could not make a certificate: " + openssl.output());
    WsWire::set_tls(clients::make_client_context({.ca_file = cert}));
    return "\n[tls]\ncert = \"" + cert + "\"\nkey = \"" + key + "\"\n";
}

}  // namespace

HubRun run_against_hub(const std::string& hub_bin, const std::string& fsync,
                       const std::string& config_toml,
                       const std::function<std::string(std::uint16_t port)>& load,
                       const std::string& alerts_toml, bool tls) {
    HubRun run;
    try {
        RunDir dir;
        std::vector<std::string> extra;
        std::string config = config_toml;
        if (tls) config += tls_section(dir);
        auto pass_file = [&](const char* flag, const char* name, const std::string& text) {
            if (text.empty()) return;
            std::string path = dir.file(name);
            std::ofstream out(path);
            if (!(out << text).flush())
                throw std::runtime_error(std::string("cannot write ") + name);
            extra.insert(extra.end(), {flag, path});
        };
        pass_file("--config", "hub.toml", config);
        pass_file("--alerts", "alerts.toml", alerts_toml);
        HubLauncher hub(hub_bin, dir.data(), fsync, extra);
        HubUsage before = hub.usage();
        mark_load_start();
        run.error = load(hub.port());
        HubUsage after = hub.usage();
        run.cpu_s = after.cpu_seconds - before.cpu_seconds;
        run.peak_rss_kib = after.peak_rss_kib;
        std::string stopped = hub.stop();
        if (run.error.empty()) run.error = stopped;
    } catch (const std::exception& e) {
        run.error = e.what();
    }
    WsWire::set_tls(nullptr);
    return run;
}

unsigned machine_nproc() {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<unsigned>(n) : 1;
}

std::string machine_cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            auto colon = line.find(':');
            if (colon != std::string::npos) {
                auto start = line.find_first_not_of(' ', colon + 1);
                return start == std::string::npos ? "" : line.substr(start);
            }
        }
    }
    return "unknown";
}

}  // namespace octopus::bench
