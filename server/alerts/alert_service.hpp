// Alerts, wired: the rule file (load and hot reload), the engine (core/alerts/alert_engine), the
// audit trail (core/alerts/alert_log), the hooks (hook_dispatcher) and alert subscriptions on
// /v1/subscribe. A transition is recorded first; only once its record is durable are its hooks
// notified (log, ws, webhooks, exec), so a restart never notifies it again. Hook attempts are
// recorded as they end. Everything here runs on the network thread; nothing here blocks it:
// files are written by the disk writer thread, webhooks and exec hooks are asynchronous (an
// exec child is watched through a pidfd). A bad rule file at start stops the hub; at reload it is
// refused with the reason and the rules in force stay.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/alerts/alert_engine.hpp"
#include "core/alerts/alert_log.hpp"
#include "core/subscriber_sink.hpp"
#include "protocol/result.hpp"
#include "protocol/subscriber_messages.hpp"
#include "server/alerts/alert_config.hpp"
#include "server/alerts/hook_dispatcher.hpp"

namespace octopus::server {

class AlertService {
  public:
    AlertService(boost::asio::io_context& io, core::Executor& executor, core::DiskWriter& writer,
                 const core::Clock& clock, const std::filesystem::path& data_dir,
                 std::optional<std::filesystem::path> rules_file);

    // Start-up, before the hub recovers: loads the rules (throws on a bad file) and rebuilds
    // alert state from the audit trail.
    void load();
    // After start-up: redelivers hook notifications the records owe, and starts the
    // once-a-second tick for time-based conditions.
    void start();
    // Shutdown, first step (the hub must stop calling the observer too): no more evaluation, so
    // closing every crab's connection does not fire `offline` alerts. Hooks keep delivering.
    void stop_evaluating();
    // Last step, after the network thread has stopped: hook deliveries end, children killed.
    void stop();
    // Re-reads the rule file. nullopt when the new rules are in force, else why not.
    std::optional<std::string> reload();

    core::HubObserver& observer() { return engine_; }
    // The hub's snapshots up to hub_seq are durable (the disk writer's report, on this thread).
    void hub_durable(std::uint64_t hub_seq);

    // Alert subscriptions ("alerts":true on /v1/subscribe).
    void subscribe(core::SubscriberSink& sink, const protocol::Subscribe& spec);
    bool unsubscribe(core::SubscriberSink& sink, const std::string& id);
    void remove_subscriber(core::SubscriberSink& sink);
    // The sink's queue has drained: gap messages owed to its alert subscriptions go out now.
    void flush_gaps(core::SubscriberSink& sink);

    // GET /v1/alerts: every pending or firing alert, as a JSON array of events.
    std::string active_json(const std::function<bool(const std::string&)>& visible) const;
    // Prometheus text for /metrics.
    void render_metrics(core::PromText& out) const;
    std::size_t rule_count() const { return engine_.rules().size(); }
    bool has_rules_file() const { return rules_file_.has_value(); }
    std::size_t hook_count() const { return hook_count_; }

  private:
    struct HookStats {
        std::uint64_t ok = 0, failed = 0, gave_up = 0;
    };
    struct AlertSub {
        std::vector<std::string> crabs;                      // globs
        std::uint64_t gap_from = 0, gap_to = 0, missed = 0;  // dropped by a full queue
    };
    struct Owed {
        std::uint64_t alert_seq;
        std::string hook;
        std::shared_ptr<const std::string> json;
    };
    struct Recent {
        std::uint64_t alert_seq;
        std::string crab;
        std::shared_ptr<const std::string> json;
    };

    void apply(AlertConfig config);
    void on_transition(const core::AlertTransition& t);
    void notify(const core::AlertTransition& t, const std::shared_ptr<const std::string>& json);
    void release();
    std::set<std::pair<std::uint64_t, std::string>> settled(std::uint64_t oldest);
    void redrive();
    void remember(Recent r);
    // (subscriptions sent to, subscriptions whose full queue refused it)
    std::pair<std::size_t, std::size_t> publish(const Recent& r);
    bool send(core::SubscriberSink& sink, const std::string& id, AlertSub& sub, const Recent& r);
    bool send_gap(core::SubscriberSink& sink, const std::string& id, AlertSub& sub);
    DeliveryAttempt builtin_attempt(const core::AlertTransition& t, const char* hook,
                                    std::string detail) const;
    void on_attempt(const DeliveryAttempt& a);
    void schedule_tick();

    std::optional<std::filesystem::path> rules_file_;
    const core::Clock& clock_;
    core::AlertEngine engine_;
    core::AlertLog log_;
    HookDispatcher hooks_;
    std::size_t hook_count_ = 0;
    boost::asio::steady_timer tick_;
    bool stopped_ = false;
    struct Waiting {
        core::AlertTransition t;
        std::shared_ptr<const std::string> json;
    };
    // Recorded notifications waiting for the snapshot that caused them to be durable, in order.
    std::deque<Waiting> waiting_;
    std::uint64_t durable_hub_seq_ = 0;
    std::deque<Owed> owed_;      // start-up only: the newest hook notifications, to redrive
    std::deque<Recent> recent_;  // notified events that went to "ws", newest last (bounded)
    // Alert subscriptions: sink -> id -> subscription.
    std::map<core::SubscriberSink*, std::map<std::string, AlertSub>> subs_;
    std::array<std::uint64_t, 4> transitions_{};  // by state entered
    std::map<std::string, HookStats> hook_stats_;
    std::uint64_t reloads_ = 0, reload_failures_ = 0;
    std::uint64_t ticks_ = 0;  // engine ticks so far (tests wait for ticks, not time)
};

}  // namespace octopus::server
