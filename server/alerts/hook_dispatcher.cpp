// Per hook: a FIFO of waiting notifications, the one in flight (`current`), its attempt number
// and either the call running it or the retry timer waiting for the next attempt. Handlers
// hold the hook only weakly, and every path that drops a hook first aborts its call and
// cancels its timer, so no handler reaches a hook (or the dispatcher) that is gone.
#include "server/alerts/hook_dispatcher.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <optional>

#include "server/alerts/exec_runner.hpp"
#include "server/alerts/webhook_client.hpp"

namespace octopus::server {

namespace {

struct Limits {
    int max_attempts;
    std::chrono::milliseconds backoff;
    std::chrono::milliseconds max_backoff;
    std::size_t max_queue;
};

Limits limits_of(const HookSpec& spec) {
    return std::visit(
        [](const auto& kind) {
            return Limits{kind.max_attempts, kind.backoff, kind.max_backoff, kind.max_queue};
        },
        spec.kind);
}

const char* kind_name(const HookSpec& spec) {
    return std::holds_alternative<WebhookSpec>(spec.kind) ? "webhook" : "exec";
}

std::int64_t wall_clock_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

struct HookDispatcher::Hook {
    struct Pending {
        std::uint64_t alert_seq;
        std::shared_ptr<const std::string> body;
    };

    explicit Hook(boost::asio::io_context& io) : retry_timer(io) {}

    // Aborts the attempt in flight and the retry wait; the queue is left to the caller.
    void halt() {
        retired = true;
        retry_timer.cancel();
        if (call) call->abort();
        call.reset();
    }

    HookSpec spec;
    std::deque<Pending> waiting;
    std::optional<Pending> current;
    int attempt = 0;  // of `current`: the one running, or the one due when the timer fires
    std::shared_ptr<HookCall> call;
    boost::asio::steady_timer retry_timer;
    std::chrono::steady_clock::time_point started;
    bool retired = false;
};

HookDispatcher::HookDispatcher(boost::asio::io_context& io,
                               std::function<void(const DeliveryAttempt&)> on_attempt)
    : io_(io), on_attempt_(std::move(on_attempt)) {}

HookDispatcher::~HookDispatcher() {
    stop();
}

void HookDispatcher::configure(std::vector<HookSpec> specs) {
    if (stopped_) return;
    std::map<std::string, std::shared_ptr<Hook>> next;
    for (auto& spec : specs) {
        if (auto* web = std::get_if<WebhookSpec>(&spec.kind); web && web->host.empty()) {
            if (auto error = parse_webhook_url(*web)) {
                spdlog::error("hook {}: {}; hook left out", spec.name, *error);
                continue;
            }
        }
        std::string name = spec.name;
        auto& slot = next[name];  // a repeated name: the last spec wins
        if (!slot) {
            auto kept = hooks_.find(name);
            if (kept != hooks_.end()) {
                slot = kept->second;
                hooks_.erase(kept);
            } else {
                slot = std::make_shared<Hook>(io_);
            }
        }
        slot->spec = std::move(spec);
    }
    auto removed = std::move(hooks_);
    hooks_ = std::move(next);
    for (auto& [name, hook] : removed) retire(*hook);
}

bool HookDispatcher::enqueue(const std::string& name, std::uint64_t alert_seq,
                             std::shared_ptr<const std::string> body) {
    if (stopped_) return false;
    auto found = hooks_.find(name);
    if (found == hooks_.end()) return false;
    std::shared_ptr<Hook> hook = found->second;
    std::size_t max_queue = limits_of(hook->spec).max_queue;
    if (hook->current && hook->waiting.size() >= max_queue) {
        report(*hook, alert_seq, 1, true,
               {false, -1, "queue full (" + std::to_string(max_queue) + " waiting)"}, 0);
        return false;
    }
    hook->waiting.push_back({alert_seq, std::move(body)});
    start_next(hook);
    return true;
}

void HookDispatcher::stop() {
    if (stopped_) return;
    stopped_ = true;
    auto hooks = std::move(hooks_);
    hooks_.clear();
    for (auto& [name, hook] : hooks) hook->halt();
}

std::size_t HookDispatcher::queued(const std::string& name) const {
    auto found = hooks_.find(name);
    return found == hooks_.end() ? 0 : found->second->waiting.size();
}

void HookDispatcher::start_next(const std::shared_ptr<Hook>& hook) {
    if (stopped_ || hook->retired || hook->current || hook->waiting.empty()) return;
    hook->current = std::move(hook->waiting.front());
    hook->waiting.pop_front();
    hook->attempt = 1;
    launch(hook);
}

void HookDispatcher::launch(const std::shared_ptr<Hook>& hook) {
    hook->started = std::chrono::steady_clock::now();
    std::weak_ptr<Hook> weak = hook;
    HookDone done = [this, weak](HookOutcome outcome) {
        if (auto alive = weak.lock()) on_done(alive, std::move(outcome));
    };
    const auto& body = hook->current->body;
    if (const auto* web = std::get_if<WebhookSpec>(&hook->spec.kind))
        hook->call = post_webhook(io_, *web, body, std::move(done));
    else
        hook->call = run_exec(io_, std::get<ExecSpec>(hook->spec.kind), body, std::move(done));
}

void HookDispatcher::on_done(const std::shared_ptr<Hook>& hook, HookOutcome outcome) {
    hook->call.reset();
    std::chrono::duration<double, std::milli> took =
        std::chrono::steady_clock::now() - hook->started;
    Limits limits = limits_of(hook->spec);  // the spec of now: a reload applies to the next try
    std::uint64_t alert_seq = hook->current->alert_seq;
    int attempt = hook->attempt;
    bool final = outcome.ok || attempt >= limits.max_attempts;
    if (final) {
        hook->current.reset();
    } else {
        ++hook->attempt;
        hook->retry_timer.expires_after(retry_delay(attempt, limits.backoff, limits.max_backoff));
        std::weak_ptr<Hook> weak = hook;
        hook->retry_timer.async_wait([this, weak](boost::system::error_code ec) {
            auto alive = weak.lock();
            if (ec || !alive || alive->retired || stopped_) return;
            launch(alive);
        });
    }
    report(*hook, alert_seq, attempt, final, outcome, took.count());
    if (final) start_next(hook);
}

// A removed hook: whatever it still held ends as a final "hook removed".
void HookDispatcher::retire(Hook& hook) {
    hook.halt();
    const HookOutcome removed{false, -1, "hook removed"};
    if (hook.current) report(hook, hook.current->alert_seq, hook.attempt, true, removed, 0);
    hook.current.reset();
    for (const auto& pending : hook.waiting) report(hook, pending.alert_seq, 1, true, removed, 0);
    hook.waiting.clear();
}

void HookDispatcher::report(const Hook& hook, std::uint64_t alert_seq, int attempt, bool final,
                            const HookOutcome& outcome, double duration_ms) {
    if (final && !outcome.ok)
        spdlog::warn("hook {}: alert {} not delivered after attempt {}: {}", hook.spec.name,
                     alert_seq, attempt, outcome.detail);
    DeliveryAttempt record;
    record.hook = hook.spec.name;
    record.kind = kind_name(hook.spec);
    record.alert_seq = alert_seq;
    record.attempt = attempt;
    record.ok = outcome.ok;
    record.final = final;
    record.status = outcome.status;
    record.detail = outcome.detail;
    record.at_us = wall_clock_us();
    record.duration_ms = duration_ms;
    if (on_attempt_) on_attempt_(record);
}

}  // namespace octopus::server
