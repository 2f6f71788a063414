// Delivers alert notifications to the configured hooks (webhooks and programs). It owns one
// bounded FIFO per hook and at most one delivery in flight per hook, so one hook's
// notifications keep their order while hooks never wait on each other; it never blocks the io
// thread (every attempt is asynchronous) and never queues without bound (a full queue drops
// the new notification and reports it). Every accepted notification ends in exactly one final
// DeliveryAttempt (success, gave up, or "hook removed"), unless stop() comes first.
// Threading: like the rest of the server, every member function must be called on the io
// thread; the destructor may run elsewhere once nothing runs the io_context concurrently.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/alerts/hook_spec.hpp"

namespace octopus::server {

class HookDispatcher {
  public:
    // All callbacks run on `io`'s thread. on_attempt is called once per attempt (and once for a
    // drop). It may call enqueue(); it must not destroy the dispatcher.
    HookDispatcher(boost::asio::io_context& io,
                   std::function<void(const DeliveryAttempt&)> on_attempt);
    ~HookDispatcher();
    HookDispatcher(const HookDispatcher&) = delete;
    HookDispatcher& operator=(const HookDispatcher&) = delete;

    // Replaces the hook set (hot reload). Hooks kept by name keep their queue and the delivery
    // in flight with the NEW spec applied to later attempts; removed hooks: the delivery in
    // flight is aborted and it and the queued notifications are reported as final failures
    // "hook removed". A webhook whose host is empty is parsed here; a bad URL is logged and
    // that hook left out.
    void configure(std::vector<HookSpec> hooks);
    // Queues one notification (the alert JSON body). Never blocks. Returns false if the hook is
    // unknown (nothing reported) — a full queue reports a final failed DeliveryAttempt
    // "queue full (N waiting)" and returns false.
    bool enqueue(const std::string& hook, std::uint64_t alert_seq,
                 std::shared_ptr<const std::string> body);
    // Stops timers and in-flight work promptly (exec children killed and reaped); bounded,
    // never hangs. Nothing is reported afterwards and enqueue() returns false.
    void stop();
    std::size_t queued(const std::string& hook) const;  // for tests/metrics

  private:
    struct Hook;

    void start_next(const std::shared_ptr<Hook>& hook);
    void launch(const std::shared_ptr<Hook>& hook);
    void on_done(const std::shared_ptr<Hook>& hook, HookOutcome outcome);
    void retire(Hook& hook);
    void report(const Hook& hook, std::uint64_t alert_seq, int attempt, bool final,
                const HookOutcome& outcome, double duration_ms);

    boost::asio::io_context& io_;
    std::function<void(const DeliveryAttempt&)> on_attempt_;
    std::map<std::string, std::shared_ptr<Hook>> hooks_;
    bool stopped_ = false;
};

}  // namespace octopus::server
