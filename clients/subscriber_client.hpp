// SubscriberClient: the consumer side of ws://HOST:PORT/v1/subscribe over Boost.Beast (Bell,
// MAI workers). It holds one subscription on one WebSocket at a time and hands every hub message
// to the caller as typed SubscriberEvents; a "snapshots" batch is split into one snapshot event
// per item, each carrying the exact bytes the hub sent for it. Single-threaded: every method and
// handler runs on the io_context's thread (call methods from a handler or before run()).
// Invariant: after a lost connection it resubscribes from the last hub_seq it delivered, so a
// reconnect neither repeats nor skips an event the hub still has (what it no longer has is a
// "gap"). It never blocks or sleeps.
#pragma once

// Standard headers first: Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "clients/ws_connector.hpp"

namespace octopus::clients {

// --- hub -> subscriber messages ---------------------------------------------------------------

struct Subscribed {
    std::string id;
    std::uint64_t hub_seq = 0;  // the hub's hub_seq when the subscription took effect
};

struct SnapshotEvent {
    std::string sub;
    std::uint64_t hub_seq = 0;
    std::string crab;
    std::uint64_t seq = 0;
    double received_at = 0;  // hub wall clock, Unix seconds
    nlohmann::json values = nlohmann::json::object();
};

struct GapEvent {
    std::string sub;
    std::uint64_t from_hub_seq = 0;
    std::uint64_t to_hub_seq = 0;
    std::uint64_t missed = 0;
};

struct CrabEvent {
    std::string event;  // "registered", "online" or "offline"
    std::string crab;
    double at = 0;
};

struct HubError {
    std::string code;
    std::string message;
};

// Anything else: "unsubscribed", a type this client does not know, or a malformed message.
struct OtherMessage {};

struct SubscriberEvent {
    // The message as the hub sent it. For an item of a batch: the "snapshot" message the hub
    // would have sent for it alone ({"type":"snapshot","sub":ID, + the item's bytes after '{').
    std::string text;
    std::variant<Subscribed, SnapshotEvent, GapEvent, CrabEvent, HubError, OtherMessage> body;
};

// Decodes one hub message into its events: one, or one per item of a "snapshots" batch.
std::vector<SubscriberEvent> decode_subscriber_events(std::string_view text);

// --- the client -------------------------------------------------------------------------------

struct SubscriberOptions {
    std::string host = "127.0.0.1";
    std::string port = "8765";
    std::shared_ptr<boost::asio::ssl::context> tls;  // set: wss:// (clients/tls_client.hpp)
    std::string token;                               // set: sent as Authorization: Bearer
    std::string id = "sub";
    std::vector<std::string> crabs{"*"};  // globs
    std::vector<std::string> keys;        // projection; empty: every key
    std::string from = "buffer";          // first subscription: "now" or "buffer"
    std::chrono::milliseconds backoff_min{100};
    std::chrono::milliseconds backoff_max{5000};
};

class SubscriberClient : public std::enable_shared_from_this<SubscriberClient> {
  public:
    using EventHandler = std::function<void(const SubscriberEvent&)>;
    // The connection failed or was lost (`why` says how). `ever_subscribed` is false while no
    // connection has reached "subscribed" yet. Unless stop() is called, it reconnects.
    using DownHandler = std::function<void(const std::string& why, bool ever_subscribed)>;
    // The body of a 200 answer, or nullopt on any failure.
    using HttpHandler = std::function<void(std::optional<std::string> body)>;

    SubscriberClient(boost::asio::io_context& io, SubscriberOptions options);

    void set_on_event(EventHandler handler) { on_event_ = std::move(handler); }
    void set_on_down(DownHandler handler) { on_down_ = std::move(handler); }

    // Must be owned by a std::shared_ptr before start(): handlers keep it alive.
    void start();
    // Cancels timers and requests, closes the WebSocket (close 1000) and lets run() return.
    void stop();
    // One GET on the hub's HTTP port (e.g. "/v1/crabs"). A newer request cancels an older one.
    void http_get(std::string target, HttpHandler done);

    // The hub_seq of the last snapshot delivered, if any.
    std::optional<std::uint64_t> last_hub_seq() const { return last_hub_seq_; }
    bool ever_subscribed() const { return ever_subscribed_; }

    struct HttpRequest;  // one http_get in flight (subscriber_client.cpp)

  private:
    friend struct WsClientWiring;
    // One connection attempt. Handlers of a link that is no longer current are ignored.
    struct Link : WsLink {
        using WsLink::WsLink;
        std::string subscribe_frame;
    };
    using LinkPtr = std::shared_ptr<Link>;

    void connect();
    void on_open(const LinkPtr& link);
    void fail(const LinkPtr& link, std::string_view what, const boost::system::error_code& ec);
    void handle(std::string_view text);
    std::string subscribe_frame() const;
    std::string host_header() const;
    bool is_current(const LinkPtr& link) const { return !stopped_ && link == link_; }

    boost::asio::io_context& io_;
    SubscriberOptions options_;
    EventHandler on_event_;
    DownHandler on_down_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::steady_timer reconnect_timer_;
    LinkPtr link_;
    std::shared_ptr<HttpRequest> http_;
    Backoff backoff_;
    std::optional<std::uint64_t> last_hub_seq_;  // resume point for the next subscription
    bool started_ = false;
    bool stopped_ = false;
    bool ever_subscribed_ = false;
};

}  // namespace octopus::clients
