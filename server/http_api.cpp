// Routing and handlers of the HTTP API. Every handler answers through `respond`, at once or
// later: a push after durability, a collect when the crab answers or its timeout fires. Query
// strings are parsed here (%XX-decoded, duplicates refused); what the parameters of a records
// query mean is core/storage/records_query's business. Runs on the network thread only.
#include "server/http_api.hpp"

#include "server/http_query.hpp"
#include "server/http_routes.hpp"
#include "server/web/web_api.hpp"
#include "server/web/web_assets.hpp"

#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "core/storage/records_query.hpp"
#include "protocol/encoder.hpp"
#include "protocol/json_text.hpp"
#include "protocol/limits.hpp"
#include "protocol/names.hpp"

namespace octopus::server {

namespace http = boost::beast::http;
using core::auth::Right;
using protocol::Error;
using protocol::ErrorCode;

namespace {

std::string_view target_of(const HttpRequest& req) {
    return {req.target().data(), req.target().size()};
}

// Every HTTP refusal is counted by code, like the WebSocket ones.
HttpResponse reject(ServerContext& ctx, const Error& error, unsigned version) {
    ctx.metrics.count_error(error.code);
    return error_response(error, version);
}

Error unknown_crab(const std::string& name) {
    return {ErrorCode::unknown_crab, "no crab named \"" + name + "\""};
}

double seconds(std::int64_t us) {
    return static_cast<double>(us) / 1e6;
}

nlohmann::json crab_json(const core::CrabInfo& c) {
    auto opt = [](const std::optional<std::uint64_t>& v) {
        return v ? nlohmann::json(*v) : nlohmann::json();
    };
    return {
        {"name", c.name},
        {"online", c.online},
        {"seq", opt(c.seq)},
        {"durable_seq", opt(c.durable_seq)},
        {"last_hub_seq", c.last_hub_seq},
        {"last_received_at",
         c.last_received_at_us ? nlohmann::json(seconds(c.last_received_at_us)) : nlohmann::json()},
        {"buffered", c.buffered},
        {"buffer_size", c.buffer_size},
        {"stored", c.stored},
        {"accepted", c.accepted},
        {"duplicates", c.duplicates},
        {"rejected", c.rejected}};
}

HttpResponse buffer_response(ServerContext& ctx, const std::string& name, unsigned version) {
    auto items = ctx.hub.get_buffer(name);
    if (!items) return reject(ctx, items.error(), version);
    std::string body = "[";
    for (const auto& s : items.value()) {
        if (body.size() > 1) body += ',';
        body += s->json();
    }
    body += ']';
    return json_response(200, std::move(body), version);
}

void push(ServerContext& ctx, const std::string& name, const HttpRequest& req, Respond respond) {
    auto version = req.version();
    auto batch = ctx.decoder.decode_push_body(req.body());
    if (!batch) return respond(reject(ctx, batch.error(), version));
    auto info = ctx.hub.crab(name);
    if (info && info->online) {
        return respond(reject(ctx,
                              {ErrorCode::duplicate_crab,
                               "crab \"" + name + "\" is connected over WebSocket; push there"},
                              version));
    }
    auto accepted =
        ctx.hub.ingest(name, batch.value().items, [respond, version](std::uint64_t seq) {
            respond(json_response(200, protocol::encode_ack(seq), version));
        });
    if (!accepted) respond(reject(ctx, accepted.error(), version));
}

// POST /v1/admin/crabs/NAME/reset-seq, body {"seq":N} (or empty for 0): see core/seq_reset.hpp.
HttpResponse reset_seq_response(ServerContext& ctx, const std::string& crab,
                                const HttpRequest& req) {
    auto v = req.version();
    std::uint64_t seq = 0;
    if (!req.body().empty()) {
        if (!protocol::json_nesting_within(req.body(), protocol::max_json_depth))
            return reject(ctx, protocol::too_deep_error(), v);
        auto body = nlohmann::json::parse(req.body(), nullptr, false);
        if (body.is_discarded()) return reject(ctx, {ErrorCode::bad_json, "malformed JSON"}, v);
        if (!body.is_object() || body.size() != 1 || !body.contains("seq") ||
            !body["seq"].is_number_unsigned() ||
            body["seq"].get<std::uint64_t>() > protocol::max_seq) {
            return reject(ctx,
                          {ErrorCode::bad_message,
                           "body must be {\"seq\":N} with N from 0 to 2^53-1, or empty for 0"},
                          v);
        }
        seq = body["seq"].get<std::uint64_t>();
    }
    auto done = ctx.hub.reset_seq(crab, seq);
    if (!done) return reject(ctx, done.error(), v);
    nlohmann::json answer = {{"crab", crab}, {"seq", seq}};
    return json_response(200, answer.dump(), v);
}

// Collect timeouts: timeout_ms, default 2 s, larger values cut to 30 s so a forgotten request
// cannot hold a connection for long.
constexpr std::chrono::milliseconds kCollectTimeout{2000};
constexpr std::chrono::milliseconds kMaxCollectTimeout{30000};

protocol::Result<std::chrono::milliseconds> collect_timeout(std::string_view target) {
    auto params = query_params(target);
    if (!params) return params.error();
    std::chrono::milliseconds timeout = kCollectTimeout;
    for (const auto& [name, value] : params.value()) {
        if (name != "timeout_ms")
            return Error{ErrorCode::bad_message, "unknown parameter \"" + name + "\" (timeout_ms)"};
        std::uint64_t ms = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
        if (ec != std::errc() || end != value.data() + value.size() || ms == 0)
            return Error{ErrorCode::bad_message, "timeout_ms must be a whole number >= 1"};
        auto cap = static_cast<std::uint64_t>(kMaxCollectTimeout.count());
        timeout = std::chrono::milliseconds(std::min(ms, cap));
    }
    return timeout;
}

void collect_one(ServerContext& ctx, const std::string& name, const HttpRequest& req,
                 Respond respond) {
    auto v = req.version();
    auto timeout = collect_timeout(target_of(req));
    if (!timeout) return respond(reject(ctx, timeout.error(), v));
    ctx.hub.collect_once(name, timeout.value(),
                         [&ctx, respond, v](protocol::Result<core::SnapshotPtr> r) {
                             if (!r) return respond(reject(ctx, r.error(), v));
                             respond(json_response(200, std::string(r.value()->json()), v));
                         });
}

// {"snapshots":[ENVELOPE...],"missing":[{"code","crab","message"}...]}, each in arrival order.
// A missing crab is counted under its error code, like a refusal.
std::string collect_all_body(ServerContext& ctx, const core::CollectAllResult& result) {
    std::string body = "{\"snapshots\":[";
    for (std::size_t i = 0; i < result.snapshots.size(); ++i) {
        if (i) body += ',';
        body += result.snapshots[i]->json();
    }
    auto missing = nlohmann::json::array();
    for (const auto& [crab, error] : result.missing) {
        ctx.metrics.count_error(error.code);
        missing.push_back({{"crab", crab},
                           {"code", protocol::to_string(error.code)},
                           {"message", error.message}});
    }
    return body + "],\"missing\":" + missing.dump() + "}";
}

// Asks every online crab the caller may collect from.
void collect_every(ServerContext& ctx, const HttpRequest& req, const Caller& who, Respond respond) {
    auto v = req.version();
    auto timeout = collect_timeout(target_of(req));
    if (!timeout) return respond(reject(ctx, timeout.error(), v));
    ctx.hub.collect_all(
        timeout.value(),
        [&ctx, respond, v](core::CollectAllResult r) {
            respond(json_response(200, collect_all_body(ctx, r), v));
        },
        [who](const std::string& crab) { return who.allows(Right::collect, crab); });
}

// GET /v1/crabs/NAME/records: the crab must exist, then the parameters must be valid. The
// query itself runs on the query worker (it may scan files); the ring is copied here.
void records(ServerContext& ctx, const std::string& name, const HttpRequest& req, Respond respond) {
    auto v = req.version();
    auto info = ctx.hub.crab(name);
    if (!info) return respond(reject(ctx, unknown_crab(name), v));
    auto params = query_params(target_of(req));
    if (!params) return respond(reject(ctx, params.error(), v));
    auto query = core::parse_records_query(params.value());
    if (!query) return respond(reject(ctx, query.error(), v));
    core::RecordsSource source{ctx.config.data_dir / name, name, ctx.hub.get_buffer(name).value(),
                               info->stored == info->buffered};
    // `respond` (it holds the HTTP session) lives in one place at a time, and ends up in the
    // continuation, so the session is only ever released on the network thread.
    auto shared = std::make_shared<Respond>(std::move(respond));
    auto job = [&ctx, source = std::move(source), query = std::move(query.value()), shared,
                v](protocol::Decoder& decoder) -> QueryWorker::Then {
        auto body = std::make_shared<protocol::Result<std::string>>(
            core::run_records_query(source, query, decoder));
        return [&ctx, body, respond = std::move(*shared), v] {
            if (!*body) return respond(reject(ctx, body->error(), v));
            respond(json_response(200, std::move(body->value()), v));
        };
    };
    auto failed = [shared, v](const std::string& what) -> QueryWorker::Then {
        return [respond = std::move(*shared), what, v] {
            nlohmann::json body = {{"code", "internal"},
                                   {"message", "records query failed: " + what}};
            respond(json_response(500, body.dump(), v));
        };
    };
    if (!ctx.queries->submit(std::move(job), std::move(failed))) {
        (*shared)(reject(ctx,
                         {ErrorCode::overloaded, "too many records queries in progress (" +
                                                     std::to_string(QueryWorker::kMaxQueued) +
                                                     " queued); retry later"},
                         v));
    }
}

// Only the crabs the caller may read: a token never learns that others exist.
nlohmann::json crabs_json(const core::Hub& hub, const Caller& who) {
    auto list = nlohmann::json::array();
    for (const auto& c : hub.crabs()) {
        if (who.allows(Right::read, c.name)) list.push_back(crab_json(c));
    }
    return list;
}

// The [[polling]] scheduler's counters, one Prometheus counter per outcome.
void poll_metrics(core::PromText& out, const core::PollCounters& c) {
    out.family("octopus_poll_total", "counter",
               "Scheduled collect requests ([[polling]]), by outcome.");
    for (auto [outcome, n] : {std::pair{"requested", c.requests},
                              {"answered", c.answered},
                              {"timeout", c.timeouts},
                              {"failed", c.failed},
                              {"deferred", c.deferred},
                              {"skipped_busy", c.skipped_busy},
                              {"silent", c.silent}})
        out.sample("octopus_poll_total", {{"outcome", outcome}}, static_cast<double>(n));
}

// POST /v1/admin/reload: the alert rules, the token file and the TLS certificate are read again;
// a bad file changes nothing of its own kind (the others still reload) and the answer names it.
HttpResponse reload_response(ServerContext& ctx, unsigned version) {
    std::string what;
    // With tokens or TLS configured and no rules file, there are simply no rules to reload.
    bool rules = ctx.alerts->has_rules_file() || (!ctx.auth->enabled() && !ctx.tls->enabled());
    for (auto problem :
         {rules ? ctx.alerts->reload() : std::nullopt, ctx.auth->reload(), ctx.tls->reload()}) {
        if (problem) what += (what.empty() ? "" : "; ") + *problem;
    }
    if (!what.empty()) {
        return reject(ctx, {ErrorCode::bad_config, what}, version);
    }
    nlohmann::json body = {{"reloaded", true},
                           {"rules", ctx.alerts->rule_count()},
                           {"hooks", ctx.alerts->hook_count()},
                           {"tokens", ctx.auth->token_count()}};
    return json_response(200, body.dump(), version);
}

// 200 ok; 503 stopping; 503 degraded while writes are refused (reads still served).
HttpResponse health_response(ServerContext& ctx, unsigned v) {
    nlohmann::json body = {{"status", "ok"}, {"hub_seq", ctx.hub.hub_seq()}};
    if (ctx.config.insecure) body["insecure"] = true;
    auto problem = ctx.hub.write_problem();
    if (ctx.stopping) {
        body["status"] = "stopping";
    } else if (problem) {
        body["status"] = "degraded";
        body["problem"] = *problem;
    }
    return json_response(ctx.stopping || problem ? 503 : 200, body.dump(), v);
}

}  // namespace

HttpResponse json_response(unsigned status, std::string body, unsigned version) {
    HttpResponse res{static_cast<http::status>(status), version};
    res.set(http::field::server, "octopus");
    res.set(http::field::content_type, "application/json");
    res.body() = std::move(body);
    return res;
}

HttpResponse error_response(const Error& error, unsigned version) {
    return json_response(protocol::http_status(error.code), protocol::encode_error(error), version);
}

namespace {

HttpResponse metrics_response(ServerContext& ctx, unsigned v) {
    auto crabs = ctx.hub.crabs();
    auto online = core::count_online(crabs);
    core::PromText text;
    ctx.metrics.render(
        text,
        {{"octopus_hub_seq", "The highest hub_seq handed out.",
          static_cast<double>(ctx.hub.hub_seq())},
         {"octopus_crabs_known", "Crabs known to the hub (on disk or connected).",
          static_cast<double>(crabs.size())},
         {"octopus_crabs_online", "Crabs with a live connection.", static_cast<double>(online)}});
    ctx.alerts->render_metrics(text);
    if (ctx.poller) poll_metrics(text, ctx.poller->counters());
    auto res = json_response(200, std::move(text.text()), v);
    res.set(http::field::content_type, "text/plain; version=0.0.4");
    return res;
}

// GET /, /assets/NAME, /licenses...: the Web Bell's embedded files, open to everyone.
HttpResponse web_asset(ServerContext& ctx, const HttpRequest& req) {
    auto target = target_of(req);
    auto path = target.substr(0, target.find('?'));
    if (const auto* asset = web::find_asset(path)) return web::asset_response(*asset, req);
    return reject(ctx, {ErrorCode::not_found, "no such file: " + std::string(path)}, req.version());
}

// A handler answers through `respond`, now or later; {crab} is already a valid name.
using Handler = void (*)(ServerContext& ctx, const HttpRequest& req, const std::string& crab,
                         const Caller& who, Respond& respond);
using http::verb;

void serve_asset(ServerContext& ctx, const HttpRequest& req, const std::string&, const Caller&,
                 Respond& respond) {
    respond(web_asset(ctx, req));
}

// Every HTTP route the hub serves (protocol/README.md lists them with their answers).
const std::vector<Route<Handler>>& route_table() {
    static const std::vector<Route<Handler>> table = {
        {verb::get, "/healthz", std::nullopt,
         [](ServerContext& ctx, const HttpRequest& req, const std::string&, const Caller&,
            Respond& respond) { respond(health_response(ctx, req.version())); }},
        {verb::get, "/", std::nullopt, serve_asset},
        {verb::get, "/assets/{file}", std::nullopt, serve_asset},
        {verb::get, "/licenses", std::nullopt, serve_asset},
        {verb::get, "/licenses/{file}", std::nullopt, serve_asset},
        {verb::get, "/v1/hub/stats", Right::metrics,
         [](ServerContext& ctx, const HttpRequest& req, const std::string&, const Caller&,
            Respond& respond) {
             respond(json_response(200, web::hub_stats_json(ctx), req.version()));
         }},
        {verb::get, "/v1/latest", Right::read,
         [](ServerContext& ctx, const HttpRequest& req, const std::string&, const Caller& who,
            Respond& respond) {
             respond(json_response(200, web::latest_json(ctx, who), req.version()));
         }},
        {verb::get, "/v1/whoami", Right::read,
         [](ServerContext& ctx, const HttpRequest& req, const std::string&, const Caller& who,
            Respond& respond) {
             respond(json_response(200, web::whoami_json(ctx, who), req.version()));
         }},
        {verb::get, "/metrics", Right::metrics,
         [](ServerContext& ctx, const HttpRequest& req, const std::string&, const Caller&,
            Respond& respond) { respond(metrics_response(ctx, req.version())); }},
        {verb::get, "/v1/crabs", Right::read,
         [](ServerContext& ctx, const HttpRequest& req, const std::string&, const Caller& who,
            Respond& respond) {
             respond(json_response(200, crabs_json(ctx.hub, who).dump(), req.version()));
         }},
        {verb::get, "/v1/crabs/{crab}", Right::read,
         [](ServerContext& ctx, const HttpRequest& req, const std::string& crab, const Caller&,
            Respond& respond) {
             auto info = ctx.hub.crab(crab);
             if (!info) return respond(reject(ctx, unknown_crab(crab), req.version()));
             respond(json_response(200, crab_json(*info).dump(), req.version()));
         }},
        {verb::get, "/v1/crabs/{crab}/buffer", Right::read,
         [](ServerContext& ctx, const HttpRequest& req, const std::string& crab, const Caller&,
            Respond& respond) { respond(buffer_response(ctx, crab, req.version())); }},
        {verb::post, "/v1/crabs/{crab}/snapshots", Right::push,
         [](ServerContext& ctx, const HttpRequest& req, const std::string& crab, const Caller&,
            Respond& respond) { push(ctx, crab, req, std::move(respond)); }},
        {verb::post, "/v1/crabs/{crab}/collect", Right::collect,
         [](ServerContext& ctx, const HttpRequest& req, const std::string& crab, const Caller&,
            Respond& respond) { collect_one(ctx, crab, req, std::move(respond)); }},
        {verb::get, "/v1/crabs/{crab}/records", Right::read,
         [](ServerContext& ctx, const HttpRequest& req, const std::string& crab, const Caller&,
            Respond& respond) { records(ctx, crab, req, std::move(respond)); }},
        {verb::post, "/v1/collect", Right::collect,
         [](ServerContext& ctx, const HttpRequest& req, const std::string&, const Caller& who,
            Respond& respond) { collect_every(ctx, req, who, std::move(respond)); }},
        {verb::get, "/v1/alerts", Right::read,
         [](ServerContext& ctx, const HttpRequest& req, const std::string&, const Caller& who,
            Respond& respond) {
             auto visible = [&who](const std::string& crab) {
                 return who.allows(Right::read, crab);
             };
             respond(json_response(200, ctx.alerts->active_json(visible), req.version()));
         }},
        {verb::post, "/v1/admin/reload", Right::admin,
         [](ServerContext& ctx, const HttpRequest& req, const std::string&, const Caller&,
            Respond& respond) { respond(reload_response(ctx, req.version())); }},
        {verb::post, "/v1/admin/crabs/{crab}/reset-seq", Right::admin,
         [](ServerContext& ctx, const HttpRequest& req, const std::string& crab, const Caller&,
            Respond& respond) { respond(reset_seq_response(ctx, crab, req)); }},
    };
    return table;
}

}  // namespace

namespace {

// Authenticates the caller of `row` and checks its scope; the refusal, if any, is answered.
std::optional<Caller> admit(ServerContext& ctx, const HttpRequest& req, const Peer& peer,
                            const Route<Handler>& row, const std::string& crab, Respond& respond) {
    if (!row.need) return Caller{};
    auto who = ctx.auth->authenticate(req, peer);
    if (!who) {
        respond(reject(ctx, who.error(), req.version()));
        return std::nullopt;
    }
    auto right = *row.need;
    bool crab_scoped = core::auth::names_crabs(right) && !crab.empty();
    if (crab_scoped ? who.value().allows(right, crab) : who.value().holds(right))
        return who.value();
    respond(
        reject(ctx,
               {ErrorCode::forbidden,
                "this token lacks the scope " + std::string(core::auth::to_string(right)) +
                    (core::auth::names_crabs(right) ? ":" + (crab.empty() ? "GLOB" : crab) : "")},
               req.version()));
    return std::nullopt;
}

}  // namespace

std::vector<RouteInfo> http_routes() {
    std::vector<RouteInfo> out;
    for (const auto& r : route_table()) out.push_back({r.method, r.pattern, r.need});
    return out;
}

void handle_http(ServerContext& ctx, const HttpRequest& req, const Peer& peer, Respond respond) {
    std::string_view target = target_of(req);
    auto path = target.substr(0, target.find('?'));
    const Route<Handler>* row = nullptr;
    RouteMatch match;
    switch (find_route(route_table(), req.method(), path, row, match)) {
        case RouteOutcome::found:
            if (auto who = admit(ctx, req, peer, *row, match.crab, respond))
                row->handler(ctx, req, match.crab, *who, respond);
            return;
        case RouteOutcome::bad_name:
            return respond(reject(ctx, protocol::bad_name_error(), req.version()));
        case RouteOutcome::method_not_allowed:
            return respond(reject(ctx, {ErrorCode::method_not_allowed, "method not allowed here"},
                                  req.version()));
        case RouteOutcome::not_found:
            break;
    }
    respond(
        reject(ctx, {ErrorCode::not_found, "no such route: " + std::string(path)}, req.version()));
}

}  // namespace octopus::server
