#include "server/alerts/alert_config.hpp"

#include <set>

#include "protocol/names.hpp"
#include "server/toml_fields.hpp"

namespace octopus::server {

namespace {

const std::set<std::string> kSeverities{"info", "warning", "critical"};
const std::set<std::string> kBuiltinHooks{"log", "ws"};

// A located error: the caller prefixes the file name.
struct Located : std::runtime_error {
    Located(const toml::source_position& at, const std::string& what, std::size_t column = 0)
        : std::runtime_error(std::to_string(at.line) + ":" +
                             std::to_string(column ? column : at.column) + ": " + what) {}
};

std::string required_string(const toml::table& t, const char* key, const std::string& where) {
    const toml::node* node = t.get(key);
    if (!node) throw Located(t.source().begin, where + ": " + key + " is required");
    auto v = node->value<std::string>();
    if (!v) throw Located(node->source().begin, where + ": " + key + " must be a string");
    return *v;
}

// The condition in t[key]; a grammar error points at its column in the file (exact when the
// TOML string has no escapes, which conditions rarely need).
core::Condition condition(const toml::table& t, const char* key, const std::string& where) {
    auto text = required_string(t, key, where);
    auto parsed = core::Condition::parse(text);
    if (auto* c = std::get_if<core::Condition>(&parsed)) return std::move(*c);
    const auto& err = std::get<core::ConditionError>(parsed);
    auto at = t.get(key)->source().begin;
    throw Located(at, where + ": " + key + ": " + err.message + " (in \"" + text + "\")",
                  at.column + err.column);
}

bool valid_name(const std::string& name) {
    return protocol::is_valid_crab_name(name);
}

// rate() keeps every point of its window per crab: a day at most keeps that memory bounded.
constexpr std::chrono::hours kMaxRateWindow{24};

void check_rate_window(const toml::table& t, const char* key, const core::Condition& c,
                       const std::string& where) {
    if (c.max_rate_window() > kMaxRateWindow)
        throw Located(t.get(key)->source().begin,
                      where + ": " + key + ": a rate() window is at most 24h");
}

void read_for(const toml::table& t, core::AlertRule& r, const std::string& where) {
    const toml::node* node = t.get("for");
    if (!node) return;
    if (auto n = node->value<std::int64_t>()) {
        if (*n < 1 || *n > 1000000)
            throw Located(node->source().begin, where + ": for must be 1..1000000 snapshots");
        r.for_count = static_cast<std::uint32_t>(*n);
    } else if (auto s = node->value<std::string>()) {
        auto d = core::parse_duration(*s);
        if (!d)
            throw Located(node->source().begin,
                          where +
                              ": for must be a snapshot count or a duration like \"30s\", not \"" +
                              *s + "\"");
        r.for_time = *d;
    } else {
        throw Located(node->source().begin,
                      where + ": for must be a snapshot count (3) or a duration (\"30s\")");
    }
    if (r.for_count > 1 && r.when.time_dependent()) {
        throw Located(node->source().begin,
                      where +
                          ": a condition with silent or offline counts no snapshots; give "
                          "for as a duration (\"30s\")");
    }
}

std::map<std::string, std::string> string_table(const toml::node* node, const std::string& what) {
    std::map<std::string, std::string> out;
    if (!node) return out;
    const toml::table* t = node->as_table();
    if (!t) throw Located(node->source().begin, what + " must be a table of strings");
    for (const auto& [k, v] : *t) {
        auto s = v.value<std::string>();
        if (!s)
            throw Located(v.source().begin,
                          what + "." + std::string(k.str()) + " must be a string");
        out[std::string(k.str())] = *s;
    }
    return out;
}

std::vector<std::string> string_list(const toml::node* node, const std::string& what) {
    std::vector<std::string> out;
    const toml::array* a = node->as_array();
    if (!a) throw Located(node->source().begin, what + " must be an array of strings");
    for (const auto& v : *a) {
        auto s = v.value<std::string>();
        if (!s) throw Located(v.source().begin, what + " must be an array of strings");
        out.push_back(*s);
    }
    return out;
}

void read_hooks_list(const toml::table& t, core::AlertRule& r, const std::string& where,
                     const std::set<std::string>& hooks) {
    const toml::node* node = t.get("hooks");
    if (!node) return;
    r.hooks = string_list(node, where + ": hooks");
    for (const auto& h : r.hooks) {
        if (!kBuiltinHooks.count(h) && !hooks.count(h))
            throw Located(node->source().begin, where + ": hook \"" + h +
                                                    "\" is not defined (define [hooks." + h +
                                                    "], or use the built-in \"log\" or \"ws\")");
    }
}

core::AlertRule read_rule(const toml::table& t, std::size_t index,
                          const std::set<std::string>& hooks) {
    std::string where = "rule[" + std::to_string(index) + "]";
    check_keys(t, where, {"name", "crabs", "when", "for", "clear", "severity", "labels", "hooks"});
    core::AlertRule r;
    r.name = required_string(t, "name", where);
    if (!valid_name(r.name))
        throw Located(t.get("name")->source().begin,
                      where + ": name must match " + std::string(protocol::crab_name_pattern));
    where = "rule \"" + r.name + "\"";
    if (t.get("crabs")) {
        r.crabs = required_string(t, "crabs", where);
        if (!is_crab_glob(r.crabs))
            throw Located(t.get("crabs")->source().begin,
                          where + ": crabs must be a crab name or a glob (* and ?)");
    }
    r.when = condition(t, "when", where);
    if (t.get("clear")) r.clear = condition(t, "clear", where);
    check_rate_window(t, "when", r.when, where);
    if (r.clear) check_rate_window(t, "clear", *r.clear, where);
    read_for(t, r, where);
    if (t.get("severity")) {
        r.severity = required_string(t, "severity", where);
        if (!kSeverities.count(r.severity))
            throw Located(t.get("severity")->source().begin,
                          where + ": severity must be info, warning or critical");
    }
    r.labels = string_table(t.get("labels"), where + ": labels");
    read_hooks_list(t, r, where, hooks);
    return r;
}

void read_ms(const toml::table& t, const char* key, std::chrono::milliseconds& out) {
    std::int64_t ms = out.count();
    read_duration(t, key, ms);
    if (ms <= 0) throw Located(t.get(key)->source().begin, std::string(key) + " must be positive");
    out = std::chrono::milliseconds(ms);
}

// max_attempts, backoff_ms, max_backoff_ms and max_queue, shared by both kinds of hook.
template <typename Spec>
void read_delivery(const toml::table& t, Spec& s, const std::string& where) {
    read_ms(t, "timeout_ms", s.timeout);
    read_ms(t, "backoff_ms", s.backoff);
    read_ms(t, "max_backoff_ms", s.max_backoff);
    read(t, "max_attempts", s.max_attempts);
    read(t, "max_queue", s.max_queue);
    if (s.max_attempts < 1 || s.max_attempts > 100 || s.max_queue < 1)
        throw Located(t.source().begin,
                      where + ": max_attempts must be 1..100 and max_queue at least 1");
}

const std::set<std::string> kDeliveryKeys{"type",       "timeout_ms", "max_attempts",
                                          "backoff_ms", "max_queue",  "max_backoff_ms"};

std::set<std::string> with(std::set<std::string> keys, std::initializer_list<const char*> more) {
    keys.insert(more.begin(), more.end());
    return keys;
}

WebhookSpec read_webhook(const toml::table& t, const std::string& where) {
    check_keys(t, where, with(kDeliveryKeys, {"url", "headers"}));
    WebhookSpec w;
    w.url = required_string(t, "url", where);
    if (auto problem = parse_webhook_url(w))
        throw Located(t.get("url")->source().begin, where + ": url: " + *problem);
    read_delivery(t, w, where);
    w.headers = string_table(t.get("headers"), where + ": headers");
    return w;
}

ExecSpec read_exec(const toml::table& t, const std::string& where) {
    check_keys(t, where, with(kDeliveryKeys, {"argv"}));
    ExecSpec e;
    const toml::node* argv = t.get("argv");
    if (!argv) throw Located(t.source().begin, where + ": argv is required");
    e.argv = string_list(argv, where + ": argv");
    if (e.argv.empty() || e.argv[0].empty() || e.argv[0][0] != '/')
        throw Located(argv->source().begin,
                      where + ": argv[0] must be an absolute program path (no shell is used)");
    read_delivery(t, e, where);
    return e;
}

std::vector<HookSpec> read_hooks(const toml::table& root) {
    std::vector<HookSpec> out;
    const toml::node* node = root.get("hooks");
    if (!node) return out;
    const toml::table* hooks = node->as_table();
    if (!hooks) throw Located(node->source().begin, "hooks must be tables, written [hooks.NAME]");
    for (const auto& [key, value] : *hooks) {
        std::string name(key.str());
        std::string where = "hook \"" + name + "\"";
        const toml::table* t = value.as_table();
        if (!t) throw Located(value.source().begin, where + " must be a table");
        if (!valid_name(name) || kBuiltinHooks.count(name))
            throw Located(t->source().begin, where + ": name must match " +
                                                 std::string(protocol::crab_name_pattern) +
                                                 " and not be \"log\" or \"ws\"");
        auto type = required_string(*t, "type", where);
        if (type == "webhook")
            out.push_back({name, read_webhook(*t, where)});
        else if (type == "exec")
            out.push_back({name, read_exec(*t, where)});
        else
            throw Located(t->get("type")->source().begin,
                          where + ": type must be \"webhook\" or \"exec\", not \"" + type + "\"");
    }
    return out;
}

std::vector<core::AlertRule> read_rules(const toml::table& root,
                                        const std::set<std::string>& hooks) {
    std::vector<core::AlertRule> out;
    const toml::node* node = root.get("rule");
    if (!node) return out;
    const toml::array* rules = node->as_array();
    if (!rules || !rules->is_array_of_tables())
        throw Located(node->source().begin, "rules must be tables, written [[rule]]");
    std::set<std::string> names;
    for (std::size_t i = 0; i < rules->size(); ++i) {
        const toml::table& t = *rules->get(i)->as_table();
        out.push_back(read_rule(t, i, hooks));
        if (!names.insert(out.back().name).second)
            throw Located(t.source().begin, "rule name \"" + out.back().name + "\" is used twice");
    }
    return out;
}

}  // namespace

AlertConfig load_alert_config(const std::filesystem::path& file) {
    toml::table root;
    try {
        root = toml::parse_file(file.string());
    } catch (const toml::parse_error& e) {
        auto at = e.source().begin;  // line 0: the file itself (missing, unreadable)
        throw std::runtime_error(
            file.string() +
            (at.line ? ":" + std::to_string(at.line) + ":" + std::to_string(at.column) : "") +
            ": " + std::string(e.description()));
    }
    AlertConfig c;
    try {
        check_keys(root, "", {"rule", "hooks"});
        c.hooks = read_hooks(root);
        std::set<std::string> names;
        for (const auto& h : c.hooks) names.insert(h.name);
        c.rules = read_rules(root, names);
    } catch (const Located& e) {
        throw std::runtime_error(file.string() + ":" + e.what());
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(file.string() + ": " + e.what());
    }
    return c;
}

}  // namespace octopus::server
