#include "core/alert_engine.hpp"

#include <algorithm>
#include <set>

#include "core/alert_values.hpp"
#include "core/glob.hpp"

namespace octopus::core {

namespace {

// A crab found on disk at start-up is not called offline before it had this long to reconnect,
// so a hub restart does not page for every crab at once.
constexpr std::int64_t kStartupGraceUs = 60'000'000;

// Whether anything but a snapshot can change the rule's outcome.
bool ticks(const AlertRule& rule) {
    return rule.when.time_dependent() || (rule.clear && rule.clear->time_dependent()) ||
           rule.for_time.count() > 0;
}

}  // namespace

AlertEngine::AlertEngine(const Clock& clock, Emit emit) : clock_(clock), emit_(std::move(emit)) {}

void AlertEngine::set_rules(std::vector<AlertRule> rules) {
    rules_ = std::move(rules);
    std::set<std::string> names;
    for (const auto& r : rules_) names.insert(r.name);
    std::erase_if(tracks_, [&](const auto& kv) { return !names.count(kv.first.first); });
}

void AlertEngine::restore(const AlertTransition& t) {
    alert_seq_ = std::max(alert_seq_, t.alert_seq);
    bool known_rule = std::any_of(rules_.begin(), rules_.end(),
                                  [&](const AlertRule& r) { return r.name == t.rule; });
    if (!known_rule) return;
    crab(t.crab);
    Track& track = tracks_[{t.rule, t.crab}];
    track = Track{t.to, 0, t.pending_since_us, t.firing_since_us, t};
}

AlertEngine::Crab& AlertEngine::crab(const std::string& name) {
    auto [it, added] = crabs_.try_emplace(name);
    if (added) it->second.first_seen_us = clock_.now_us();
    return it->second;
}

void AlertEngine::known(const std::string& name, std::int64_t last_us) {
    Crab& c = crab(name);
    c.last_us = last_us;
    c.offline_from_us = clock_.now_us() + kStartupGraceUs;
}

void AlertEngine::accepted(const std::string& name, const StoredSnapshot& stored,
                           const protocol::Snapshot& snap) {
    if (rules_.empty()) return;
    Crab& c = crab(name);
    c.last_us = stored.received_at_us;
    bool watched = std::any_of(rules_.begin(), rules_.end(),
                               [&](const AlertRule& r) { return glob_match(r.crabs, name); });
    if (!watched) return;
    auto keys = wanted_keys(name);
    c.values = parse_alert_values(snap.values_json, &keys);
    c.values_json = snap.values_json;
    record_rates(name, c, stored.received_at_us);
    c.hub_seq = stored.hub_seq;
    evaluate(name, c, Cause::snapshot);
    c.hub_seq = 0;
}

void AlertEngine::online(const std::string& name) {
    Crab& c = crab(name);
    c.online = true;
    evaluate(name, c, Cause::time);
}

void AlertEngine::offline(const std::string& name) {
    Crab& c = crab(name);
    c.online = false;
    c.offline_from_us = clock_.now_us();
    evaluate(name, c, Cause::time);
}

void AlertEngine::tick() {
    if (rules_.empty()) return;
    for (auto& [name, c] : crabs_) evaluate(name, c, Cause::time);
}

std::vector<AlertTransition> AlertEngine::active() const {
    std::vector<AlertTransition> out;
    for (const auto& [key, t] : tracks_) {
        if (t.state == AlertState::pending || t.state == AlertState::firing) out.push_back(t.last);
    }
    return out;
}

std::vector<std::string> AlertEngine::wanted_keys(const std::string& name) const {
    std::set<std::string> keys;
    for (const auto& r : rules_) {
        if (!glob_match(r.crabs, name)) continue;
        keys.insert(r.when.keys().begin(), r.when.keys().end());
        if (r.clear) keys.insert(r.clear->keys().begin(), r.clear->keys().end());
    }
    return {keys.begin(), keys.end()};
}

void AlertEngine::record_rates(const std::string& name, Crab& c, std::int64_t now) {
    std::set<std::pair<std::string, std::int64_t>> terms;
    for (const auto& r : rules_) {
        if (!glob_match(r.crabs, name)) continue;
        for (const auto* cond : {&r.when, r.clear ? &*r.clear : nullptr}) {
            if (!cond) continue;
            for (const auto& term : cond->rate_terms())
                terms.emplace(term.key, std::chrono::microseconds(term.window).count());
        }
    }
    for (const auto& term : terms) {
        auto& points = c.history[term];
        auto it = c.values.find(term.first);
        if (it != c.values.end() && std::holds_alternative<double>(it->second))
            points.emplace_back(now, std::get<double>(it->second));
        while (!points.empty() && points.front().first < now - term.second) points.pop_front();
    }
}

EvalContext AlertEngine::context(Crab& c, std::int64_t now) const {
    EvalContext ctx;
    ctx.values = &c.values;
    ctx.now_us = now;
    ctx.last_snapshot_us = c.last_us ? c.last_us : c.first_seen_us;
    ctx.online = c.online || now < c.offline_from_us;
    ctx.rate = [&c](const std::string& key,
                    std::chrono::milliseconds window) -> std::optional<double> {
        auto it = c.history.find({key, std::chrono::microseconds(window).count()});
        if (it == c.history.end() || it->second.size() < 2) return std::nullopt;
        const auto& [t0, v0] = it->second.front();
        const auto& [t1, v1] = it->second.back();
        if (t1 <= t0) return std::nullopt;
        return (v1 - v0) / (static_cast<double>(t1 - t0) / 1e6);
    };
    return ctx;
}

void AlertEngine::evaluate(const std::string& name, Crab& c, Cause cause) {
    for (const auto& rule : rules_) {
        if (cause == Cause::time && !ticks(rule)) continue;
        if (glob_match(rule.crabs, name)) step(rule, name, c, cause);
    }
}

void AlertEngine::step(const AlertRule& rule, const std::string& name, Crab& c, Cause cause) {
    Track& t = tracks_[{rule.name, name}];
    auto ctx = context(c, clock_.now_us());
    if (t.state == AlertState::inactive || t.state == AlertState::resolved) {
        if (!rule.when.eval(ctx)) return;
        t.count = 0;
        t.pending_since_us = ctx.now_us;
        t.firing_since_us = 0;
        move(rule, name, c, t, AlertState::pending, "condition holds: " + rule.when.text());
    }
    if (t.state == AlertState::pending) return when_pending(rule, name, c, t, ctx, cause);
    bool clear = rule.clear ? rule.clear->eval(ctx) : !rule.when.eval(ctx);
    if (!clear) return;
    move(rule, name, c, t, AlertState::resolved,
         rule.clear ? "clear condition holds: " + rule.clear->text()
                    : "condition no longer holds: " + rule.when.text());
}

void AlertEngine::when_pending(const AlertRule& rule, const std::string& name, Crab& c, Track& t,
                               const EvalContext& ctx, Cause cause) {
    if (!rule.when.eval(ctx)) {
        return move(rule, name, c, t, AlertState::inactive,
                    "condition stopped holding before the rule's `for` was met");
    }
    if (cause == Cause::snapshot) ++t.count;
    if (!held_long_enough(rule, t, ctx.now_us)) return;
    t.firing_since_us = ctx.now_us;
    std::string reason = rule.for_time.count() > 0
                             ? "condition held for " + std::to_string(rule.for_time.count()) + " ms"
                             : "condition held for " +
                                   std::to_string(std::max<std::uint32_t>(t.count, 1)) +
                                   " snapshot(s)";
    move(rule, name, c, t, AlertState::firing, std::move(reason));
}

bool AlertEngine::held_long_enough(const AlertRule& rule, const Track& t, std::int64_t now) const {
    if (rule.for_time.count() > 0)
        return now - t.pending_since_us >= std::chrono::microseconds(rule.for_time).count();
    return rule.for_count <= 1 || t.count >= rule.for_count;
}

void AlertEngine::move(const AlertRule& rule, const std::string& name, const Crab& c, Track& t,
                       AlertState to, std::string reason) {
    AlertTransition tr;
    tr.alert_seq = ++alert_seq_;
    tr.rule = rule.name;
    tr.crab = name;
    tr.from = t.state;
    tr.to = to;
    tr.at_us = clock_.now_us();
    tr.pending_since_us = t.pending_since_us;
    tr.firing_since_us = t.firing_since_us;
    tr.hub_seq = c.hub_seq;
    tr.values_json = c.values_json;
    tr.reason = std::move(reason);
    tr.condition = rule.when.text();
    tr.severity = rule.severity;
    tr.labels = rule.labels;
    tr.hooks = rule.hooks;
    t.state = to;
    t.last = tr;
    emit_(t.last);
}

}  // namespace octopus::core
