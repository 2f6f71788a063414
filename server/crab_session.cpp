#include "server/crab_session.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "protocol/encoder.hpp"
#include "server/ws_options.hpp"

namespace octopus::server {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using protocol::Error;
using protocol::ErrorCode;

namespace {
// Most messages a crab may leave unread (acks, errors, collects) before it is dropped.
constexpr std::size_t kMaxOutbox = 4096;
// Frames above this many times max_frame_bytes are not even drained: close 1009.
constexpr std::size_t kHardCapFactor = 16;
}  // namespace

template <typename Stream>
CrabSession<Stream>::CrabSession(Stream stream, ServerContext& ctx, Caller caller)
    : ws_(std::move(stream)), ctx_(ctx), caller_(std::move(caller)) {
    core::bump(ctx_.metrics.connections_open);
}

template <typename Stream>
CrabSession<Stream>::~CrabSession() {
    ctx_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
}

template <typename Stream>
void CrabSession<Stream>::run(Request request) {
    configure_websocket(ws_, ctx_.config, ctx_.config.limits.max_frame_bytes * kHardCapFactor,
                        request);
    ctx_.track(this->shared_from_this());
    ws_.async_accept(request,
                     beast::bind_front_handler(&CrabSession::on_accept, this->shared_from_this()));
}

template <typename Stream>
void CrabSession<Stream>::on_accept(beast::error_code ec) {
    if (ec) return finish();
    read();
}

template <typename Stream>
void CrabSession<Stream>::read() {
    ws_.async_read_some(buffer_, ctx_.config.limits.max_frame_bytes + 1,
                        beast::bind_front_handler(&CrabSession::on_read, this->shared_from_this()));
}

template <typename Stream>
void CrabSession<Stream>::on_read(beast::error_code ec, std::size_t bytes) {
    if (ec) {
        if (ec == websocket::error::message_too_big) {
            ctx_.metrics.count_error(ErrorCode::too_large);
            spdlog::warn("crab {}: frame above the hard cap, closing with 1009", name_);
        }
        return finish();
    }
    core::bump(ctx_.metrics.bytes_received, bytes);
    if (discarding_bytes_ > 0 || buffer_.size() > ctx_.config.limits.max_frame_bytes) {
        discarding_bytes_ += buffer_.size();
        buffer_.consume(buffer_.size());
    }
    if (!ws_.is_message_done()) return read();
    core::bump(ctx_.metrics.frames_received);
    if (discarding_bytes_ > 0) {
        reject(Error{ErrorCode::too_large, "frame of " + std::to_string(discarding_bytes_) +
                                               " bytes exceeds max_frame_bytes " +
                                               std::to_string(ctx_.config.limits.max_frame_bytes)});
        discarding_bytes_ = 0;
    } else if (!ws_.got_text()) {
        reject(
            Error{ErrorCode::bad_message, "binary frames are not accepted; send JSON text frames"});
    } else {
        auto data = buffer_.cdata();
        handle_frame(std::string_view(static_cast<const char*>(data.data()), data.size()));
    }
    buffer_.consume(buffer_.size());
    if (!closing_) read();
}

template <typename Stream>
void CrabSession<Stream>::handle_frame(std::string_view frame) {
    auto msg = ctx_.decoder.decode_crab_message(frame);
    if (!msg) return reject(msg.error());
    if (auto* hello = std::get_if<protocol::Hello>(&msg.value())) return handle_hello(*hello);
    if (!registered_) {
        reject(Error{ErrorCode::not_hello,
                     "the first message must be {\"type\":\"hello\",\"crab\":NAME}"});
        return close_after_flush(protocol::close_code::protocol_error, "not_hello");
    }
    handle_snapshots(std::get<protocol::SnapshotBatch>(msg.value()));
}

template <typename Stream>
void CrabSession<Stream>::handle_hello(const protocol::Hello& hello) {
    if (registered_) {
        return reject(
            Error{ErrorCode::already_hello, "this connection is already crab \"" + name_ + "\""});
    }
    if (!caller_.allows(core::auth::Right::push, hello.crab)) {
        spdlog::warn("crab hello as \"{}\" refused: {} lacks push:{}", hello.crab, caller_.who(),
                     hello.crab);
        reject(Error{ErrorCode::forbidden, "this token lacks the scope push:" + hello.crab});
        return close_after_flush(protocol::close_code::forbidden, "forbidden");
    }
    auto self = this->shared_from_this();
    auto registered = ctx_.hub.register_crab(hello.crab, self);
    if (!registered) {
        reject(registered.error());
        if (registered.error().code == ErrorCode::duplicate_crab) {
            close_after_flush(protocol::close_code::duplicate_crab, "duplicate_crab");
        }
        return;
    }
    name_ = hello.crab;
    registered_ = true;
    core::bump(ctx_.metrics.crab_sessions_open);
    spdlog::info("crab {} online", name_);
    send(protocol::encode_welcome(name_, ctx_.hub.durable_seq(name_), ctx_.hub.buffer_size(name_)));
}

template <typename Stream>
void CrabSession<Stream>::handle_snapshots(protocol::SnapshotBatch& batch) {
    std::weak_ptr<CrabSession> weak = this->shared_from_this();
    auto accepted = ctx_.hub.ingest(name_, batch.items, [weak](std::uint64_t seq) {
        if (auto self = weak.lock()) self->queue_ack(seq);
    });
    if (!accepted) reject(accepted.error());
}

template <typename Stream>
void CrabSession<Stream>::reject(const Error& error) {
    ctx_.metrics.count_error(error.code);
    if (registered_) ctx_.hub.count_rejected(name_);
    send(protocol::encode_error(error));
}

template <typename Stream>
void CrabSession<Stream>::queue_ack(std::uint64_t seq) {
    ack_due_ = std::max(ack_due_, seq);
    if (ack_scheduled_) return;
    ack_scheduled_ = true;
    boost::asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
        self->ack_scheduled_ = false;
        self->send(protocol::encode_ack(self->ack_due_));
    });
}

template <typename Stream>
void CrabSession<Stream>::request_snapshot(const std::string& request_id) {
    send(protocol::encode_collect(request_id));
}

template <typename Stream>
void CrabSession<Stream>::disconnect(const std::string& reason) {
    spdlog::warn("crab {}: {}", name_, reason);
    close_after_flush(protocol::close_code::silent, reason);
}

template <typename Stream>
void CrabSession<Stream>::send(std::string message) {
    if (closing_ || finished_) return;
    if (outbox_.size() >= kMaxOutbox) {
        spdlog::warn("crab {}: {} messages unread, closing as a slow consumer", name_,
                     outbox_.size());
        drop_unsent();
        return close_after_flush(protocol::close_code::slow_consumer, "slow_consumer");
    }
    outbox_.push_back(std::move(message));
    if (!writing_) write_next();
}

template <typename Stream>
void CrabSession<Stream>::write_next() {
    if (outbox_.empty()) {
        writing_ = false;
        if (closing_) do_close();
        return;
    }
    writing_ = true;
    ws_.text(true);
    ws_.async_write(boost::asio::buffer(outbox_.front()),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->outbox_.pop_front();
                        if (ec) return self->finish();
                        self->write_next();
                    });
}

template <typename Stream>
void CrabSession<Stream>::close_after_flush(std::uint16_t code, std::string reason) {
    if (closing_) return;
    closing_ = true;
    close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
    if (!writing_) do_close();
}

template <typename Stream>
void CrabSession<Stream>::do_close() {
    if (finished_) return;
    ws_.async_close(close_reason_,
                    [self = this->shared_from_this()](beast::error_code) { self->finish(); });
}

template <typename Stream>
void CrabSession<Stream>::drop_unsent() {
    outbox_.erase(outbox_.begin() + (writing_ ? 1 : 0), outbox_.end());
}

template <typename Stream>
void CrabSession<Stream>::shut_down() {
    drop_unsent();
    close_after_flush(protocol::close_code::going_away, "hub shutting down");
}

// A revoked or expired token closes the connection (4401); one that no longer covers this crab
// closes it too (4403). Snapshots already acked stay stored; unacked ones the crab resends.
template <typename Stream>
void CrabSession<Stream>::recheck_access() {
    auto now = ctx_.auth->refresh(caller_);
    if (!now) {
        spdlog::warn("crab {}: {} was revoked or expired, closing", name_, caller_.who());
        return close_after_flush(protocol::close_code::unauthorized, "token revoked");
    }
    caller_ = *now;
    if (registered_ && !caller_.allows(core::auth::Right::push, name_)) {
        spdlog::warn("crab {}: {} no longer holds push:{}, closing", name_, caller_.who(), name_);
        close_after_flush(protocol::close_code::forbidden, "forbidden");
    }
}

template <typename Stream>
void CrabSession<Stream>::finish() {
    if (finished_) return;
    finished_ = true;
    ctx_.untrack(this);
    if (registered_) {
        ctx_.hub.unregister_crab(name_, this);
        ctx_.metrics.crab_sessions_open.fetch_sub(1, std::memory_order_relaxed);
        spdlog::info("crab {} offline", name_);
    }
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
}

template class CrabSession<PlainStream>;
template class CrabSession<TlsStream>;

}  // namespace octopus::server
