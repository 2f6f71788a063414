// CrabClient: the crab side of /v1/crab over Boost.Beast. It owns one WebSocket connection at a
// time, a bounded queue of unacknowledged snapshots (full: the oldest is dropped and counted),
// the seq numbering, and the sampling and reconnect timers. Single-threaded: every method and
// handler runs on the io_context's thread (call methods from a handler or before run()).
// Invariants: seqs are assigned once and never reused; a snapshot leaves the queue only when
// the hub has it (ack or welcome last_seq) or when the queue overflows. It never blocks or sleeps,
// and it never loses queued snapshots on disconnect: it reconnects with backoff and resends.
#pragma once

// Standard headers first: Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "clients/proc_sampler.hpp"
#include "clients/ws_connector.hpp"

namespace octopus::clients {

struct CrabClientOptions {
    std::string host = "127.0.0.1";
    std::string port = "8765";
    std::shared_ptr<boost::asio::ssl::context> tls;  // set: wss:// (clients/tls_client.hpp)
    std::string token;                               // set: sent as Authorization: Bearer
    std::string name;
    std::chrono::milliseconds interval{1000};  // 0: no periodic sampling, only push()/collect
    std::size_t max_queue = 10000;             // unacked snapshots held; full drops the oldest
    std::size_t window = 64;                   // sent-but-unacked snapshots at most
    std::chrono::milliseconds backoff_min{100};
    std::chrono::milliseconds backoff_max{5000};
};

class CrabClient : public std::enable_shared_from_this<CrabClient> {
  public:
    // `sampler` is called on the io_context's thread for each periodic sample and collect.
    CrabClient(boost::asio::io_context& io, CrabClientOptions options,
               std::function<Sample()> sampler);

    // Must be owned by a std::shared_ptr before start(): handlers keep it alive.
    void start();
    // Cancels timers, closes the connection (WebSocket close 1000) and lets run() return.
    void stop();
    // Queues one snapshot; it is sent when connected and within the window.
    void push(Sample sample);
    // Called after an ack or a welcome removed acknowledged snapshots from the queue.
    void set_on_ack(std::function<void()> on_ack);

    std::uint64_t acked_seq() const { return acked_seq_; }      // highest seq the hub confirmed
    std::uint64_t acked_count() const { return acked_count_; }  // our snapshots it confirmed
    std::size_t queued() const { return queue_.size(); }
    std::uint64_t dropped() const { return dropped_; }
    bool connected() const { return connected_; }  // welcomed on the current connection
    std::uint64_t connects() const { return connects_; }
    std::optional<std::uint64_t> last_welcome_seq() const { return last_welcome_seq_; }

  private:
    friend struct WsClientWiring;
    // One connection attempt and its outgoing frames. Handlers of a link that is no longer
    // current (link_) are ignored, so a reconnect never sees stale events.
    struct Link : WsLink {
        using WsLink::WsLink;
        std::deque<std::string> outbox;
        bool writing = false;
    };
    using LinkPtr = std::shared_ptr<Link>;

    struct Entry {
        std::optional<std::uint64_t> seq;  // none until the first welcome
        Sample sample;
        std::string reply_to;
    };

    void connect();
    void on_open(const LinkPtr& link);
    void write(const LinkPtr& link, std::string frame);
    void write_next(const LinkPtr& link);
    void on_write(const LinkPtr& link, const boost::system::error_code& ec);
    void fail(const LinkPtr& link, std::string_view what, const boost::system::error_code& ec);
    void schedule_reconnect();
    void schedule_sample();
    bool is_current(const LinkPtr& link) const { return !stopped_ && link == link_; }
    std::string host_header() const;

    void handle_message(std::string_view text);
    void on_welcome(std::optional<std::uint64_t> last_seq);
    void on_ack(std::uint64_t seq);
    void on_collect(std::string request_id);

    void enqueue(Sample sample, std::string reply_to);
    void number_queue(std::optional<std::uint64_t> last_seq);
    void drop_acknowledged(std::uint64_t seq);
    void pump();
    std::string encode(const Entry& entry) const;

    boost::asio::io_context& io_;
    CrabClientOptions options_;
    std::function<Sample()> sampler_;
    std::function<void()> on_ack_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::steady_timer sample_timer_;
    boost::asio::steady_timer reconnect_timer_;
    LinkPtr link_;

    std::deque<Entry> queue_;                // oldest first; seqs ascending once numbered
    std::size_t in_flight_ = 0;              // queue_[0, in_flight_) was sent on the current link
    std::optional<std::uint64_t> next_seq_;  // set at the first welcome
    Backoff backoff_;

    bool started_ = false;
    bool stopped_ = false;
    bool connected_ = false;
    std::uint64_t acked_seq_ = 0;
    std::uint64_t acked_count_ = 0;
    std::uint64_t dropped_ = 0;
    std::uint64_t connects_ = 0;
    std::optional<std::uint64_t> last_welcome_seq_;
};

}  // namespace octopus::clients
