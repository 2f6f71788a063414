// SubscriberClient implementation. Connection life (steps in ws_connector): resolve -> connect
// -> handshake on /v1/subscribe -> subscribe -> read loop; any failure drops the link and
// schedules a reconnect after a doubling backoff. Messages are decoded with nlohmann::json (off
// the hub's hot path). A batch is split on the raw bytes so each item keeps the hub's exact
// number tokens.
#include "clients/subscriber_client.hpp"

#include <algorithm>

#include <boost/beast/http.hpp>
#include <variant>

#include "clients/tls_client.hpp"

#include "clients/hub_address.hpp"
#include "protocol/subscriber_messages.hpp"

namespace octopus::clients {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

namespace {

constexpr auto http_timeout = std::chrono::seconds(5);
// A batch holds at most 64 envelopes of at most a few max_frame_bytes each.
constexpr std::size_t max_hub_message_bytes = 64 * 1024 * 1024;
constexpr const char* subscribe_path = "/v1/subscribe";

std::uint64_t uint_of(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

double number_of(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : 0;
}

std::string string_of(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The top-level elements of a JSON array's inside (the text between '[' and ']'), split at
// the commas that are outside strings, objects and arrays.
std::vector<std::string_view> split_elements(std::string_view inside) {
    std::vector<std::string_view> out;
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i < inside.size(); ++i) {
        const char c = inside[i];
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            --depth;
        } else if (c == ',' && depth == 0) {
            out.push_back(inside.substr(start, i - start));
            start = i + 1;
        }
    }
    if (!inside.empty()) out.push_back(inside.substr(start));
    return out;
}

SubscriberEvent snapshot_event(std::string text, const json& j, std::string sub) {
    SnapshotEvent s;
    s.sub = std::move(sub);
    s.hub_seq = uint_of(j, "hub_seq");
    s.crab = string_of(j, "crab");
    s.seq = uint_of(j, "seq");
    s.received_at = number_of(j, "received_at");
    if (const auto it = j.find("values"); it != j.end() && it->is_object()) s.values = *it;
    if (s.crab.empty() || s.hub_seq == 0) return {std::move(text), OtherMessage{}};
    return {std::move(text), std::move(s)};
}

// One event per item. The hub writes a batch as batch_frame_prefix(sub), the envelopes joined
// by commas, then "]}": each item's own bytes are cut out of that. Anything framed otherwise
// falls back to the decoded items (same values, numbers re-printed).
std::vector<SubscriberEvent> batch_events(std::string_view text, const json& j) {
    std::vector<SubscriberEvent> out;
    const std::string sub = string_of(j, "sub");
    const auto items = j.find("items");
    if (items == j.end() || !items->is_array()) return out;
    const std::string prefix = protocol::batch_frame_prefix(sub);
    const std::string single = protocol::snapshot_frame_prefix(sub);
    std::vector<std::string_view> raw;
    if (text.starts_with(prefix) && text.ends_with("]}")) {
        raw = split_elements(text.substr(prefix.size(), text.size() - prefix.size() - 2));
    }
    const bool exact = raw.size() == items->size();
    for (std::size_t i = 0; i < items->size(); ++i) {
        const json& item = (*items)[i];
        if (!item.is_object()) continue;
        const std::string bytes = exact ? std::string(raw[i]) : item.dump();
        out.push_back(snapshot_event(single + bytes.substr(1), item, sub));
    }
    return out;
}

}  // namespace

std::vector<SubscriberEvent> decode_subscriber_events(std::string_view text) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return {{std::string(text), OtherMessage{}}};
    const std::string type = string_of(j, "type");
    if (type == "snapshots") return batch_events(text, j);
    if (type == "snapshot") return {snapshot_event(std::string(text), j, string_of(j, "sub"))};
    if (type == "subscribed") {
        return {{std::string(text), Subscribed{string_of(j, "id"), uint_of(j, "hub_seq")}}};
    }
    if (type == "gap") {
        return {{std::string(text), GapEvent{string_of(j, "sub"), uint_of(j, "from_hub_seq"),
                                             uint_of(j, "to_hub_seq"), uint_of(j, "missed")}}};
    }
    if (type == "crab") {
        return {{std::string(text),
                 CrabEvent{string_of(j, "event"), string_of(j, "crab"), number_of(j, "at")}}};
    }
    if (type == "error") {
        return {{std::string(text), HubError{string_of(j, "code"), string_of(j, "message")}}};
    }
    return {{std::string(text), OtherMessage{}}};
}

// --- HTTP GET ---------------------------------------------------------------------------------

struct SubscriberClient::HttpRequest {
    using Tls = beast::ssl_stream<beast::tcp_stream>;
    HttpRequest(asio::io_context& io, asio::ssl::context* tls)
        : resolver(io),
          stream(tls ? std::variant<beast::tcp_stream, Tls>(std::in_place_type<Tls>, io, *tls)
                     : std::variant<beast::tcp_stream, Tls>(std::in_place_type<beast::tcp_stream>,
                                                            io)) {}
    tcp::resolver resolver;
    std::variant<beast::tcp_stream, Tls> stream;
    beast::flat_buffer buffer;
    http::request<http::empty_body> request;
    http::response<http::string_body> response;
    HttpHandler done;  // empty once finished

    // True when the step that just completed should end the request (an error, or finished).
    bool over(const error_code& ec) {
        if (!done) return true;
        if (ec) finish(std::nullopt);
        return static_cast<bool>(ec);
    }
    void finish(std::optional<std::string> body) {
        error_code ignored;
        resolver.cancel();
        lowest().socket().close(ignored);
        if (auto handler = std::exchange(done, nullptr)) handler(std::move(body));
    }
    beast::tcp_stream& lowest() {
        return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); },
                          stream);
    }
};

namespace {
// Writes the request and reads the answer, on whichever stream the request uses.
void http_exchange(const std::shared_ptr<SubscriberClient::HttpRequest>& r) {
    std::visit(
        [&r](auto& s) {
            http::async_write(s, r->request, [r, &s](error_code written, std::size_t) {
                if (r->over(written)) return;
                http::async_read(s, r->buffer, r->response, [r](error_code read, std::size_t) {
                    if (r->over(read)) return;
                    const bool ok = r->response.result_int() == 200;
                    r->finish(ok ? std::optional(r->response.body()) : std::nullopt);
                });
            });
        },
        r->stream);
}

void https_handshake(const std::shared_ptr<SubscriberClient::HttpRequest>& r,
                     const std::string& host) {
    auto& s = std::get<SubscriberClient::HttpRequest::Tls>(r->stream);
    if (!prepare_tls_connection(s.native_handle(), host)) return r->finish(std::nullopt);
    s.async_handshake(asio::ssl::stream_base::client, [r](error_code ec) {
        if (r->over(ec)) return;
        http_exchange(r);
    });
}
}  // namespace

void SubscriberClient::http_get(std::string target, HttpHandler done) {
    if (http_) http_->finish(std::nullopt);
    auto r = std::make_shared<HttpRequest>(io_, options_.tls.get());
    http_ = r;
    r->done = std::move(done);
    r->request.method(http::verb::get);
    r->request.target(target);
    r->request.version(11);
    r->request.set(http::field::host, host_header());
    r->request.set(http::field::connection, "close");
    if (!options_.token.empty())
        r->request.set(http::field::authorization, "Bearer " + options_.token);
    r->lowest().expires_after(http_timeout);
    r->resolver.async_resolve(
        options_.host, options_.port,
        [r, host = options_.host](error_code ec, const tcp::resolver::results_type& found) {
            if (r->over(ec)) return;
            r->lowest().async_connect(found, [r, host](error_code connected, const tcp::endpoint&) {
                if (r->over(connected)) return;
                if (std::holds_alternative<HttpRequest::Tls>(r->stream))
                    return https_handshake(r, host);
                http_exchange(r);
            });
        });
}

// --- connection -------------------------------------------------------------------------------

SubscriberClient::SubscriberClient(asio::io_context& io, SubscriberOptions options)
    : io_(io),
      options_(std::move(options)),
      resolver_(io),
      reconnect_timer_(io),
      backoff_(options_.backoff_min, options_.backoff_max) {}

void SubscriberClient::start() {
    if (started_ || stopped_) return;
    started_ = true;
    connect();
}

void SubscriberClient::stop() {
    if (stopped_) return;
    stopped_ = true;
    reconnect_timer_.cancel();
    resolver_.cancel();
    if (auto r = std::exchange(http_, nullptr)) r->finish(std::nullopt);
    if (link_) close_websocket(std::exchange(link_, nullptr));
}

void SubscriberClient::connect() {
    WsClientWiring::connect(shared_from_this(), link_, io_, resolver_,
                            {options_.host, options_.port, subscribe_path, max_hub_message_bytes,
                             options_.tls, options_.token},
                            &SubscriberClient::handle);
}

void SubscriberClient::on_open(const LinkPtr& link) {
    // The only frame this client sends; it stays alive in the link until the write is done.
    link->subscribe_frame = subscribe_frame();
    link->ws.async_write(asio::buffer(link->subscribe_frame),
                         [self = shared_from_this(), link](error_code e, std::size_t) {
                             if (self->is_current(link) && e) self->fail(link, "subscribe", e);
                         });
}

void SubscriberClient::fail(const LinkPtr& link, std::string_view what, const error_code& ec) {
    std::string why = std::string(what) + " " + host_header() + ": " + ec.message();
    if (!link->failure_detail.empty()) why = host_header() + ": " + link->failure_detail;
    if (ec == websocket::error::closed) {
        const websocket::close_reason& reason = link->ws.reason();
        why = "the hub closed the connection (code " +
              std::to_string(static_cast<unsigned>(reason.code)) + ", \"" +
              std::string(reason.reason.data(), reason.reason.size()) + "\")";
    }
    error_code ignored;
    link->ws.lowest().socket().close(ignored);
    link_.reset();
    if (on_down_) on_down_(why, ever_subscribed_);
    if (stopped_) return;
    backoff_.schedule(reconnect_timer_, [self = shared_from_this()] {
        if (!self->stopped_) self->connect();
    });
}

void SubscriberClient::handle(std::string_view text) {
    for (const SubscriberEvent& event : decode_subscriber_events(text)) {
        if (const auto* s = std::get_if<SnapshotEvent>(&event.body)) {
            last_hub_seq_ = s->hub_seq;
        } else if (const auto* sub = std::get_if<Subscribed>(&event.body)) {
            ever_subscribed_ = true;
            backoff_.reset();
            // Subscribed "now": everything after this hub_seq is ours, even before it arrives.
            if (!last_hub_seq_ && options_.from == "now") last_hub_seq_ = sub->hub_seq;
        }
        if (on_event_) on_event_(event);
        if (stopped_) return;  // the handler may stop the client midway through a batch
    }
}

std::string SubscriberClient::subscribe_frame() const {
    json frame = {{"type", "subscribe"}, {"id", options_.id}, {"crabs", options_.crabs}};
    if (!options_.keys.empty()) frame["keys"] = options_.keys;
    if (last_hub_seq_) {
        frame["from"] = {{"hub_seq", *last_hub_seq_}};
    } else {
        frame["from"] = options_.from;
    }
    return frame.dump();
}

std::string SubscriberClient::host_header() const {
    return clients::host_header(options_.host, options_.port);
}

}  // namespace octopus::clients
