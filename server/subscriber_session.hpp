// One consumer's WebSocket on /v1/subscribe (Bell dashboards, MAI workers). Owns a bounded
// outgoing queue (messages and bytes) with exactly one write in flight. When several events of
// one subscription are queued they go out as one "snapshots" frame, copied from the shared
// envelope bytes into one buffer (nothing re-encoded unless a keys projection asks for it). The
// write starts after the handler that queued the event, so one turn's events share a frame.
// Overflow, per subscription: drop (skip, then tell the client with a "gap" message), disconnect
// (close 4008), or, for a durable consumer, hold back and catch up from the hub once drained.
// A subscriber that stops reading never slows ingest: the hub only ever appends to this queue.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/subscriber_sink.hpp"
#include "protocol/envelope_text.hpp"
#include "protocol/subscriber_messages.hpp"
#include "server/server_context.hpp"
#include "server/streams.hpp"

namespace octopus::server {

template <typename Stream>
class SubscriberSession : public std::enable_shared_from_this<SubscriberSession<Stream>>,
                          public core::SubscriberSink,
                          public Closable {
  public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;

    SubscriberSession(Stream stream, ServerContext& ctx, Caller caller);
    ~SubscriberSession() override;

    void run(Request request);
    void shut_down() override;
    void recheck_access() override;

    void subscribed(const std::string& id, std::uint64_t hub_seq) override;
    bool deliver(const std::string& id, const core::SnapshotPtr& snap, bool catching_up) override;
    void acknowledged(const std::string& id, std::uint64_t hub_seq) override;
    bool deliver_event(const std::shared_ptr<const std::string>& json) override;

  private:
    struct Sub {
        std::string id;
        std::vector<std::string> crabs;  // the globs asked for (checked against read scopes)
        std::string single_prefix;
        std::string batch_prefix;
        protocol::KeyFilter keys;  // empty: every key
        protocol::Overflow overflow = protocol::Overflow::drop;
        bool durable = false;
        bool held = false;  // replay or durable, waiting for room to catch up
        std::uint64_t gap_from = 0, gap_to = 0, missed = 0;
    };
    struct Item {
        std::shared_ptr<Sub> sub;  // set for snapshots without projection
        core::SnapshotPtr snap;
        std::shared_ptr<const std::string> text;  // control messages and projected snapshots
        std::size_t bytes() const { return text ? text->size() : snap->line.size(); }
    };

    void read();
    void on_read(boost::beast::error_code ec, std::size_t bytes);
    void handle(std::string_view frame);
    void reject(const protocol::Error& e);
    void handle_subscribe(const protocol::Subscribe& spec);
    std::optional<std::string> unreadable(const std::vector<std::string>& crabs) const;
    // Ends subscription `id` (snapshots or alerts); bad_message when this connection lacks it.
    protocol::Result<bool> drop_subscription(const std::string& id);
    void send_text(std::string text);
    void enqueue(Item item);
    bool full() const;
    void flush_gap(Sub& sub);
    void write_next();
    boost::asio::const_buffer gather(std::size_t& taken);
    void schedule_write();
    void on_drained();
    bool below_low_water() const;
    void resume_held();
    void overflow_close();
    void close_with(std::uint16_t code, const char* reason);
    void send_close();
    void finish();

    boost::beast::websocket::stream<Stream> ws_;
    boost::beast::flat_buffer buffer_;
    ServerContext& ctx_;
    Caller caller_;  // whose token opened the connection (read scopes checked per subscription)
    std::map<std::string, std::shared_ptr<Sub>> subs_;
    std::deque<Item> queue_;
    std::size_t queued_bytes_ = 0;
    std::vector<Item> in_flight_;
    std::string frame_;  // the batch being written (capacity kept between writes)
    bool writing_ = false;
    bool closing_ = false;
    bool finished_ = false;
    boost::beast::websocket::close_reason close_reason_;
};

}  // namespace octopus::server
