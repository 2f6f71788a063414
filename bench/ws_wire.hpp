// ws_wire: one client WebSocket connection driven straight on its TCP socket, for load clients
// that must not be the bottleneck (a Beast websocket::stream client tops out near 0.15M frames/s
// on a 2-core machine). It does its own HTTP upgrade, then callers append pre-built frames to
// one output buffer and every flush writes all of them in one async_write; each read is parsed
// whole, handing over every complete message it holds before the next read. Pings are answered.
// Both buffers are bounded: append refuses past kMaxOutputBytes, a message past kMaxMessageBytes
// fails the connection. It never retries or reconnects: any failure is reported once, and
// nothing is reported after close(). Single-threaded: all calls on the io_context's thread;
// the owner of the WireEvents must outlive io_context::run(). Over TLS (set_tls, for a whole
// run) it connects, completes a TLS handshake verifying the hub's certificate for 127.0.0.1,
// then upgrades as usual.
#pragma once

#include <functional>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <memory>
#include <variant>

#include "bench/ws_frames.hpp"

namespace octopus::bench {

// What a WsWire tells its owner. Called on the io_context's thread.
class WireEvents {
  public:
    virtual void on_open() = 0;                          // upgraded: may append and flush
    virtual void on_message(std::string_view text) = 0;  // one complete text or binary message
    virtual void on_read_end() {}                        // every message of one read handed over
    // Connect, upgrade, I/O or protocol failure, or a close frame from the server.
    virtual void on_failure(const std::string& what) = 0;

  protected:
    ~WireEvents() = default;
};

class WsWire {
  public:
    static constexpr std::size_t kMaxOutputBytes = 4 << 20;
    static constexpr std::size_t kMaxMessageBytes = 4 << 20;

    WsWire(boost::asio::io_context& io, WireEvents& events);
    WsWire(const WsWire&) = delete;
    WsWire& operator=(const WsWire&) = delete;

    // Every WsWire opened after this speaks TLS with `ctx` (null: plain TCP again).
    static void set_tls(std::shared_ptr<boost::asio::ssl::context> ctx);

    // Connects to 127.0.0.1:port and upgrades on `target` (e.g. "/v1/crab"); then on_open.
    void open(std::uint16_t port, const std::string& target);
    // Appends one text message; false (and nothing appended) if the output bound would be passed.
    bool append_text(std::string_view payload);
    // Starts writing everything appended, unless a write is in flight: what is appended meanwhile
    // goes out in one write when it completes.
    void flush();
    // No read is started after the current one: the peer's data piles up in the kernel.
    void stop_reading() { reading_ = false; }
    // Closes the socket; no callback runs after this.
    void close();

  private:
    void read();
    void on_read(std::size_t n);
    bool finish_upgrade();
    void parse();
    bool on_frame(Opcode op, std::string_view payload);
    void fail(const std::string& what);
    void start_upgrade(std::uint16_t port, const std::string& target);
    boost::asio::ip::tcp::socket& socket();
    template <typename F>
    void with_stream(F&& f);

    using TlsSocket = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
    std::variant<boost::asio::ip::tcp::socket, TlsSocket> stream_;
    WireEvents& events_;
    FrameReader reader_{kMaxMessageBytes};
    std::string pending_;  // appended, not yet handed to a write
    std::string writing_;  // the buffer of the write in flight
    bool write_in_flight_ = false;
    std::vector<char> in_;
    std::size_t begin_ = 0, end_ = 0;  // unparsed bytes are in_[begin_, end_)
    bool upgraded_ = false;
    bool reading_ = true;
    bool closed_ = false;
};

// A WsWire with callbacks instead of a WireEvents owner, for the scenarios that count
// connections or move large batches rather than chase frame rates (connections, replay): it
// opens with a first message, sends whole frames and closes. Like WsWire it must outlive
// io_context::run(), and after close() no callback runs.
class WireClient final : public WireEvents {
  public:
    using OnMessage = std::function<void(std::string_view)>;  // the view lives for the call
    using OnError = std::function<void(const std::string&)>;

    explicit WireClient(boost::asio::io_context& io) : wire_(io, *this) {}
    void open(std::uint16_t port, const std::string& target, std::string first,
              OnMessage on_message, OnError on_error);
    // Appends and flushes one text frame; past the output bound the connection fails.
    void send(std::string_view frame);
    void close();

  private:
    void on_open() override;
    void on_message(std::string_view text) override { on_message_(text); }
    void on_failure(const std::string& what) override;

    WsWire wire_;
    std::string first_;
    OnMessage on_message_;
    OnError on_error_;
};

}  // namespace octopus::bench
