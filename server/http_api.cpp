#include "server/http_api.hpp"

#include <nlohmann/json.hpp>

#include "protocol/encoder.hpp"
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
    ctx.hub.ingest(name, batch.value().items, [respond, version](std::uint64_t seq) {
        respond(json_response(200, protocol::encode_ack(seq), version));
    });
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
        if (!info)
            return respond(
                reject(ctx, {ErrorCode::unknown_crab, "no crab named \"" + name + "\""}, v));
        return respond(json_response(200, crab_json(*info).dump(), v));
    }
    if (rest == "buffer" && get) return respond(buffer_response(ctx, name, v));
    if (rest == "snapshots" && post) return push(ctx, name, req, std::move(respond));
    if (rest.empty() || rest == "buffer" || rest == "snapshots") {
        return respond(reject(ctx, {ErrorCode::method_not_allowed, "method not allowed here"}, v));
    }
    respond(reject(ctx, {ErrorCode::not_found, "no such route"}, v));
}

nlohmann::json crabs_json(const core::Hub& hub) {
    auto list = nlohmann::json::array();
    for (const auto& c : hub.crabs()) list.push_back(crab_json(c));
    return list;
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
    if (path == "/healthz" && get) {
        nlohmann::json body = {{"status", ctx.stopping ? "stopping" : "ok"},
                               {"hub_seq", ctx.hub.hub_seq()}};
        return respond(json_response(ctx.stopping ? 503 : 200, body.dump(), v));
    }
    if (path == "/v1/crabs" && get)
        return respond(json_response(200, crabs_json(ctx.hub).dump(), v));
    if (path == "/metrics" && get) {
        std::size_t online = 0;
        auto crabs = ctx.hub.crabs();
        for (const auto& c : crabs) online += c.online ? 1 : 0;
        auto text = ctx.metrics.render({{"octopus_hub_seq", static_cast<double>(ctx.hub.hub_seq())},
                                        {"octopus_crabs_known", static_cast<double>(crabs.size())},
                                        {"octopus_crabs_online", static_cast<double>(online)}});
        auto res = json_response(200, std::move(text), v);
        res.set(http::field::content_type, "text/plain; version=0.0.4");
        return respond(std::move(res));
    }
    bool known = path == "/healthz" || path == "/v1/crabs" || path == "/metrics";
    respond(reject(ctx,
                   known ? Error{ErrorCode::method_not_allowed, "method not allowed here"}
                         : Error{ErrorCode::not_found, "no such route: " + std::string(path)},
                   v));
}

}  // namespace octopus::server
