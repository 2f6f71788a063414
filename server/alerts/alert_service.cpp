#include "server/alerts/alert_service.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <set>

#include "core/glob.hpp"
#include "protocol/json_text.hpp"

namespace octopus::server {

namespace {

// Alert events kept in memory for {"alert_seq":N} replays; older ones are in the audit files.
constexpr std::size_t kRecentAlerts = 10000;
constexpr std::chrono::seconds kTick{1};
// How many of the newest hook notifications are checked for a final delivery at start-up (as
// many as the smallest default hook queue takes, so a redelivery is never dropped as overflow).
constexpr std::size_t kRedriveWindow = 100;

bool has_hook(const core::AlertTransition& t, const char* hook) {
    return std::find(t.hooks.begin(), t.hooks.end(), hook) != t.hooks.end();
}

void log_line(const core::AlertTransition& t) {
    auto level = t.to == protocol::AlertState::resolved ? spdlog::level::info
                 : t.severity == "critical"             ? spdlog::level::err
                 : t.severity == "warning"              ? spdlog::level::warn
                                                        : spdlog::level::info;
    spdlog::log(level, "alert {} {} on crab \"{}\" (#{}, {}): {}; values {}", t.rule,
                protocol::to_string(t.to), t.crab, t.alert_seq, t.severity, t.reason,
                t.values_json);
}

std::string attempt_line(const DeliveryAttempt& a) {
    std::string out = "{\"hook\":";
    protocol::append_json_string(out, a.hook);
    out += ",\"kind\":";
    protocol::append_json_string(out, a.kind);
    out += ",\"alert_seq\":" + std::to_string(a.alert_seq) +
           ",\"attempt\":" + std::to_string(a.attempt) + ",\"ok\":" + (a.ok ? "true" : "false") +
           ",\"final\":" + (a.final ? "true" : "false") +
           ",\"status\":" + std::to_string(a.status) + ",\"detail\":";
    protocol::append_json_string(out, a.detail);
    out += ",\"at\":";
    protocol::append_seconds_us(out, a.at_us);
    out += ",\"duration_ms\":" + std::to_string(a.duration_ms) + "}";
    return out;
}

}  // namespace

AlertService::AlertService(boost::asio::io_context& io, core::Executor& executor,
                           core::DiskWriter& writer, const core::Clock& clock,
                           const std::filesystem::path& data_dir,
                           std::optional<std::filesystem::path> rules_file)
    : rules_file_(std::move(rules_file)),
      clock_(clock),
      engine_(clock, [this](const core::AlertTransition& t) { on_transition(t); }),
      log_(data_dir / "_alerts", writer, executor),
      hooks_(io, [this](const DeliveryAttempt& a) { on_attempt(a); }),
      tick_(io) {}

void AlertService::load() {
    if (rules_file_) apply(load_alert_config(*rules_file_));
    auto& owed = owed_;
    auto stats = log_.load([&](const protocol::AlertEvent& event, std::string_view line) {
        engine_.restore(event);
        if (!event.notifies()) return;
        auto json = std::make_shared<const std::string>(line);
        if (has_hook(event, "ws")) remember({event.alert_seq, event.crab, json});
        for (const auto& hook : event.hooks) {
            if (hook == "log" || hook == "ws") continue;
            owed.push_back({event.alert_seq, hook, json});
            if (owed.size() > kRedriveWindow) owed.pop_front();
        }
    });
    spdlog::info(
        "alerts: {} rules, {} hooks; {} transitions recorded ({} bad lines, {} torn bytes cut), "
        "{} pending or firing",
        engine_.rules().size(), hook_count_, stats.events, stats.bad_lines, stats.torn_bytes,
        engine_.active().size());
}

// The (alert_seq, hook) pairs with a final delivery line, each manifest read from its end back
// past `oldest`, so every owed notification is checked against all of its lines.
std::set<std::pair<std::uint64_t, std::string>> AlertService::settled(std::uint64_t oldest) {
    std::set<std::pair<std::uint64_t, std::string>> out;
    for (bool ok : {true, false}) {
        for (std::size_t n = 4096;; n *= 4) {
            auto lines = log_.delivery_tail(ok, n);
            bool reached = lines.size() < n;  // the whole file
            for (const auto& line : lines) {
                auto j = nlohmann::json::parse(line, nullptr, false);
                if (!j.is_object()) continue;
                auto seq = j.value("alert_seq", std::uint64_t{0});
                reached = reached || seq < oldest;
                if (j.value("final", false)) out.emplace(seq, j.value("hook", ""));
            }
            if (reached) break;
        }
    }
    return out;
}

// Notifications whose hook never reached a final outcome (the hub stopped or crashed while they
// were queued or in flight) are sent again: hooks get every alert at least once.
void AlertService::redrive() {
    if (owed_.empty()) return;
    auto done = settled(owed_.front().alert_seq);
    std::size_t sent = 0;
    for (const auto& o : owed_) {
        if (done.count({o.alert_seq, o.hook})) continue;
        sent += hooks_.enqueue(o.hook, o.alert_seq, o.json) ? 1 : 0;
    }
    owed_.clear();
    if (sent)
        spdlog::warn("alerts: sending {} notifications again that had no final delivery", sent);
}

void AlertService::remember(Recent r) {
    recent_.push_back(std::move(r));
    if (recent_.size() > kRecentAlerts) recent_.pop_front();
}

void AlertService::apply(AlertConfig config) {
    hook_count_ = config.hooks.size();
    hooks_.configure(std::move(config.hooks));
    engine_.set_rules(std::move(config.rules));
}

void AlertService::start() {
    redrive();
    schedule_tick();
}

void AlertService::schedule_tick() {
    tick_.expires_after(kTick);
    tick_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) return;
        engine_.tick();
        ++ticks_;
        schedule_tick();
    });
}

void AlertService::stop_evaluating() {
    stopped_ = true;
    tick_.cancel();
}

void AlertService::stop() {
    stop_evaluating();
    hooks_.stop();
}

std::optional<std::string> AlertService::reload() {
    if (!rules_file_) {
        ++reload_failures_;
        std::string why =
            "no alert rules file is configured ([alerts] rules in octopus.toml, or --alerts)";
        spdlog::warn("alert rules not reloaded: {}", why);
        return why;
    }
    try {
        apply(load_alert_config(*rules_file_));
    } catch (const std::exception& e) {
        ++reload_failures_;
        spdlog::error("alert rules not reloaded, the {} rules in force stay: {}",
                      engine_.rules().size(), e.what());
        return std::string(e.what());
    }
    ++reloads_;
    spdlog::info("alert rules reloaded from {}: {} rules, {} hooks", rules_file_->string(),
                 engine_.rules().size(), hook_count_);
    return std::nullopt;
}

void AlertService::on_transition(const core::AlertTransition& t) {
    ++transitions_[static_cast<std::size_t>(t.to)];
    auto json = std::make_shared<const std::string>(protocol::encode_alert_event(t));
    if (!t.notifies()) return log_.record(t, *json, [] {});
    log_.record(t, *json, [this, t, json] {
        waiting_.push_back({t, json});
        release();
    });
}

// Notifications go out in alert_seq order, each once its record and the snapshot that caused it
// (hub_seq) are both durable: an alert is never told about a value a crash could still lose.
void AlertService::hub_durable(std::uint64_t hub_seq) {
    durable_hub_seq_ = std::max(durable_hub_seq_, hub_seq);
    release();
}

void AlertService::release() {
    while (!waiting_.empty() && waiting_.front().t.hub_seq <= durable_hub_seq_) {
        auto w = std::move(waiting_.front());
        waiting_.pop_front();
        notify(w.t, w.json);
    }
}

void AlertService::notify(const core::AlertTransition& t,
                          const std::shared_ptr<const std::string>& json) {
    for (const auto& hook : t.hooks) {
        if (hook == "log") {
            log_line(t);
            on_attempt(builtin_attempt(t, "log", "logged"));
        } else if (hook == "ws") {
            remember({t.alert_seq, t.crab, json});
            auto [sent, owed] = publish(recent_.back());
            on_attempt(builtin_attempt(t, "ws",
                                       "sent to " + std::to_string(sent) + " subscriptions, " +
                                           std::to_string(owed) + " owed a gap"));
        } else if (!hooks_.enqueue(hook, t.alert_seq, json)) {
            spdlog::warn("alert #{}: hook \"{}\" is not configured any more", t.alert_seq, hook);
        }
    }
}

DeliveryAttempt AlertService::builtin_attempt(const core::AlertTransition& t, const char* hook,
                                              std::string detail) const {
    DeliveryAttempt a;
    a.hook = a.kind = hook;
    a.alert_seq = t.alert_seq;
    a.ok = a.final = true;
    a.status = 0;
    a.detail = std::move(detail);
    a.at_us = clock_.now_us();
    return a;
}

std::pair<std::size_t, std::size_t> AlertService::publish(const Recent& r) {
    std::size_t sent = 0, owed = 0;
    for (auto& [sink, ids] : subs_) {
        for (auto& [id, sub] : ids) {
            if (!core::glob_match_any(sub.crabs, r.crab)) continue;
            ++(send(*sink, id, sub, r) ? sent : owed);
        }
    }
    return {sent, owed};
}

// One alert event to one subscription, after the gap message owed to it if any. What a full
// queue refuses is counted into the next gap message, so a client always learns what it missed.
bool AlertService::send(core::SubscriberSink& sink, const std::string& id, AlertSub& sub,
                        const Recent& r) {
    if (!send_gap(sink, id, sub) || !sink.deliver_event(std::make_shared<const std::string>(
                                        protocol::alert_frame(id, *r.json)))) {
        if (sub.missed++ == 0) sub.gap_from = r.alert_seq;
        sub.gap_to = r.alert_seq;
        return false;
    }
    return true;
}

// The gap message owed to `sub`, if any; false while the queue still refuses it.
bool AlertService::send_gap(core::SubscriberSink& sink, const std::string& id, AlertSub& sub) {
    if (sub.missed == 0) return true;
    if (!sink.deliver_event(std::make_shared<const std::string>(
            protocol::encode_alert_gap(id, sub.gap_from, sub.gap_to, sub.missed))))
        return false;
    sub.missed = 0;
    return true;
}

void AlertService::flush_gaps(core::SubscriberSink& sink) {
    auto it = subs_.find(&sink);
    if (it == subs_.end()) return;
    for (auto& [id, sub] : it->second) send_gap(sink, id, sub);
}

void AlertService::on_attempt(const DeliveryAttempt& a) {
    auto& s = hook_stats_[a.hook];
    ++(a.ok ? s.ok : s.failed);
    if (!a.ok && a.final) ++s.gave_up;
    log_.record_delivery(attempt_line(a), a.ok);
    if (!a.ok)
        spdlog::warn("alert #{}: hook \"{}\" attempt {} failed{}: {}", a.alert_seq, a.hook,
                     a.attempt, a.final ? " (giving up)" : "", a.detail);
}

void AlertService::subscribe(core::SubscriberSink& sink, const protocol::Subscribe& spec) {
    sink.deliver_event(std::make_shared<const std::string>(protocol::encode_alerts_subscribed(
        spec.id, recent_.empty() ? 0 : recent_.back().alert_seq)));
    AlertSub& sub = subs_[&sink][spec.id];
    sub.crabs = spec.crabs;
    if (spec.from.kind != protocol::From::Kind::alert_seq) return;
    for (const auto& r : recent_) {
        if (r.alert_seq > spec.from.alert_seq && core::glob_match_any(sub.crabs, r.crab))
            send(sink, spec.id, sub, r);
    }
}

bool AlertService::unsubscribe(core::SubscriberSink& sink, const std::string& id) {
    auto it = subs_.find(&sink);
    if (it == subs_.end() || !it->second.erase(id)) return false;
    if (it->second.empty()) subs_.erase(it);
    return true;
}

void AlertService::remove_subscriber(core::SubscriberSink& sink) {
    subs_.erase(&sink);
}

std::string AlertService::active_json(
    const std::function<bool(const std::string&)>& visible) const {
    std::string out = "[";
    for (const auto& t : engine_.active()) {
        if (!visible(t.crab)) continue;
        if (out.size() > 1) out += ',';
        out += protocol::encode_alert_event(t);
    }
    return out + "]";
}

void AlertService::render_metrics(core::PromText& out) const {
    out.family("octopus_alert_transitions_total", "counter",
               "Alert state changes, by the state entered.");
    for (auto s : {protocol::AlertState::inactive, protocol::AlertState::pending,
                   protocol::AlertState::firing, protocol::AlertState::resolved}) {
        out.sample("octopus_alert_transitions_total", {{"state", protocol::to_string(s)}},
                   static_cast<double>(transitions_[static_cast<std::size_t>(s)]));
    }
    out.family("octopus_alert_hook_attempts_total", "counter",
               "Hook delivery attempts, by hook and outcome (gave_up: final failures, drops "
               "included).");
    for (const auto& [hook, s] : hook_stats_) {
        for (auto [outcome, n] :
             {std::pair{"ok", s.ok}, {"failed", s.failed}, {"gave_up", s.gave_up}})
            out.sample("octopus_alert_hook_attempts_total", {{"hook", hook}, {"outcome", outcome}},
                       static_cast<double>(n));
    }
    out.single("octopus_alert_ticks_total", "counter",
               "Once-a-second evaluations of time-based conditions.", static_cast<double>(ticks_));
    out.single("octopus_alert_rules", "gauge", "Alert rules in force.",
               static_cast<double>(engine_.rules().size()));
    out.single("octopus_alert_active", "gauge", "Alerts pending or firing.",
               static_cast<double>(engine_.active().size()));
    out.family("octopus_alert_reloads_total", "counter",
               "Alert rule reloads (SIGHUP, POST /v1/admin/reload), by result.");
    out.sample("octopus_alert_reloads_total", {{"result", "ok"}}, static_cast<double>(reloads_));
    out.sample("octopus_alert_reloads_total", {{"result", "failed"}},
               static_cast<double>(reload_failures_));
}

}  // namespace octopus::server
