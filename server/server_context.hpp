// What every session and HTTP handler shares: the config, the hub, metrics, the decoder, the
// alert service, the records-query worker, the poll scheduler (for its counters) and the live
// sessions (so shutdown can close each with its proper code). Built with designated
// initialisers by the hub runtime (server/hub_server.cpp). Every member is used on the network
// thread only: the decoder is not thread-safe and the hub is single-threaded; the query worker
// hands its answers back to this thread.
#pragma once

#include <functional>
#include <memory>
#include <unordered_map>
#include <utility>

#include "core/hub.hpp"
#include "core/metrics.hpp"
#include "core/poll_scheduler.hpp"
#include "protocol/decoder.hpp"
#include "server/alerts/alert_service.hpp"
#include "server/auth/auth_service.hpp"
#include "server/config.hpp"
#include "server/query_worker.hpp"
#include "server/request_guard.hpp"
#include "server/tls/tls_service.hpp"

namespace octopus::server {

class Closable {
  public:
    virtual ~Closable() = default;
    // Ends the session: a WebSocket sends close 1001 (going away), HTTP just closes.
    virtual void shut_down() = 0;
    // The token file changed or a token expired: look the session's token up again and drop
    // what it may no longer do (AuthService::refresh).
    virtual void recheck_access() {}
};

struct ServerContext {
    const Config& config;
    core::Hub& hub;
    core::Metrics& metrics;
    protocol::Decoder decoder;
    AlertService* alerts = nullptr;               // alert rules, hooks and alert subscriptions
    QueryWorker* queries = nullptr;               // runs records queries off this thread
    const core::PollScheduler* poller = nullptr;  // [[polling]], for its /metrics counters
    AuthService* auth = nullptr;                  // tokens and scopes (auth_service.hpp)
    TlsService* tls = nullptr;                    // the TLS context in force ([tls])
    GuardPolicy guard{};                          // Origin and Host checks (request_guard.hpp)
    std::unordered_map<const Closable*, std::weak_ptr<Closable>> sessions{};
    bool stopping = false;
    std::function<void()> on_drained{};  // called once stopping and the last session has gone

    void track(const std::shared_ptr<Closable>& s) { sessions[s.get()] = s; }
    void untrack(const Closable* s) {
        sessions.erase(s);
        if (stopping && sessions.empty() && on_drained) std::exchange(on_drained, nullptr)();
    }
    void recheck_access() {
        auto live = sessions;  // a session may close (and untrack) itself while rechecked
        for (auto& [ptr, weak] : live) {
            if (auto s = weak.lock()) s->recheck_access();
        }
    }
};

}  // namespace octopus::server
