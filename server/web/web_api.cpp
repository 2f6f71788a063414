#include "server/web/web_api.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

namespace octopus::server::web {

namespace {

std::uint64_t get(const core::Counter& c) {
    return c.load(std::memory_order_relaxed);
}

nlohmann::json ack_latency(const core::LatencyHistogram& h) {
    auto bounds = nlohmann::json::array();
    for (double b : core::LatencyHistogram::kBounds) bounds.push_back(b);
    auto counts = nlohmann::json::array();
    std::uint64_t total = 0;
    for (auto n : h.counts()) {
        counts.push_back(n);
        total += n;
    }
    return {{"le", bounds}, {"counts", counts}, {"count", total}, {"sum", h.sum()}};
}

}  // namespace

std::string hub_stats_json(ServerContext& ctx) {
    const auto& m = ctx.metrics;
    auto crabs = ctx.hub.crabs();
    auto online = core::count_online(crabs);
    std::uint64_t errors = 0;
    for (const auto& e : m.errors) errors += get(e);
    auto now = std::chrono::system_clock::now().time_since_epoch();
    nlohmann::json body = {{"at", std::chrono::duration<double>(now).count()},
                           {"hub_seq", ctx.hub.hub_seq()},
                           {"crabs_known", crabs.size()},
                           {"crabs_online", online},
                           {"connections_open", get(m.connections_open)},
                           {"crab_sessions_open", get(m.crab_sessions_open)},
                           {"subscriber_sessions_open", get(m.subscriber_sessions_open)},
                           {"snapshots_accepted", get(m.snapshots_accepted)},
                           {"snapshots_duplicate", get(m.snapshots_duplicate)},
                           {"events_delivered", get(m.events_delivered)},
                           {"subscriber_drops", get(m.subscriber_drops)},
                           {"fsyncs", get(m.fsyncs)},
                           {"disk_bytes_written", get(m.disk_bytes_written)},
                           {"http_requests", get(m.http_requests)},
                           {"errors", errors},
                           {"ack_latency_seconds", ack_latency(m.ack_latency)}};
    return body.dump();
}

std::string latest_json(const ServerContext& ctx, const Caller& who) {
    std::string body = "[";
    for (const auto& c : ctx.hub.crabs()) {
        if (!who.allows(core::auth::Right::read, c.name)) continue;
        auto newest = ctx.hub.newest(c.name);
        if (!newest) continue;
        if (body.size() > 1) body += ',';
        body += newest->json();
    }
    return body + ']';
}

std::string whoami_json(const ServerContext& ctx, const Caller& who) {
    nlohmann::json body = {{"auth", ctx.auth->enabled()}};
    if (!who.grant) return body.dump();
    auto scopes = nlohmann::json::array();
    for (const auto& s : who.grant->scopes) scopes.push_back(core::auth::scope_text(s));
    body["id"] = who.grant->id;
    body["scopes"] = scopes;
    if (who.by_certificate) body["certificate"] = true;
    if (who.grant->expires) {
        body["expires"] =
            std::chrono::duration<double>(who.grant->expires->time_since_epoch()).count();
    }
    return body.dump();
}

}  // namespace octopus::server::web
