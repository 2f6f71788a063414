// nats_target: --target / --spawn-nats parsing, loopback check, the spawned-or-external server.
#include "bench/nats_target.hpp"

namespace octopus::bench {

namespace {

bool loopback_host(const std::string& host) {
    if (host == "localhost") return true;
    if (host.rfind("127.", 0) != 0) return false;
    return host.find_first_not_of("0123456789.") == std::string::npos;
}

void check_loopback_url(const std::string& url) {
    const std::string scheme = "nats://";
    auto colon = url.rfind(':');
    std::string host = url.substr(scheme.size(), colon - scheme.size());
    std::string port = url.substr(colon + 1);
    bool port_ok = !port.empty() && port.size() <= 5 &&
                   port.find_first_not_of("0123456789") == std::string::npos;
    if (colon < scheme.size() || !port_ok || !loopback_host(host))
        throw UsageError("--target must be nats://127.x.x.x:PORT or nats://localhost:PORT, got '" +
                         url + "'");
}

}  // namespace

std::optional<NatsTargetFlags> nats_target_flags(Args& args, const std::string& send_default) {
    std::string target = args.text("target", "octopus");
    bool spawn = args.has("spawn-nats");
    bool nats_url = target.rfind("nats://", 0) == 0;
    if (!nats_url && target != "octopus")
        throw UsageError("--target must be octopus or a loopback nats:// URL, got '" + target +
                         "'");
    if (nats_url && spawn) throw UsageError("--spawn-nats starts its own server; drop --target");
    if (!nats_url && !spawn) return std::nullopt;
    if (nats_url) check_loopback_url(target);
    bool asap = args.choice("nats-send", send_default, {"asap", "buffered"}) == "asap";
    return NatsTargetFlags{nats_url ? target : "", spawn, asap};
}

NatsServer::NatsServer(const NatsTargetFlags& flags) {
    if (flags.spawn) {
        launcher_ = std::make_unique<NatsLauncher>();
        at_start_ = launcher_->usage();
        url_ = launcher_->url();
    } else {
        url_ = flags.url;
    }
}

NatsServerFigures NatsServer::finish() {
    NatsServerFigures f;
    if (!launcher_) return f;
    ProcessUsage now = launcher_->usage();
    f.cpu_s = now.cpu_seconds - at_start_.cpu_seconds;
    f.peak_rss_kib = now.peak_rss_kib;
    f.error = launcher_->stop();
    return f;
}

}  // namespace octopus::bench
