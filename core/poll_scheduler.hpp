// Scheduled polling: asks live crabs for fresh snapshots through Hub::collect_once, on a timer,
// without ever flooding one. Each [[polling]] rule ticks every `interval`; a tick walks the
// online crabs whose name matches the rule's glob, in name order, and requests one snapshot
// from each. A crab belongs to the first rule that matches it, so a narrow rule placed before
// a catch-all "*" wins. No sockets and no Asio: timing goes through core::Executor::post_after,
// "now" through an injected monotonic clock. Runs on the hub's thread only (like Hub).
// Invariants, per crab: two requests are never closer than `min_delay` (a request due earlier
// is deferred to exactly min_delay after the previous one), and at most one request is open.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/executor.hpp"
#include "core/stored_snapshot.hpp"
#include "protocol/result.hpp"

namespace octopus::core {

class Hub;

struct PollRule {
    std::string crabs = "*";                    // glob over crab names (`*`, `?`)
    std::chrono::milliseconds interval{1000};   // one tick per interval
    std::chrono::milliseconds min_delay{1000};  // minimum gap between requests to one crab
    std::chrono::milliseconds timeout{2000};    // a request unanswered this long has missed
    std::uint32_t heartbeat_misses = 0;         // report silent after N misses in a row; 0 = off
};

struct PollCounters {
    std::uint64_t ticks = 0;
    std::uint64_t requests = 0;      // collect requests issued
    std::uint64_t answered = 0;      // answered in time
    std::uint64_t timeouts = 0;      // not answered within the rule's timeout
    std::uint64_t failed = 0;        // refused at once (crab_offline, unknown_crab)
    std::uint64_t deferred = 0;      // requests pushed later to keep min_delay
    std::uint64_t skipped_busy = 0;  // a tick found the crab's previous request still open
    std::uint64_t silent = 0;        // on_silent reports
};

// What the scheduler remembers about one crab (its pacing slot).
struct PollSlot {
    std::optional<std::chrono::steady_clock::time_point> last_request;
    bool outstanding = false;  // a request is open
    bool deferred = false;     // a request is waiting for min_delay to pass
    std::uint32_t misses = 0;  // consecutive timeouts
    bool silent = false;       // reported through on_silent, not answered since
};

class PollScheduler {
  public:
    using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;

    // Throws std::invalid_argument on a rule with a non-positive interval or timeout, or a
    // negative min_delay. `now` defaults to std::chrono::steady_clock::now.
    PollScheduler(Hub& hub, Executor& executor, std::vector<PollRule> rules, SteadyNow now = {});
    ~PollScheduler();
    PollScheduler(const PollScheduler&) = delete;
    PollScheduler& operator=(const PollScheduler&) = delete;

    // The first tick of each rule comes one interval after start().
    void start();
    // No request is issued after stop(); answers to open ones are still counted. Logs counters.
    void stop();

    // Called once when a crab misses `heartbeat_misses` polls in a row; again only after it has
    // answered (or gone offline) in between. Unset: the scheduler logs a warning itself.
    std::function<void(const std::string& crab)> on_silent;

    const PollCounters& counters() const { return counters_; }
    std::optional<PollSlot> slot(const std::string& crab) const;
    // The rule that polls `crab` (the first whose glob matches), or nullptr.
    const PollRule* rule_for(const std::string& crab) const;
    const std::vector<PollRule>& rules() const { return rules_; }

  private:
    using TimePoint = std::chrono::steady_clock::time_point;

    std::optional<std::size_t> rule_index(const std::string& crab) const;
    void arm_tick(std::size_t rule);
    void tick(std::size_t rule);
    void poll(const std::string& crab, std::size_t rule);
    void arm_deferred(const std::string& crab, std::size_t rule, TimePoint due);
    void fire_deferred(const std::string& crab, std::size_t rule, TimePoint due);
    void issue(const std::string& crab, std::size_t rule, TimePoint now);
    void on_result(const std::string& crab, std::size_t rule,
                   const protocol::Result<SnapshotPtr>& result);
    void log_counters(const char* what) const;

    Hub& hub_;
    Executor& executor_;
    std::vector<PollRule> rules_;
    SteadyNow now_;
    std::vector<TimePoint> next_tick_;  // per rule: when its next tick is planned
    std::map<std::string, PollSlot> slots_;
    PollCounters counters_;
    TimePoint last_summary_{};
    bool started_ = false;
    bool stopped_ = false;
    // Timers and collect callbacks outlive nothing: they hold this weakly.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace octopus::core
