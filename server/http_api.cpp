// Routing and handlers of the HTTP API. Every handler answers through `respond`, at once or
// later: a push after durability, a collect when the crab answers or its timeout fires. Query
// strings are parsed here (%XX-decoded, duplicates refused); what the parameters of a records
// query mean is core/records_query's business. Runs on the network thread only.
#include "server/http_api.hpp"

#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "core/records_query.hpp"
#include "protocol/encoder.hpp"
#include "protocol/json_text.hpp"
#include "protocol/limits.hpp"
#include "protocol/names.hpp"

namespace octopus::server {

namespace http = boost::beast::http;
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

// /v1/crabs/NAME/REST -> NAME and REST; false if the target is not under /v1/crabs/.
bool split_crab_target(std::string_view target, std::string& name, std::string& rest) {
    constexpr std::string_view prefix = "/v1/crabs/";
    if (target.substr(0, prefix.size()) != prefix) return false;
    target.remove_prefix(prefix.size());
    auto slash = target.find('/');
    name.assign(target.substr(0, slash));
    rest.assign(slash == std::string_view::npos ? "" : target.substr(slash + 1));
    return true;
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
HttpResponse reset_seq_response(ServerContext& ctx, std::string_view name, const HttpRequest& req) {
    auto v = req.version();
    std::string crab(name);
    if (!protocol::is_valid_crab_name(crab)) return reject(ctx, protocol::bad_name_error(), v);
    std::uint64_t seq = 0;
    if (!req.body().empty()) {
        if (!protocol::json_nesting_within(req.body(), protocol::max_json_depth))
            return reject(ctx, {ErrorCode::bad_json, "JSON nested too deep"}, v);
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

// %XX-decodes a query-string component; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        unsigned char byte = 0;
        auto hex = text.substr(i + 1, 2);
        auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), byte, 16);
        if (hex.size() != 2 || ec != std::errc() || end != hex.data() + 2) return std::nullopt;
        out += static_cast<char>(byte);
        i += 2;
    }
    return out;
}

// The parameters after '?': name=value pairs joined by '&'. A pair without '=' has an empty
// value; a malformed escape or a repeated name is bad_message.
protocol::Result<std::map<std::string, std::string>> query_params(std::string_view target) {
    std::map<std::string, std::string> params;
    auto q = target.find('?');
    if (q == std::string_view::npos) return params;
    for (auto rest = target.substr(q + 1); !rest.empty();) {
        auto pair = rest.substr(0, rest.find('&'));
        rest.remove_prefix(std::min(rest.size(), pair.size() + 1));
        if (pair.empty()) continue;
        auto eq = std::min(pair.find('='), pair.size());
        auto name = percent_decode(pair.substr(0, eq));
        auto value = percent_decode(pair.substr(std::min(eq + 1, pair.size())));
        if (!name || !value) return Error{ErrorCode::bad_message, "malformed %-escape in query"};
        if (!params.emplace(*name, *value).second)
            return Error{ErrorCode::bad_message, "query parameter \"" + *name + "\" repeated"};
    }
    return params;
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

void collect_every(ServerContext& ctx, const HttpRequest& req, Respond respond) {
    auto v = req.version();
    auto timeout = collect_timeout(target_of(req));
    if (!timeout) return respond(reject(ctx, timeout.error(), v));
    ctx.hub.collect_all(timeout.value(), [&ctx, respond, v](core::CollectAllResult r) {
        respond(json_response(200, collect_all_body(ctx, r), v));
    });
}

// GET /v1/crabs/NAME/records: the crab must exist, then the parameters must be valid.
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

void crab_route(ServerContext& ctx, const HttpRequest& req, Respond& respond) {
    std::string name, rest;
    auto target = target_of(req);
    split_crab_target(target.substr(0, target.find('?')), name, rest);
    auto v = req.version();
    if (!protocol::is_valid_crab_name(name)) {
        return respond(reject(
            ctx, {ErrorCode::bad_name, "crab name must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
            v));
    }
    bool get = req.method() == http::verb::get;
    bool post = req.method() == http::verb::post;
    if (rest.empty() && get) {
        auto info = ctx.hub.crab(name);
        if (!info) return respond(reject(ctx, unknown_crab(name), v));
        return respond(json_response(200, crab_json(*info).dump(), v));
    }
    if (rest == "buffer" && get) return respond(buffer_response(ctx, name, v));
    if (rest == "snapshots" && post) return push(ctx, name, req, std::move(respond));
    if (rest == "collect" && post) return collect_one(ctx, name, req, std::move(respond));
    if (rest == "records" && get) return records(ctx, name, req, std::move(respond));
    if (rest.empty() || rest == "buffer" || rest == "snapshots" || rest == "collect" ||
        rest == "records") {
        return respond(reject(ctx, {ErrorCode::method_not_allowed, "method not allowed here"}, v));
    }
    respond(reject(ctx, {ErrorCode::not_found, "no such route"}, v));
}

nlohmann::json crabs_json(const core::Hub& hub) {
    auto list = nlohmann::json::array();
    for (const auto& c : hub.crabs()) list.push_back(crab_json(c));
    return list;
}

// The [[polling]] scheduler's counters, one Prometheus counter per outcome.
std::string poll_metrics(const core::PollCounters& c) {
    std::string out =
        "# HELP octopus_poll_total Scheduled collect requests ([[polling]]), by outcome.\n"
        "# TYPE octopus_poll_total counter\n";
    for (auto [outcome, n] : {std::pair{"requested", c.requests},
                              {"answered", c.answered},
                              {"timeout", c.timeouts},
                              {"failed", c.failed},
                              {"deferred", c.deferred},
                              {"skipped_busy", c.skipped_busy},
                              {"silent", c.silent}})
        out += "octopus_poll_total{outcome=\"" + std::string(outcome) + "\"} " + std::to_string(n) +
               "\n";
    return out;
}

// POST /v1/admin/reload: the alert rules file is read again; a bad one changes nothing.
HttpResponse reload_response(ServerContext& ctx, unsigned version) {
    if (auto problem = ctx.alerts->reload())
        return reject(ctx, {ErrorCode::bad_config, *problem}, version);
    nlohmann::json body = {{"reloaded", true},
                           {"rules", ctx.alerts->rule_count()},
                           {"hooks", ctx.alerts->hook_count()}};
    return json_response(200, body.dump(), version);
}

// "/v1/admin/crabs/NAME/ACTION" -> NAME (unchecked), for the one ACTION.
std::optional<std::string_view> admin_crab_target(std::string_view path, std::string_view action) {
    constexpr std::string_view prefix = "/v1/admin/crabs/";
    if (path.substr(0, prefix.size()) != prefix) return std::nullopt;
    auto rest = path.substr(prefix.size());
    auto slash = rest.find('/');
    if (slash == std::string_view::npos || rest.substr(slash + 1) != action) return std::nullopt;
    return rest.substr(0, slash);
}

// 200 ok; 503 stopping; 503 degraded while writes are refused (reads still served).
HttpResponse health_response(ServerContext& ctx, unsigned v) {
    nlohmann::json body = {{"status", "ok"}, {"hub_seq", ctx.hub.hub_seq()}};
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

void handle_http(ServerContext& ctx, const HttpRequest& req, Respond respond) {
    std::string_view target = target_of(req);
    auto v = req.version();
    auto path = target.substr(0, target.find('?'));
    bool get = req.method() == http::verb::get;
    if (path.substr(0, 10) == "/v1/crabs/") return crab_route(ctx, req, respond);
    if (path == "/v1/collect" && req.method() == http::verb::post)
        return collect_every(ctx, req, std::move(respond));
    if (path == "/healthz" && get) return respond(health_response(ctx, v));
    if (path == "/v1/crabs" && get)
        return respond(json_response(200, crabs_json(ctx.hub).dump(), v));
    if (path == "/v1/alerts" && get)
        return respond(json_response(200, ctx.alerts->active_json(), v));
    if (path == "/v1/admin/reload" && req.method() == http::verb::post)
        return respond(reload_response(ctx, v));
    if (auto name = admin_crab_target(path, "reset-seq")) {
        if (req.method() == http::verb::post) return respond(reset_seq_response(ctx, *name, req));
        return respond(reject(ctx, {ErrorCode::method_not_allowed, "method not allowed here"}, v));
    }
    if (path == "/metrics" && get) {
        std::size_t online = 0;
        auto crabs = ctx.hub.crabs();
        for (const auto& c : crabs) online += c.online ? 1 : 0;
        auto text = ctx.metrics.render({{"octopus_hub_seq", static_cast<double>(ctx.hub.hub_seq())},
                                        {"octopus_crabs_known", static_cast<double>(crabs.size())},
                                        {"octopus_crabs_online", static_cast<double>(online)}});
        text += ctx.alerts->render_metrics();
        if (ctx.poller) text += poll_metrics(ctx.poller->counters());
        auto res = json_response(200, std::move(text), v);
        res.set(http::field::content_type, "text/plain; version=0.0.4");
        return respond(std::move(res));
    }
    bool known = path == "/healthz" || path == "/v1/crabs" || path == "/metrics" ||
                 path == "/v1/collect" || path == "/v1/alerts" || path == "/v1/admin/reload";
    respond(reject(ctx,
                   known ? Error{ErrorCode::method_not_allowed, "method not allowed here"}
                         : Error{ErrorCode::not_found, "no such route: " + std::string(path)},
                   v));
}

}  // namespace octopus::server
