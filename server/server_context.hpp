// What every session shares: the hub, metrics, limits and the decoder. All of it is used on
// the single network thread only (the decoder is not thread-safe; the hub is single-threaded).
// Sessions register here so shutdown can close each one with its proper code.
#pragma once

#include <functional>
#include <memory>
#include <unordered_map>
#include <utility>

#include "core/hub.hpp"
#include "core/metrics.hpp"
#include "core/poll_scheduler.hpp"
#include "protocol/decoder.hpp"
#include "server/alert_service.hpp"
#include "server/config.hpp"
#include "server/query_worker.hpp"

namespace octopus::server {

class Closable {
  public:
    virtual ~Closable() = default;
    // Ends the session: a WebSocket sends close 1001 (going away), HTTP just closes.
    virtual void shut_down() = 0;
};

struct ServerContext {
    const Config& config;
    core::Hub& hub;
    core::Metrics& metrics;
    protocol::Decoder decoder;
    AlertService* alerts = nullptr;               // alert rules, hooks and alert subscriptions
    QueryWorker* queries = nullptr;               // runs records queries off this thread
    const core::PollScheduler* poller = nullptr;  // [[polling]], for its /metrics counters
    std::unordered_map<const Closable*, std::weak_ptr<Closable>> sessions;
    bool stopping = false;
    std::function<void()> on_drained;  // called once stopping and the last session has gone

    void track(const std::shared_ptr<Closable>& s) { sessions[s.get()] = s; }
    void untrack(const Closable* s) {
        sessions.erase(s);
        if (stopping && sessions.empty() && on_drained) std::exchange(on_drained, nullptr)();
    }
};

}  // namespace octopus::server
