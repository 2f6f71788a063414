#include "core/poll_scheduler.hpp"

#include <spdlog/spdlog.h>
#include <stdexcept>

#include "core/glob.hpp"
#include "core/hub.hpp"

namespace octopus::core {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr std::chrono::seconds kSummaryEvery{60};

// Timers take whole milliseconds; rounding up keeps a deferred request from firing early.
milliseconds until(steady_clock::time_point due, steady_clock::time_point now) {
    if (due <= now) return milliseconds(0);
    return std::chrono::ceil<milliseconds>(due - now);
}

}  // namespace

PollScheduler::PollScheduler(Hub& hub, Executor& executor, std::vector<PollRule> rules,
                             SteadyNow now)
    : hub_(hub), executor_(executor), rules_(std::move(rules)), now_(std::move(now)) {
    if (!now_) now_ = [] { return steady_clock::now(); };
    for (const auto& r : rules_) {
        if (r.interval.count() <= 0)
            throw std::invalid_argument("polling \"" + r.crabs + "\": interval must be positive");
        if (r.timeout.count() <= 0)
            throw std::invalid_argument("polling \"" + r.crabs + "\": timeout must be positive");
        if (r.min_delay.count() < 0)
            throw std::invalid_argument("polling \"" + r.crabs + "\": min_delay is negative");
    }
    next_tick_.resize(rules_.size());
}

PollScheduler::~PollScheduler() {
    *alive_ = false;
}

std::optional<std::size_t> PollScheduler::rule_index(const std::string& crab) const {
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        if (glob_match(rules_[i].crabs, crab)) return i;
    }
    return std::nullopt;
}

const PollRule* PollScheduler::rule_for(const std::string& crab) const {
    auto i = rule_index(crab);
    return i ? &rules_[*i] : nullptr;
}

std::optional<PollSlot> PollScheduler::slot(const std::string& crab) const {
    auto it = slots_.find(crab);
    if (it == slots_.end()) return std::nullopt;
    return it->second;
}

void PollScheduler::start() {
    if (started_) return;
    started_ = true;
    auto now = now_();
    last_summary_ = now;
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        const auto& r = rules_[i];
        spdlog::info(
            "polling \"{}\" every {} ms (min_delay {} ms, timeout {} ms, heartbeat_misses {})",
            r.crabs, r.interval.count(), r.min_delay.count(), r.timeout.count(),
            r.heartbeat_misses);
        next_tick_[i] = now + r.interval;
        arm_tick(i);
    }
}

void PollScheduler::stop() {
    if (!started_ || stopped_) return;
    stopped_ = true;
    log_counters("polling stopped");
}

void PollScheduler::log_counters(const char* what) const {
    const auto& c = counters_;
    spdlog::info(
        "{}: {} requests, {} answered, {} timed out, {} refused, {} deferred by min_delay, "
        "{} skipped (request open), {} silent reports",
        what, c.requests, c.answered, c.timeouts, c.failed, c.deferred, c.skipped_busy, c.silent);
}

void PollScheduler::arm_tick(std::size_t rule) {
    std::weak_ptr<bool> alive = alive_;
    executor_.post_after(until(next_tick_[rule], now_()), [this, alive, rule] {
        if (alive.expired() || stopped_) return;
        tick(rule);
    });
}

void PollScheduler::tick(std::size_t rule) {
    ++counters_.ticks;
    const PollRule& r = rules_[rule];
    for (const CrabInfo& info : hub_.crabs()) {  // sorted by name
        if (!glob_match(r.crabs, info.name) || rule_index(info.name) != rule) continue;
        if (info.online) {
            poll(info.name, rule);
            continue;
        }
        // Offline: a new heartbeat streak starts when it comes back. The pacing slot stays, so
        // a quick reconnect is still not asked twice within min_delay.
        auto it = slots_.find(info.name);
        if (it != slots_.end() && !it->second.outstanding) {
            it->second.misses = 0;
            it->second.silent = false;
        }
    }
    auto now = now_();
    // Ticks follow a fixed plan (no drift); after a stall the plan restarts from now instead
    // of firing a burst of missed ticks.
    next_tick_[rule] += r.interval;
    if (next_tick_[rule] <= now) next_tick_[rule] = now + r.interval;
    if (now - last_summary_ >= kSummaryEvery) {
        last_summary_ = now;
        log_counters("polling");
    }
    arm_tick(rule);
}

void PollScheduler::poll(const std::string& crab, std::size_t rule) {
    PollSlot& s = slots_[crab];
    if (s.outstanding) {
        ++counters_.skipped_busy;
        return;
    }
    if (s.deferred) return;  // already queued for its min_delay slot
    auto now = now_();
    if (s.last_request) {
        auto due = *s.last_request + rules_[rule].min_delay;
        if (now < due) {
            s.deferred = true;
            ++counters_.deferred;
            arm_deferred(crab, rule, due);
            return;
        }
    }
    issue(crab, rule, now);
}

void PollScheduler::arm_deferred(const std::string& crab, std::size_t rule, TimePoint due) {
    std::weak_ptr<bool> alive = alive_;
    executor_.post_after(until(due, now_()), [this, alive, crab, rule, due] {
        if (alive.expired()) return;
        fire_deferred(crab, rule, due);
    });
}

void PollScheduler::fire_deferred(const std::string& crab, std::size_t rule, TimePoint due) {
    PollSlot& s = slots_[crab];
    s.deferred = false;
    if (stopped_) return;
    auto now = now_();
    if (now < due) {  // a timer that fired early must not shorten the gap
        s.deferred = true;
        arm_deferred(crab, rule, due);
        return;
    }
    auto info = hub_.crab(crab);
    if (!info || !info->online || s.outstanding) return;
    issue(crab, rule, now);
}

void PollScheduler::issue(const std::string& crab, std::size_t rule, TimePoint now) {
    PollSlot& s = slots_[crab];
    s.last_request = now;
    s.outstanding = true;
    ++counters_.requests;
    std::weak_ptr<bool> alive = alive_;
    // The callback may run inside collect_once (offline, unknown): s is already consistent.
    hub_.collect_once(crab, rules_[rule].timeout,
                      [this, alive, crab, rule](protocol::Result<SnapshotPtr> result) {
                          if (alive.expired()) return;
                          on_result(crab, rule, result);
                      });
}

void PollScheduler::on_result(const std::string& crab, std::size_t rule,
                              const protocol::Result<SnapshotPtr>& result) {
    PollSlot& s = slots_[crab];
    s.outstanding = false;
    if (result) {
        ++counters_.answered;
        if (s.silent) spdlog::info("crab \"{}\" answers polls again", crab);
        s.misses = 0;
        s.silent = false;
        return;
    }
    if (result.error().code != protocol::ErrorCode::timeout) {
        ++counters_.failed;
        s.misses = 0;
        s.silent = false;
        return;
    }
    ++counters_.timeouts;
    auto info = hub_.crab(crab);
    if (!info || !info->online) {  // it left while asked: offline, not silent
        s.misses = 0;
        s.silent = false;
        return;
    }
    ++s.misses;
    const PollRule& r = rules_[rule];
    if (r.heartbeat_misses == 0 || s.misses < r.heartbeat_misses || s.silent) return;
    s.silent = true;
    ++counters_.silent;
    if (on_silent) {
        on_silent(crab);
    } else {
        spdlog::warn("crab \"{}\" is silent: {} polls in a row unanswered", crab, s.misses);
    }
}

}  // namespace octopus::core
