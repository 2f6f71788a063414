// One crab's WebSocket connection on /v1/crab. Owns its stream, read buffer and a bounded
// outbox with exactly one write in flight (Beast's advanced-server pattern); lives through
// shared_from_this() bound into every handler. Frames are read piecewise: a frame over
// max_frame_bytes is drained and discarded without being buffered, answered with too_large,
// and the connection keeps serving. It decodes at the edge and passes typed snapshots to the
// hub; it never touches the disk. Acks are coalesced: one cumulative ack per loop turn.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <string>

#include "core/crab_link.hpp"
#include "protocol/errors.hpp"
#include "protocol/messages.hpp"
#include "server/server_context.hpp"
#include "server/streams.hpp"

namespace octopus::server {

template <typename Stream>
class CrabSession : public std::enable_shared_from_this<CrabSession<Stream>>,
                    public core::CrabLink,
                    public Closable {
  public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;

    CrabSession(Stream stream, ServerContext& ctx, Caller caller);
    ~CrabSession() override;

    void run(Request request);
    void request_snapshot(const std::string& request_id) override;
    void disconnect(const std::string& reason) override;
    void shut_down() override;
    void recheck_access() override;

  private:
    void on_accept(boost::beast::error_code ec);
    void read();
    void on_read(boost::beast::error_code ec, std::size_t bytes);
    void handle_frame(std::string_view frame);
    void handle_hello(const protocol::Hello& hello);
    void handle_snapshots(protocol::SnapshotBatch& batch);
    void reject(const protocol::Error& error);
    void queue_ack(std::uint64_t seq);
    void send(std::string message);
    void write_next();
    void drop_unsent();  // keeps only the message being written
    void close_after_flush(std::uint16_t code, std::string reason);
    void do_close();
    void finish();

    boost::beast::websocket::stream<Stream> ws_;
    boost::beast::flat_buffer buffer_;
    ServerContext& ctx_;
    Caller caller_;     // whose token opened the connection (push scope checked at hello)
    std::string name_;  // set by a successful hello
    bool registered_ = false;
    std::size_t discarding_bytes_ = 0;  // >0 while draining an oversized frame
    std::deque<std::string> outbox_;
    bool writing_ = false;
    std::uint64_t ack_due_ = 0;
    bool ack_scheduled_ = false;
    bool closing_ = false;
    bool finished_ = false;
    boost::beast::websocket::close_reason close_reason_;
};

}  // namespace octopus::server
