#include "server/config.hpp"

#include "protocol/names.hpp"
#include "server/request_guard.hpp"
#include "server/toml_fields.hpp"

namespace octopus::server {

namespace {

const toml::table* section(const toml::table& root, const char* name,
                           const std::set<std::string>& known) {
    const toml::table* t = root[name].as_table();
    if (t) check_keys(*t, name, known);
    return t;
}

void read_hub(const toml::table& root, Config& c) {
    const auto* t =
        section(root, "hub", {"listen", "data_dir", "max_connections", "allowed_origins"});
    if (!t) return;
    if (const toml::node* origins = t->get("allowed_origins")) {
        const auto* list = origins->as_array();
        if (!list)
            config_fail("hub.allowed_origins must be an array of strings" + at_line(*origins));
        for (const auto& o : *list) {
            auto v = o.value<std::string>();
            if (!v || v->empty()) config_fail("hub.allowed_origins must hold strings" + at_line(o));
            std::string origin = *v;
            for (auto& ch : origin)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            c.allowed_origins.push_back(origin);
        }
    }
    std::string listen, data;
    read(*t, "listen", listen);
    if (!listen.empty()) parse_listen(listen, c);
    read(*t, "data_dir", data);
    if (!data.empty()) c.data_dir = data;
    read(*t, "max_connections", c.max_connections);
}

void read_buffer(const toml::table& root, Config& c) {
    const auto* t = section(root, "buffer", {"size", "crabs"});
    if (!t) return;
    read(*t, "size", c.buffer_size);
    if (const auto* crabs = (*t)["crabs"].as_table()) {
        for (const auto& [name, node] : *crabs) {
            auto v = node.value<std::int64_t>();
            if (!protocol::is_valid_crab_name(name.str()) || !v || *v <= 0) {
                config_fail("buffer.crabs: \"" + std::string(name.str()) +
                            "\" needs a valid crab name and a positive size");
            }
            c.buffer_overrides[std::string(name.str())] = static_cast<std::size_t>(*v);
        }
    }
    if (c.buffer_size == 0) config_fail("buffer.size must be positive");
}

void read_limits(const toml::table& root, Config& c) {
    const auto* t = section(root, "limits",
                            {"max_frame_bytes", "max_http_body_bytes", "max_values", "max_tags",
                             "max_key_bytes", "max_string_bytes", "max_batch"});
    if (!t) return;
    read(*t, "max_frame_bytes", c.limits.max_frame_bytes);
    read(*t, "max_http_body_bytes", c.limits.max_http_body_bytes);
    read(*t, "max_values", c.limits.max_values);
    read(*t, "max_tags", c.limits.max_tags);
    read(*t, "max_key_bytes", c.limits.max_key_bytes);
    read(*t, "max_string_bytes", c.limits.max_string_bytes);
    read(*t, "max_batch", c.limits.max_batch);
}

void read_storage(const toml::table& root, Config& c) {
    const auto* t =
        section(root, "storage", {"fsync", "fsync_interval_ms", "checkpoint_interval_ms"});
    if (!t) return;
    std::string policy;
    read(*t, "fsync", policy);
    if (!policy.empty() && !core::parse_fsync_policy(policy, c.writer.policy)) {
        config_fail("storage.fsync must be \"always\", \"interval\" or \"never\", not \"" + policy +
                    "\"");
    }
    std::int64_t ms = c.writer.fsync_interval.count();
    read_duration(*t, "fsync_interval_ms", ms);
    c.writer.fsync_interval = std::chrono::milliseconds(ms ? ms : 1);
    ms = c.writer.checkpoint_interval.count();
    read_duration(*t, "checkpoint_interval_ms", ms);
    c.writer.checkpoint_interval = std::chrono::milliseconds(ms ? ms : 1);
}

void read_websocket(const toml::table& root, Config& c) {
    const auto* t = section(root, "websocket", {"idle_timeout_s"});
    if (!t) return;
    std::int64_t s = c.ws_idle_timeout.count();
    read_duration(*t, "idle_timeout_s", s, 1000);
    c.ws_idle_timeout = std::chrono::seconds(s);
}

// A file named in the config, relative to the directory of the config file that names it.
std::filesystem::path beside(const std::filesystem::path& config_file, const std::string& name) {
    std::filesystem::path p(name);
    return p.is_absolute() ? p : config_file.parent_path() / p;
}

// [alerts] rules = FILE.
void read_alerts(const toml::table& root, const std::filesystem::path& file, Config& c) {
    const auto* t = section(root, "alerts", {"rules"});
    if (!t) return;
    std::string rules;
    read(*t, "rules", rules);
    if (!rules.empty()) c.alerts_file = beside(file, rules);
}

// [auth] tokens = FILE.
void read_auth(const toml::table& root, const std::filesystem::path& file, Config& c) {
    const auto* t = section(root, "auth", {"tokens"});
    if (!t) return;
    std::string tokens;
    read(*t, "tokens", tokens);
    if (tokens.empty()) config_fail("auth.tokens must name the token file" + at_line(*t));
    c.tokens_file = beside(file, tokens);
}

void read_subscribers(const toml::table& root, Config& c) {
    const auto* t = section(root, "subscribers",
                            {"max_queue_messages", "max_queue_bytes", "max_subscriptions"});
    if (!t) return;
    read(*t, "max_queue_messages", c.subscriber_queue_messages);
    read(*t, "max_queue_bytes", c.subscriber_queue_bytes);
    read(*t, "max_subscriptions", c.max_subscriptions);
    if (c.subscriber_queue_messages == 0 || c.subscriber_queue_bytes == 0 ||
        c.max_subscriptions == 0) {
        config_fail(
            "subscribers.max_queue_messages, max_queue_bytes and max_subscriptions must be "
            "positive");
    }
}

void read_local_crab(const toml::table& root, Config& c) {
    const auto* t = section(root, "local_crab", {"enabled", "name", "interval_ms"});
    if (!t) return;
    read(*t, "enabled", c.local_crab);
    read(*t, "name", c.local_crab_name);
    if (!protocol::is_valid_crab_name(c.local_crab_name))
        config_fail("local_crab.name is not a valid crab name");
    std::int64_t ms = c.local_crab_interval.count();
    read_duration(*t, "interval_ms", ms);
    if (ms <= 0) config_fail("local_crab.interval_ms must be positive");
    c.local_crab_interval = std::chrono::milliseconds(ms);
}

core::PollRule read_poll_rule(const toml::table& t) {
    core::PollRule r;
    const toml::node* crabs = t.get("crabs");
    if (!crabs) config_fail("crabs is required" + at_line(t));
    read(t, "crabs", r.crabs);
    if (!is_crab_glob(r.crabs)) {
        config_fail("crabs must be a crab name or a glob of name characters, * and ?, not \"" +
                    r.crabs + "\"" + at_line(*crabs));
    }
    const toml::node* interval = t.get("interval_ms");
    if (!interval) config_fail("interval_ms is required" + at_line(t));
    std::int64_t ms = 0;
    read_duration(t, "interval_ms", ms);
    if (ms <= 0) config_fail("interval_ms must be positive" + at_line(*interval));
    r.interval = std::chrono::milliseconds(ms);
    ms = r.min_delay.count();
    read_duration(t, "min_delay_ms", ms);
    r.min_delay = std::chrono::milliseconds(ms);
    ms = r.timeout.count();
    read_duration(t, "timeout_ms", ms);
    if (ms <= 0) config_fail("timeout_ms must be positive" + at_line(*t.get("timeout_ms")));
    r.timeout = std::chrono::milliseconds(ms);
    std::int64_t misses = 0;
    read(t, "heartbeat_misses", misses);
    if (misses > 1000000)
        config_fail("heartbeat_misses is too large" + at_line(*t.get("heartbeat_misses")));
    r.heartbeat_misses = static_cast<std::uint32_t>(misses);
    return r;
}

void read_polling(const toml::table& root, Config& c) {
    const toml::node* node = root.get("polling");
    if (!node) return;
    const toml::array* rules = node->as_array();
    if (!rules || rules->empty() || !rules->is_array_of_tables())
        config_fail("polling must be an array of tables, written [[polling]]" + at_line(*node));
    for (std::size_t i = 0; i < rules->size(); ++i) {
        const toml::table& t = *rules->get(i)->as_table();
        std::string where = "polling[" + std::to_string(i) + "]";
        check_keys(t, where,
                   {"crabs", "interval_ms", "min_delay_ms", "timeout_ms", "heartbeat_misses"});
        try {
            c.polling.push_back(read_poll_rule(t));
        } catch (const std::runtime_error& e) {
            config_fail(where + ": " + e.what());
        }
    }
}

// [tls] cert, key (required together), client_ca, min_version, crab_name_from, plain_listen.
void read_tls(const toml::table& root, const std::filesystem::path& file, Config& c) {
    const auto* t = section(
        root, "tls", {"cert", "key", "client_ca", "min_version", "crab_name_from", "plain_listen"});
    if (!t) return;
    TlsConfig tls;
    std::string cert, key, ca, plain;
    read(*t, "cert", cert);
    read(*t, "key", key);
    if (cert.empty() || key.empty())
        config_fail("tls.cert and tls.key are both required" + at_line(*t));
    tls.cert = beside(file, cert);
    tls.key = beside(file, key);
    read(*t, "client_ca", ca);
    if (!ca.empty()) tls.client_ca = beside(file, ca);
    read(*t, "min_version", tls.min_version);
    if (tls.min_version != "1.2" && tls.min_version != "1.3")
        config_fail("tls.min_version must be \"1.2\" or \"1.3\"" + at_line(*t->get("min_version")));
    read(*t, "crab_name_from", tls.crab_name_from);
    if (!tls.crab_name_from.empty() && tls.crab_name_from != "cn" && tls.crab_name_from != "san")
        config_fail("tls.crab_name_from must be \"cn\" or \"san\"" +
                    at_line(*t->get("crab_name_from")));
    if (!tls.crab_name_from.empty() && !tls.client_ca)
        config_fail("tls.crab_name_from needs tls.client_ca (client certificates)" + at_line(*t));
    read(*t, "plain_listen", plain);
    if (!plain.empty()) {
        Config where;
        parse_listen(plain, where);
        if (!is_loopback_host(where.listen_host))
            config_fail("tls.plain_listen must be a loopback address" +
                        at_line(*t->get("plain_listen")));
        tls.plain_listen = plain;
    }
    c.tls = std::move(tls);
}

}  // namespace

void parse_listen(const std::string& text, Config& config) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
        config_fail("listen address must be HOST:PORT, got \"" + text + "\"");
    }
    std::string host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    int port = -1;
    try {
        std::size_t used = 0;
        port = std::stoi(text.substr(colon + 1), &used);
        if (used != text.size() - colon - 1) port = -1;
    } catch (const std::exception&) {
        port = -1;
    }
    if (port < 0 || port > 65535) config_fail("listen port must be 0..65535, got \"" + text + "\"");
    config.listen_host = host;
    config.listen_port = static_cast<std::uint16_t>(port);
}

Config load_config(const std::filesystem::path& file) {
    Config c;
    toml::table root;
    try {
        root = toml::parse_file(file.string());
    } catch (const toml::parse_error& e) {
        config_fail(file.string() + ":" + std::to_string(e.source().begin.line) + ": " +
                    std::string(e.description()));
    }
    try {
        check_keys(root, "",
                   {"hub", "buffer", "limits", "storage", "websocket", "local_crab", "polling",
                    "subscribers", "alerts", "auth", "tls"});
        read_hub(root, c);
        read_buffer(root, c);
        read_limits(root, c);
        read_storage(root, c);
        read_websocket(root, c);
        read_local_crab(root, c);
        read_polling(root, c);
        read_subscribers(root, c);
        read_alerts(root, file, c);
        read_auth(root, file, c);
        read_tls(root, file, c);
    } catch (const std::runtime_error& e) {
        config_fail(file.string() + ": " + e.what());
    }
    return c;
}

}  // namespace octopus::server
