// The alert engine: one state machine per (rule, crab),
//     inactive -> pending -> firing -> resolved (-> pending again when the condition returns),
// driven by the hub's snapshots and lifecycle (it is a HubObserver) and by a once-a-second
// tick for conditions about time (silent, offline, `for` durations). Every state change is
// emitted as an AlertTransition with a fresh alert_seq; the caller records and notifies. The
// engine never does I/O and never blocks: it runs on the hub's thread. Its state is rebuilt at
// start from the recorded transitions (restore), so a firing alert stays firing across a
// restart and is not notified again.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/alerts/alert_rules.hpp"
#include "core/clock.hpp"
#include "core/hub_observer.hpp"
#include "protocol/alert_event.hpp"

namespace octopus::core {

using protocol::AlertState;
using AlertTransition = protocol::AlertEvent;

// rate() history of one (key, window): (receive time, value), oldest first.
struct RateHistory {
    std::string key;
    std::int64_t window_us = 0;
    std::deque<std::pair<std::int64_t, double>> points;
};

class AlertEngine final : public HubObserver {
  public:
    using Emit = std::function<void(const AlertTransition&)>;

    AlertEngine(const Clock& clock, Emit emit);

    // Installs a rule set (start-up or reload). State of rules kept by name carries over.
    void set_rules(std::vector<AlertRule> rules);
    const std::vector<AlertRule>& rules() const { return rules_; }
    // Start-up, after set_rules: replays one recorded transition (in alert_seq order).
    void restore(const AlertTransition& t);
    // Re-evaluates what depends on time alone. Call about once a second.
    void tick();
    // The newest transition of every (rule, crab) now pending or firing.
    std::vector<AlertTransition> active() const;
    std::uint64_t last_alert_seq() const { return alert_seq_; }

    void known(const std::string& crab, std::int64_t last_us) override;
    void accepted(const std::string& crab, const StoredSnapshot& stored,
                  const protocol::Snapshot& snap) override;
    void online(const std::string& crab) override;
    void offline(const std::string& crab) override;

  private:
    struct Track {
        std::size_t rule = 0;  // index into rules_
        AlertState state = AlertState::inactive;
        std::uint32_t count = 0;  // consecutive snapshots the condition held while pending
        std::int64_t pending_since_us = 0;
        std::int64_t firing_since_us = 0;
        AlertTransition last;  // the newest transition, for active()
    };
    struct Crab {
        std::string name;
        AlertValues values;
        std::string values_json = "{}";
        std::int64_t last_us = 0;        // newest snapshot's receive time; 0 = none seen
        std::int64_t first_seen_us = 0;  // silence of a crab never heard counts from here
        std::uint64_t hub_seq = 0;       // of the snapshot being evaluated; 0 outside of one
        bool online = false;
        std::int64_t offline_from_us = 0;  // `offline` may hold from here on (start-up grace)
        // What the rule set means for this crab, worked out once per rule set (bind()), so a
        // snapshot costs no glob matching and no lookup by name.
        std::vector<Track> tracks;       // one per rule matching the crab, in rule order
        std::vector<std::string> keys;   // value keys those rules read
        std::vector<RateHistory> rates;  // rate terms those rules use
    };
    enum class Cause { snapshot, time };

    Crab& crab(const std::string& name);
    void bind(Crab& c);
    void evaluate(Crab& c, Cause cause);
    void step(Crab& c, Track& t, const EvalContext& ctx, Cause cause);
    void when_pending(Crab& c, Track& t, const EvalContext& ctx, Cause cause);
    bool held_long_enough(const AlertRule& rule, const Track& t, std::int64_t now) const;
    void move(const Crab& c, Track& t, AlertState to, std::string reason);
    void retire(const Crab& c, const Track& t);
    void record_rates(Crab& c, std::int64_t now);
    EvalContext context(const Crab& c, std::int64_t now) const;

    const Clock& clock_;
    Emit emit_;
    std::vector<AlertRule> rules_;
    std::vector<bool> rule_ticks_;  // per rule: can time alone change its outcome?
    std::unordered_map<std::string, Crab> crabs_;
    std::uint64_t alert_seq_ = 0;
};

}  // namespace octopus::core
