// Hub configuration: defaults, then the TOML file (config/octopus.toml), then command-line
// flags. Unknown keys are an error naming the key, so a typo never silently means a default.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/poll_scheduler.hpp"
#include "core/storage/disk_writer.hpp"
#include "protocol/limits.hpp"

namespace octopus::server {

// [tls]: with cert and key set, the listener speaks TLS only (wss:// and https://).
struct TlsConfig {
    std::filesystem::path cert;                      // PEM chain, leaf first
    std::filesystem::path key;                       // PEM private key
    std::optional<std::filesystem::path> client_ca;  // set: a client certificate is required
    std::string min_version = "1.2";                 // "1.2" or "1.3"
    std::string crab_name_from;  // "cn" or "san": a client certificate names the crab it may be
    std::optional<std::string> plain_listen;  // a loopback HOST:PORT also served in plaintext
};

struct Config {
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 8765;
    std::filesystem::path data_dir = "data";
    std::size_t max_connections = 10000;
    // Browser origins allowed to open a WebSocket besides the hub's own (exact, lower case).
    std::vector<std::string> allowed_origins;
    // --insecure: serve a non-loopback address without authentication (protected mode off).
    bool insecure = false;

    std::size_t buffer_size = 100;
    std::map<std::string, std::size_t> buffer_overrides;

    protocol::Limits limits;
    core::WriterOptions writer;

    std::chrono::seconds ws_idle_timeout{30};  // ping an idle crab; close if it stays silent

    // Per subscriber connection: the outgoing queue's bounds before the overflow policy applies.
    std::size_t subscriber_queue_messages = 10000;
    std::size_t subscriber_queue_bytes = 8 * 1024 * 1024;
    // Subscriptions one connection may hold: each costs a matcher entry and queue state.
    std::size_t max_subscriptions = 1000;

    bool local_crab = true;
    std::string local_crab_name = "local_system";
    std::chrono::milliseconds local_crab_interval{1000};

    // [[polling]]: scheduled collect requests; a crab follows the first rule whose glob matches.
    std::vector<core::PollRule> polling;

    // [alerts] rules: the alert rules file (config/alerts.toml documents it); none = no alerts.
    // Reloaded on SIGHUP and POST /v1/admin/reload.
    std::optional<std::filesystem::path> alerts_file;

    // [auth] tokens: the token file (server/auth/token_file.hpp); none = protected mode, where
    // only loopback peers are served. Reloaded on SIGHUP, POST /v1/admin/reload and on change.
    std::optional<std::filesystem::path> tokens_file;

    std::optional<TlsConfig> tls;
};

// Throws std::runtime_error with the file name and the offending key or line.
Config load_config(const std::filesystem::path& file);

// "HOST:PORT" (IPv6 as [::1]:PORT). Throws std::runtime_error on a malformed value.
void parse_listen(const std::string& text, Config& config);

}  // namespace octopus::server
