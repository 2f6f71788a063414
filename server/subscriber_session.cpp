#include "server/subscriber_session.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "protocol/encoder.hpp"
#include "protocol/envelope_text.hpp"
#include "server/ws_options.hpp"

namespace octopus::server {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using protocol::Error;
using protocol::ErrorCode;

namespace {
// Events of one subscription packed into one "snapshots" frame when they queue up.
constexpr std::size_t kMaxBatch = 64;
// Room for replies beyond the queue's bounds (see send_text).
constexpr std::size_t kReplyRoomMessages = 64;
constexpr std::size_t kReplyRoomBytes = 64 * 1024;
}  // namespace

template <typename Stream>
SubscriberSession<Stream>::SubscriberSession(Stream stream, ServerContext& ctx, Caller caller)
    : ws_(std::move(stream)), ctx_(ctx), caller_(std::move(caller)) {
    core::bump(ctx_.metrics.connections_open);
    core::bump(ctx_.metrics.subscriber_sessions_open);
}

template <typename Stream>
SubscriberSession<Stream>::~SubscriberSession() {
    ctx_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
    ctx_.metrics.subscriber_sessions_open.fetch_sub(1, std::memory_order_relaxed);
}

template <typename Stream>
void SubscriberSession<Stream>::run(Request request) {
    configure_websocket(ws_, ctx_.config, ctx_.config.limits.max_frame_bytes, request);
    ctx_.track(this->shared_from_this());
    ws_.async_accept(request, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return self->finish();
        self->read();
    });
}

template <typename Stream>
void SubscriberSession<Stream>::read() {
    ws_.async_read(
        buffer_, beast::bind_front_handler(&SubscriberSession::on_read, this->shared_from_this()));
}

template <typename Stream>
void SubscriberSession<Stream>::on_read(beast::error_code ec, std::size_t) {
    if (ec) return finish();
    if (!ws_.got_text()) {
        reject({ErrorCode::bad_message, "binary frames are not accepted; send JSON text frames"});
    } else {
        auto data = buffer_.cdata();
        handle(std::string_view(static_cast<const char*>(data.data()), data.size()));
    }
    buffer_.consume(buffer_.size());
    read();
}

template <typename Stream>
void SubscriberSession<Stream>::reject(const Error& e) {
    ctx_.metrics.count_error(e.code);
    send_text(protocol::encode_error(e));
}

template <typename Stream>
void SubscriberSession<Stream>::handle(std::string_view frame) {
    auto msg = protocol::decode_subscriber_message(frame);
    if (!msg) return reject(msg.error());
    if (auto* sub = std::get_if<protocol::Subscribe>(&msg.value())) return handle_subscribe(*sub);
    if (auto* un = std::get_if<protocol::Unsubscribe>(&msg.value())) {
        if (auto r = drop_subscription(un->id); !r) return reject(r.error());
        return send_text(protocol::encode_unsubscribed(un->id));
    }
    const auto& ack = std::get<protocol::ConsumerAck>(msg.value());
    if (auto r = ctx_.hub.consumer_ack(*this, ack.sub, ack.hub_seq); !r) reject(r.error());
}

template <typename Stream>
void SubscriberSession<Stream>::handle_subscribe(const protocol::Subscribe& spec) {
    if (subs_.count(spec.id)) {
        return reject({ErrorCode::bad_message,
                       "subscription \"" + spec.id + "\" already exists on this connection"});
    }
    if (subs_.size() >= ctx_.config.max_subscriptions) {
        return reject({ErrorCode::too_many_subscriptions,
                       "this connection already holds " + std::to_string(subs_.size()) +
                           " subscriptions, the most [subscribers] max_subscriptions allows"});
    }
    if (auto glob = unreadable(spec.crabs)) {
        return reject({ErrorCode::forbidden, "subscription \"" + spec.id +
                                                 "\": this token lacks the scope read:" + *glob});
    }
    auto sub = std::make_shared<Sub>();
    sub->id = spec.id;
    sub->crabs = spec.crabs;
    sub->single_prefix = protocol::snapshot_frame_prefix(spec.id);
    sub->batch_prefix = protocol::batch_frame_prefix(spec.id);
    sub->keys = protocol::KeyFilter(spec.keys);
    sub->overflow = spec.overflow;
    sub->durable = !spec.durable.empty();
    subs_[spec.id] = sub;
    if (spec.alerts && ctx_.alerts) return ctx_.alerts->subscribe(*this, spec);
    auto r = ctx_.hub.subscribe(*this, spec);  // replays into deliver() before returning
    if (!r) {
        subs_.erase(spec.id);
        reject(r.error());
    }
}

// The first of `crabs` the caller's read scopes do not cover, if any.
template <typename Stream>
std::optional<std::string> SubscriberSession<Stream>::unreadable(
    const std::vector<std::string>& crabs) const {
    for (const auto& glob : crabs) {
        if (!caller_.covers(core::auth::Right::read, glob)) return glob;
    }
    return std::nullopt;
}

// A revoked or expired token closes the connection (4401). A narrowed one drops each
// subscription it no longer covers: an error naming it, then "unsubscribed".
template <typename Stream>
void SubscriberSession<Stream>::recheck_access() {
    if (closing_ || finished_) return;
    auto now = ctx_.auth->refresh(caller_);
    if (!now) {
        spdlog::warn("subscriber: {} was revoked or expired, closing", caller_.who());
        return close_with(protocol::close_code::unauthorized, "token revoked");
    }
    caller_ = *now;
    std::vector<std::pair<std::string, std::string>> lost;
    for (const auto& [id, sub] : subs_) {
        if (auto glob = unreadable(sub->crabs)) lost.emplace_back(id, *glob);
    }
    for (const auto& [id, glob] : lost) {
        drop_subscription(id);
        reject({ErrorCode::forbidden,
                "subscription \"" + id + "\" dropped: the token no longer holds read:" + glob});
        send_text(protocol::encode_unsubscribed(id));
    }
}

template <typename Stream>
protocol::Result<bool> SubscriberSession<Stream>::drop_subscription(const std::string& id) {
    bool alerts = ctx_.alerts && ctx_.alerts->unsubscribe(*this, id);
    auto r = alerts ? protocol::Result<bool>(true) : ctx_.hub.unsubscribe(*this, id);
    if (r) subs_.erase(id);
    return r;
}

template <typename Stream>
void SubscriberSession<Stream>::subscribed(const std::string& id, std::uint64_t hub_seq) {
    send_text(protocol::encode_subscribed(id, hub_seq));
}

template <typename Stream>
bool SubscriberSession<Stream>::full() const {
    return queue_.size() >= ctx_.config.subscriber_queue_messages ||
           queued_bytes_ >= ctx_.config.subscriber_queue_bytes;
}

template <typename Stream>
bool SubscriberSession<Stream>::deliver(const std::string& id, const core::SnapshotPtr& snap,
                                        bool catching_up) {
    auto it = subs_.find(id);
    if (it == subs_.end() || closing_ || finished_) return true;
    Sub& sub = *it->second;
    if (full()) {
        if (sub.durable || catching_up) {
            sub.held = true;
            return false;
        }
        core::bump(ctx_.metrics.subscriber_drops);
        if (sub.overflow == protocol::Overflow::disconnect) {
            overflow_close();
            return true;
        }
        if (sub.missed++ == 0) sub.gap_from = snap->hub_seq;
        sub.gap_to = snap->hub_seq;
        return true;
    }
    flush_gap(sub);
    core::bump(ctx_.metrics.events_delivered);
    if (sub.keys.all()) {
        enqueue({it->second, snap, nullptr});
    } else {
        auto projected = protocol::project_envelope(snap->json(), sub.keys);
        enqueue({nullptr, nullptr,
                 std::make_shared<const std::string>(sub.single_prefix + projected.substr(1))});
    }
    return true;
}

template <typename Stream>
void SubscriberSession<Stream>::acknowledged(const std::string& id, std::uint64_t hub_seq) {
    send_text(protocol::encode_acked(id, hub_seq));
}

template <typename Stream>
bool SubscriberSession<Stream>::deliver_event(const std::shared_ptr<const std::string>& json) {
    if (closing_ || finished_ || full()) return false;
    enqueue({nullptr, nullptr, json});
    return true;
}

template <typename Stream>
void SubscriberSession<Stream>::flush_gap(Sub& sub) {
    if (sub.missed == 0) return;
    enqueue({nullptr, nullptr,
             std::make_shared<const std::string>(
                 protocol::encode_gap(sub.id, sub.gap_from, sub.gap_to, sub.missed))});
    sub.missed = 0;
}

// Replies (errors, subscribed, acked) count against the queue like events, with a little room
// beyond it so a subscriber dropping events under overflow "drop" can still be answered. A peer
// that keeps sending while reading nothing fills that room too and is closed with 4008: its
// replies never grow the hub without bound.
template <typename Stream>
void SubscriberSession<Stream>::send_text(std::string text) {
    if (closing_ || finished_) return;
    if (queue_.size() >= ctx_.config.subscriber_queue_messages + kReplyRoomMessages ||
        queued_bytes_ >= ctx_.config.subscriber_queue_bytes + kReplyRoomBytes) {
        core::bump(ctx_.metrics.subscriber_drops);
        return overflow_close();
    }
    enqueue({nullptr, nullptr, std::make_shared<const std::string>(std::move(text))});
}

template <typename Stream>
void SubscriberSession<Stream>::enqueue(Item item) {
    queued_bytes_ += item.bytes();
    queue_.push_back(std::move(item));
    if (!writing_) schedule_write();
}

// The write starts after the current handler: every event the hub hands out in this turn (one
// crab read can publish many) joins the same frame, so a busy hub makes one write per
// subscriber per turn, not one per event.
template <typename Stream>
void SubscriberSession<Stream>::schedule_write() {
    writing_ = true;
    boost::asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
        if (self->closing_) return self->send_close();
        self->write_next();
    });
}

// Takes the front item, or a run of up to kMaxBatch plain snapshots of one subscription, and
// returns the bytes of the frame that carries them. A batch is copied into frame_, one
// contiguous buffer: a gathered list of 2n+2 pieces would cost Asio several sendmsg calls (64
// pieces each) and Beast a re-walk of the list per partial write, far more than the copy.
template <typename Stream>
boost::asio::const_buffer SubscriberSession<Stream>::gather(std::size_t& taken) {
    Item& front = queue_.front();
    taken = 1;
    if (front.text || !front.sub) return boost::asio::buffer(*front.text);
    while (taken < queue_.size() && taken < kMaxBatch && queue_[taken].sub == front.sub &&
           !queue_[taken].text)
        ++taken;
    frame_.clear();
    if (taken == 1) {
        auto j = front.snap->json();
        frame_.append(front.sub->single_prefix).append(j.substr(1));  // envelope minus its '{'
        return boost::asio::buffer(frame_);
    }
    frame_.append(front.sub->batch_prefix);
    for (std::size_t i = 0; i < taken; ++i) {
        if (i > 0) frame_.push_back(',');
        frame_.append(queue_[i].snap->json());
    }
    frame_.append("]}");
    return boost::asio::buffer(frame_);
}

template <typename Stream>
void SubscriberSession<Stream>::write_next() {
    if (queue_.empty()) {
        writing_ = false;
        return on_drained();
    }
    writing_ = true;
    std::size_t taken = 0;
    auto frame = gather(taken);
    in_flight_.assign(std::make_move_iterator(queue_.begin()),
                      std::make_move_iterator(queue_.begin() + taken));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(taken));
    ws_.text(true);
    ws_.async_write(frame, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
        for (const auto& item : self->in_flight_) self->queued_bytes_ -= item.bytes();
        self->in_flight_.clear();
        if (ec) return self->finish();
        if (self->closing_) return self->send_close();
        if (self->below_low_water()) self->resume_held();
        self->write_next();
    });
}

// The queue emptied: report skipped ranges, then let held durable consumers catch up.
template <typename Stream>
void SubscriberSession<Stream>::on_drained() {
    for (auto& [id, sub] : subs_) flush_gap(*sub);
    if (ctx_.alerts) ctx_.alerts->flush_gaps(*this);
    resume_held();
}

// A quarter full: held replays and durable consumers refill the queue before it runs dry, so
// the socket never idles while a catch-up waits for its next events.
template <typename Stream>
bool SubscriberSession<Stream>::below_low_water() const {
    return queue_.size() <= ctx_.config.subscriber_queue_messages / 4 &&
           queued_bytes_ <= ctx_.config.subscriber_queue_bytes / 4;
}

template <typename Stream>
void SubscriberSession<Stream>::resume_held() {
    for (auto& [id, sub] : subs_) {
        if (!sub->held || full()) continue;
        sub->held = false;
        ctx_.hub.resume(*this, id);
    }
}

template <typename Stream>
void SubscriberSession<Stream>::overflow_close() {
    if (closing_) return;
    spdlog::warn("subscriber queue full ({} messages, {} bytes): closing with 4008", queue_.size(),
                 queued_bytes_);
    close_with(protocol::close_code::slow_consumer, "slow_consumer");
}

template <typename Stream>
void SubscriberSession<Stream>::shut_down() {
    if (closing_ || finished_) return;
    close_with(static_cast<std::uint16_t>(websocket::close_code::going_away), "hub shutting down");
}

// Drops what is queued and closes. A write in flight gets 2 s to finish (then the close frame
// follows it); a peer that reads nothing is cut off by the same deadline.
template <typename Stream>
void SubscriberSession<Stream>::close_with(std::uint16_t code, const char* reason) {
    closing_ = true;
    close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
    queue_.clear();
    queued_bytes_ = 0;
    for (const auto& item : in_flight_) queued_bytes_ += item.bytes();
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(2));
    if (!writing_) send_close();
}

template <typename Stream>
void SubscriberSession<Stream>::send_close() {
    ws_.async_close(close_reason_,
                    [self = this->shared_from_this()](beast::error_code) { self->finish(); });
}

template <typename Stream>
void SubscriberSession<Stream>::finish() {
    if (finished_) return;
    finished_ = true;
    ctx_.untrack(this);
    ctx_.hub.remove_subscriber(*this);
    if (ctx_.alerts) ctx_.alerts->remove_subscriber(*this);
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
}

template class SubscriberSession<PlainStream>;
template class SubscriberSession<TlsStream>;

}  // namespace octopus::server
