// octopus-crab: samples this machine from /proc and streams the snapshots to a hub over
// /v1/crab. This file only parses the command line and wires ProcSampler, CrabClient and the
// signals together on one io_context; all protocol and reconnect logic lives in CrabClient.
// Exit codes: 0 on SIGINT/SIGTERM or after --count acks, 2 on bad usage, 1 on a fatal error.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "clients/cli_args.hpp"
#include "clients/crab_client.hpp"
#include "clients/hub_address.hpp"
#include "clients/proc_sampler.hpp"
#include "clients/tls_client.hpp"
#include "protocol/names.hpp"

namespace {

using namespace octopus::clients;

const std::string usage_text =
    "usage: octopus-crab --hub ws[s]://HOST[:PORT] --name NAME [--interval 1s|500ms|2] [--count "
    "N]\n"
    "  --hub       hub address (port 8765 when omitted); the crab connects to /v1/crab\n"
    "  --name      crab name, [A-Za-z0-9][A-Za-z0-9._-]{0,63}\n"
    "  --interval  time between samples: seconds, or with an s/ms suffix (default 1s);\n"
    "              0 samples only when the hub asks (collect)\n"
    "  --count     exit 0 once N snapshots have been acknowledged (default: run forever)\n" +
    std::string(security_usage);

constexpr std::chrono::hours max_interval{24};

struct Args {
    CrabClientOptions options;
    SecurityArgs security;
    bool tls = false;
    std::optional<std::uint64_t> count;
};

std::uint64_t parse_unsigned(std::string_view text, std::string_view what) {
    const auto v = whole_number(text);
    if (!v) throw UsageError(std::string(what) + " must be a whole number, got " + quoted(text));
    return *v;
}

// "2" and "2s" are seconds, "500ms" milliseconds; fractions such as "1.5s" are allowed.
std::chrono::milliseconds parse_interval(std::string_view text) {
    const auto unit_at = std::min(text.find_first_not_of("0123456789."), text.size());
    const std::string_view unit = text.substr(unit_at);
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + unit_at, value);
    const bool number_ok = unit_at > 0 && ec == std::errc{} && end == text.data() + unit_at;
    if (!number_ok || (unit != "" && unit != "s" && unit != "ms")) {
        throw UsageError("--interval must look like 1s, 500ms or 2, got " + quoted(text));
    }
    const double ms = std::round(unit == "ms" ? value : value * 1000.0);
    if (ms > std::chrono::duration<double, std::milli>(max_interval).count()) {
        throw UsageError("--interval must be at most 24h, got " + quoted(text));
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

void parse_hub(std::string_view url, CrabClientOptions& options) {
    const HubAddress hub = parse_hub_address(url);
    switch (hub.error) {
        case HubAddressError::none:
            break;
        case HubAddressError::bad_scheme:
            throw UsageError("--hub must start with ws:// or wss://, got " + quoted(url));
        case HubAddressError::has_path:
            throw UsageError("--hub takes no path (the crab always uses /v1/crab), got " +
                             quoted(url));
        case HubAddressError::bad_brackets:
            throw UsageError("--hub: bad address " + quoted(url));
        case HubAddressError::no_host:
            throw UsageError("--hub has no host: " + quoted(url));
        case HubAddressError::port_not_number:
            throw UsageError("--hub port must be a whole number, got " + quoted(*hub.port));
        case HubAddressError::port_out_of_range:
            throw UsageError("--hub port out of range: " + quoted(url));
    }
    options.host = hub.host;
    if (hub.port) options.port = *hub.port;
}

void apply_option(Args& args, std::string_view flag, std::string_view value) {
    if (apply_security_option(args.security, flag, value)) return;
    if (flag == "--hub") {
        parse_hub(value, args.options);
        args.tls = value.starts_with("wss://");
    } else if (flag == "--name") {
        if (!octopus::protocol::is_valid_crab_name(value)) {
            throw UsageError("invalid --name " + quoted(value) +
                             ": use 1-64 of [A-Za-z0-9._-], starting with a letter or digit");
        }
        args.options.name = std::string(value);
    } else if (flag == "--interval") {
        args.options.interval = parse_interval(value);
    } else if (flag == "--count") {
        args.count = parse_unsigned(value, "--count");
        if (*args.count == 0) throw UsageError("--count must be at least 1");
    } else {
        throw UsageError("unknown option " + quoted(flag));
    }
}

// False when help was asked for.
bool parse_args(const std::vector<std::string_view>& argv, Args& args) {
    bool have_hub = false;
    const bool go_on = for_each_option(
        argv, {}, [&](std::string_view flag, std::optional<std::string_view> value) {
            apply_option(args, flag, *value);
            have_hub = have_hub || flag == "--hub";
        });
    if (!go_on) return false;
    if (!have_hub) throw UsageError("--hub is required");
    if (args.options.name.empty()) throw UsageError("--name is required");
    return true;
}

int run(const Args& args) {
    boost::asio::io_context io;
    ProcSampler sampler;
    auto client =
        std::make_shared<CrabClient>(io, args.options, [&sampler] { return sampler.sample(); });
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    const auto shutdown = [&] {
        signals.cancel();
        client->stop();
    };
    signals.async_wait([&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        spdlog::info("crab {}: signal {}, stopping", args.options.name, signo);
        shutdown();
    });
    if (args.count) {
        client->set_on_ack([&] {
            if (client->acked_count() < *args.count) return;
            spdlog::info("crab {}: {} snapshots acknowledged, done", args.options.name,
                         client->acked_count());
            shutdown();
        });
    }
    spdlog::info("crab {}: hub {}:{}, interval {} ms", args.options.name, args.options.host,
                 args.options.port, args.options.interval.count());
    client->start();
    io.run();
    return EXIT_SUCCESS;
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    const auto stop_now = parse_command_line(
        argc, argv, "octopus-crab", usage_text,
        [&](const std::vector<std::string_view>& words) { return !parse_args(words, args); });
    if (stop_now) return *stop_now;
    spdlog::set_default_logger(spdlog::stderr_color_mt("octopus-crab"));
    try {
        auto security = load_security(args.security, args.tls);
        args.options.tls = security.tls;
        args.options.token = security.token;
    } catch (const std::exception& e) {
        spdlog::critical("octopus-crab: {}", e.what());
        return 2;
    }
    try {
        return run(args);
    } catch (const std::exception& e) {
        spdlog::critical("octopus-crab: {}", e.what());
        return EXIT_FAILURE;
    }
}
