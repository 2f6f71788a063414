#include "core/alerts/alert_engine.hpp"

#include <algorithm>
#include <set>

#include "core/alerts/alert_values.hpp"
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
    rule_ticks_.clear();
    for (const auto& r : rules_) rule_ticks_.push_back(ticks(r));
    for (auto& [name, c] : crabs_) bind(c);
}

// Adds the rate terms of `cond` missing from `rates`, each with its history from `old` if any.
static void bind_rates(const Condition& cond, std::vector<RateHistory>& old,
                       std::vector<RateHistory>& rates) {
    for (const auto& term : cond.rate_terms()) {
        auto window = std::chrono::microseconds(term.window).count();
        auto same = [&](const RateHistory& h) {
            return h.key == term.key && h.window_us == window;
        };
        if (std::any_of(rates.begin(), rates.end(), same)) continue;
        auto kept = std::find_if(old.begin(), old.end(), same);
        rates.push_back(kept != old.end() ? std::move(*kept) : RateHistory{term.key, window, {}});
    }
}

// Re-derives the crab's tracks, keys and rate histories from rules_. Tracks and histories of
// rules and terms still present carry over (a reload keeps state); the rest are dropped.
void AlertEngine::bind(Crab& c) {
    std::vector<Track> tracks;
    std::vector<bool> carried(c.tracks.size());
    std::set<std::string> keys;
    std::vector<RateHistory> rates;
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        const AlertRule& r = rules_[i];
        if (!glob_match(r.crabs, c.name)) continue;
        auto old = std::find_if(c.tracks.begin(), c.tracks.end(),
                                [&](const Track& t) { return t.last.rule == r.name; });
        if (old != c.tracks.end()) carried[static_cast<std::size_t>(old - c.tracks.begin())] = true;
        tracks.push_back(old != c.tracks.end() ? std::move(*old) : Track{});
        tracks.back().rule = i;
        tracks.back().last.rule = r.name;
        for (const auto* cond : {&r.when, r.clear ? &*r.clear : nullptr}) {
            if (!cond) continue;
            keys.insert(cond->keys().begin(), cond->keys().end());
            bind_rates(*cond, c.rates, rates);
        }
    }
    for (std::size_t i = 0; i < c.tracks.size(); ++i) {
        if (!carried[i]) retire(c, c.tracks[i]);
    }
    c.tracks = std::move(tracks);
    c.keys.assign(keys.begin(), keys.end());
    c.rates = std::move(rates);
}

// A pending or firing alert whose rule is gone (or no longer matches the crab) ends: the
// records say so, so a restart agrees with the running hub. It is not notified.
void AlertEngine::retire(const Crab& c, const Track& t) {
    if (t.state != AlertState::pending && t.state != AlertState::firing) return;
    AlertTransition tr = t.last;
    tr.alert_seq = ++alert_seq_;
    tr.crab = c.name;
    tr.from = t.state;
    tr.to = AlertState::inactive;
    tr.at_us = clock_.now_us();
    tr.hub_seq = 0;
    tr.reason = "the rule was removed or no longer matches the crab";
    emit_(tr);
}

void AlertEngine::restore(const AlertTransition& t) {
    alert_seq_ = std::max(alert_seq_, t.alert_seq);
    Crab& c = crab(t.crab);
    for (auto& track : c.tracks) {
        if (rules_[track.rule].name != t.rule) continue;
        std::uint32_t count = t.to == AlertState::pending ? 1 : 0;  // counts restart at 1
        track = Track{track.rule, t.to, count, t.pending_since_us, t.firing_since_us, t};
    }
}

AlertEngine::Crab& AlertEngine::crab(const std::string& name) {
    auto [it, added] = crabs_.try_emplace(name);
    if (added) {
        it->second.name = name;
        it->second.first_seen_us = clock_.now_us();
        bind(it->second);
    }
    return it->second;
}

void AlertEngine::known(const std::string& name, std::int64_t last_us) {
    Crab& c = crab(name);
    c.last_us = last_us;
    c.offline_from_us = clock_.now_us() + kStartupGraceUs;
}

void AlertEngine::accepted(const std::string& name, const StoredSnapshot& stored,
                           const protocol::Snapshot& snap) {
    Crab& c = crab(name);
    c.last_us = stored.received_at_us;
    if (c.tracks.empty()) return;
    c.values = parse_alert_values(snap.values_json, &c.keys);
    c.values_json = snap.values_json;
    record_rates(c, stored.received_at_us);
    c.hub_seq = stored.hub_seq;
    evaluate(c, Cause::snapshot);
    c.hub_seq = 0;
}

void AlertEngine::online(const std::string& name) {
    Crab& c = crab(name);
    c.online = true;
    evaluate(c, Cause::time);
}

void AlertEngine::offline(const std::string& name) {
    Crab& c = crab(name);
    c.online = false;
    c.offline_from_us = clock_.now_us();
    evaluate(c, Cause::time);
}

void AlertEngine::tick() {
    for (auto& [name, c] : crabs_) evaluate(c, Cause::time);
}

std::vector<AlertTransition> AlertEngine::active() const {
    std::vector<AlertTransition> out;
    for (const auto& [name, c] : crabs_) {
        for (const auto& t : c.tracks) {
            if (t.state == AlertState::pending || t.state == AlertState::firing)
                out.push_back(t.last);
        }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.alert_seq < b.alert_seq; });
    return out;
}

void AlertEngine::record_rates(Crab& c, std::int64_t now) {
    for (auto& h : c.rates) {
        auto it = c.values.find(h.key);
        if (it != c.values.end() && std::holds_alternative<double>(it->second))
            h.points.emplace_back(now, std::get<double>(it->second));
        while (!h.points.empty() && h.points.front().first < now - h.window_us)
            h.points.pop_front();
    }
}

EvalContext AlertEngine::context(const Crab& c, std::int64_t now) const {
    EvalContext ctx;
    ctx.values = &c.values;
    ctx.now_us = now;
    ctx.last_snapshot_us = c.last_us ? c.last_us : c.first_seen_us;
    ctx.online = c.online || now < c.offline_from_us;
    ctx.rate = [&c](const std::string& key,
                    std::chrono::milliseconds window) -> std::optional<double> {
        auto window_us = std::chrono::microseconds(window).count();
        for (const auto& h : c.rates) {
            if (h.key != key || h.window_us != window_us) continue;
            if (h.points.size() < 2) return std::nullopt;
            const auto& [t0, v0] = h.points.front();
            const auto& [t1, v1] = h.points.back();
            if (t1 <= t0) return std::nullopt;
            return (v1 - v0) / (static_cast<double>(t1 - t0) / 1e6);
        }
        return std::nullopt;
    };
    return ctx;
}

void AlertEngine::evaluate(Crab& c, Cause cause) {
    if (c.tracks.empty()) return;
    auto ctx = context(c, clock_.now_us());
    // A crab found on disk that has not reconnected yet is neither online nor offline until its
    // grace ends: time alone changes nothing for it (no restart flood, no spurious resolution).
    if (cause == Cause::time && !c.online && ctx.now_us < c.offline_from_us) return;
    for (auto& t : c.tracks) {
        if (cause == Cause::time && !rule_ticks_[t.rule]) continue;
        step(c, t, ctx, cause);
    }
}

void AlertEngine::step(Crab& c, Track& t, const EvalContext& ctx, Cause cause) {
    const AlertRule& rule = rules_[t.rule];
    if (t.state == AlertState::inactive || t.state == AlertState::resolved) {
        // An episode starts when `when` holds and `clear` does not (else it would flap), and
        // only a snapshot starts one unless `when` itself is about time.
        if (cause == Cause::time && !rule.when.time_dependent()) return;
        if (!rule.when.eval(ctx) || (rule.clear && rule.clear->eval(ctx))) return;
        t.count = 0;
        t.pending_since_us = ctx.now_us;
        t.firing_since_us = 0;
        move(c, t, AlertState::pending, "condition holds: " + rule.when.text());
    }
    if (t.state == AlertState::pending) return when_pending(c, t, ctx, cause);
    bool clear = rule.clear ? rule.clear->eval(ctx) : !rule.when.eval(ctx);
    if (!clear) return;
    move(c, t, AlertState::resolved,
         rule.clear ? "clear condition holds: " + rule.clear->text()
                    : "condition no longer holds: " + rule.when.text());
}

void AlertEngine::when_pending(Crab& c, Track& t, const EvalContext& ctx, Cause cause) {
    const AlertRule& rule = rules_[t.rule];
    if (!rule.when.eval(ctx)) {
        return move(c, t, AlertState::inactive,
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
    move(c, t, AlertState::firing, std::move(reason));
}

bool AlertEngine::held_long_enough(const AlertRule& rule, const Track& t, std::int64_t now) const {
    if (rule.for_time.count() > 0)
        return now - t.pending_since_us >= std::chrono::microseconds(rule.for_time).count();
    return rule.for_count <= 1 || t.count >= rule.for_count;
}

void AlertEngine::move(const Crab& c, Track& t, AlertState to, std::string reason) {
    const AlertRule& rule = rules_[t.rule];
    AlertTransition tr;
    tr.alert_seq = ++alert_seq_;
    tr.rule = rule.name;
    tr.crab = c.name;
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
    t.last = std::move(tr);
    emit_(t.last);
}

}  // namespace octopus::core
