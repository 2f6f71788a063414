// Fuzz target: server::load_alert_config, the alert rules and hooks file (config/alerts.toml),
// from the TOML parser (toml++, compiled in with coverage) through rule, condition and hook
// validation. The input is written to a per-process scratch file and loaded. std::runtime_error
// is the expected refusal; any other exception is a finding. Invariants checked beyond "does
// not crash":
//  - loading is deterministic: the same file loads to the same rules or the same message twice;
//  - a refusal message starts with the file name;
//  - loaded rules are valid (server/alerts/alert_config.hpp): unique valid names, a crab glob, a
//    `when` (and `clear`) whose text parses again to the same keys, rate() windows of at most
//    24h, `for` of 1..1000000 snapshots (a duration only when the condition is time-based), a
//    known severity, hooks that are built in or defined; hooks have valid names, a parsed http
//    url or an absolute argv[0], max_attempts 1..100, and timeouts and backoffs that fit a
//    steady_clock timer (nanoseconds) even when retry_delay doubles them.
#include <chrono>
#include <exception>
#include <set>
#include <stdexcept>
#include <typeinfo>

#include "core/alerts/alert_condition.hpp"
#include "fuzz_temp_file.hpp"
#include "protocol/names.hpp"
#include "server/alerts/alert_config.hpp"
#include "server/toml_fields.hpp"

namespace {

using namespace octopus::server;
using octopus::core::AlertRule;
using octopus::core::Condition;

void check_condition(const Condition& c, const std::string& rule) {
    auto again = Condition::parse(c.text());
    const auto* parsed = std::get_if<Condition>(&again);
    FUZZ_CHECK(parsed && parsed->keys() == c.keys() && parsed->rate_terms() == c.rate_terms(),
               "rule " + rule + ": condition does not parse again the same: " + c.text());
    FUZZ_CHECK(c.max_rate_window() <= std::chrono::hours(24), "rule " + rule + ": rate window");
}

void check_rule(const AlertRule& r, const std::set<std::string>& hooks) {
    FUZZ_CHECK(octopus::protocol::is_valid_crab_name(r.name), "rule name accepted: " + r.name);
    FUZZ_CHECK(is_crab_glob(r.crabs), "rule " + r.name + ": crabs glob accepted: " + r.crabs);
    check_condition(r.when, r.name);
    if (r.clear) check_condition(*r.clear, r.name);
    FUZZ_CHECK(r.for_count >= 1 && r.for_count <= 1000000, "rule " + r.name + ": for_count");
    FUZZ_CHECK(r.for_count == 1 || !r.when.time_dependent(),
               "rule " + r.name + ": a snapshot count for a time-based condition");
    FUZZ_CHECK(r.for_time.count() >= 0, "rule " + r.name + ": negative for");
    static const std::set<std::string> kSeverities{"info", "warning", "critical"};
    FUZZ_CHECK(kSeverities.count(r.severity), "rule " + r.name + ": severity " + r.severity);
    for (const auto& h : r.hooks) {
        FUZZ_CHECK(h == "log" || h == "ws" || hooks.count(h), "rule " + r.name + ": hook " + h);
    }
}

// A hook duration becomes a steady_timer (nanoseconds) and is doubled by retry_delay: it must
// leave room for both.
void check_clock_fits(std::chrono::milliseconds d, const std::string& what) {
    auto limit =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds::max() / 4);
    FUZZ_CHECK(d <= limit, what + " = " + std::to_string(d.count()) +
                               " ms accepted: overflows steady_clock nanoseconds");
}

template <typename Spec>
void check_delivery(const Spec& s, const std::string& name) {
    FUZZ_CHECK(s.max_attempts >= 1 && s.max_attempts <= 100, "hook " + name + ": max_attempts");
    FUZZ_CHECK(s.max_queue >= 1, "hook " + name + ": max_queue");
    FUZZ_CHECK(s.timeout.count() > 0 && s.backoff.count() > 0 && s.max_backoff.count() > 0,
               "hook " + name + ": durations not positive");
    check_clock_fits(s.timeout, "hook " + name + ": timeout_ms");
    check_clock_fits(s.backoff, "hook " + name + ": backoff_ms");
    check_clock_fits(s.max_backoff, "hook " + name + ": max_backoff_ms");
}

void check_hook(const HookSpec& h) {
    FUZZ_CHECK(octopus::protocol::is_valid_crab_name(h.name) && h.name != "log" && h.name != "ws",
               "hook name accepted: " + h.name);
    if (const auto* w = std::get_if<WebhookSpec>(&h.kind)) {
        FUZZ_CHECK(w->url.starts_with("http://") && !w->host.empty() && w->port != 0 &&
                       w->target.starts_with('/'),
                   "hook " + h.name + ": webhook url accepted: " + w->url);
        return check_delivery(*w, h.name);
    }
    const auto& e = std::get<ExecSpec>(h.kind);
    FUZZ_CHECK(!e.argv.empty() && e.argv[0].starts_with('/'), "hook " + h.name + ": argv[0]");
    check_delivery(e, h.name);
}

std::string describe(const AlertConfig& c) {
    std::string out = "ok";
    for (const auto& r : c.rules) {
        out += " rule=" + r.name + "/" + r.crabs + "/" + r.when.text() + "/" +
               (r.clear ? r.clear->text() : "-") + "/" + std::to_string(r.for_count) + "/" +
               std::to_string(r.for_time.count()) + "/" + r.severity;
    }
    for (const auto& h : c.hooks) out += " hook=" + h.name;
    return out;
}

void check_config(const AlertConfig& c) {
    std::set<std::string> names, hooks;
    for (const auto& h : c.hooks) {
        check_hook(h);
        FUZZ_CHECK(hooks.insert(h.name).second, "hook name twice: " + h.name);
    }
    for (const auto& r : c.rules) {
        check_rule(r, hooks);
        FUZZ_CHECK(names.insert(r.name).second, "rule name twice: " + r.name);
    }
}

// The outcome of one load: "ok <rules>" or "error <message>".
std::string load(const std::filesystem::path& path, bool check) {
    try {
        AlertConfig c = load_alert_config(path);
        if (check) check_config(c);
        return describe(c);
    } catch (const std::runtime_error& e) {
        std::string what = e.what();
        FUZZ_CHECK(what.starts_with(path.string()), "message lacks the file: " + what);
        return "error " + what;
    } catch (const std::exception& e) {
        octopus::fuzz::fail(
            __FILE__, __LINE__,
            std::string("load_alert_config threw ") + typeid(e).name() + ": " + e.what());
    } catch (...) {
        octopus::fuzz::fail(__FILE__, __LINE__, "load_alert_config threw a non-std exception");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static octopus::fuzz::TempFile file("fuzz_alert_config");
    const auto& path = file.write(octopus::fuzz::as_text(data, size));
    std::string first = load(path, true);
    FUZZ_CHECK(first == load(path, false), "loading is not deterministic: " + first);
    file.remove();
    return 0;
}
