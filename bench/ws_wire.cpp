// ws_wire: the upgrade, the batched writes and the parse-every-read loop (see the header).
#include "bench/ws_wire.hpp"

#include <algorithm>
#include <cstring>

#include <boost/asio/connect.hpp>

#include <boost/asio/write.hpp>
#include "clients/tls_client.hpp"

namespace octopus::bench {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::size_t kReadChunk = 64 * 1024;  // the first read buffer; it doubles as needed
constexpr std::size_t kMaxReadBuffer = WsWire::kMaxMessageBytes + kMaxFrameHeader + kReadChunk;
constexpr std::size_t kMaxUpgradeResponse = 16 * 1024;

std::string upgrade_request(std::uint16_t port, const std::string& target) {
    // A fixed key is fine: the server only hashes it into Sec-WebSocket-Accept, which a bench
    // client on loopback has no reason to check beyond the 101 status.
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

std::shared_ptr<asio::ssl::context>& tls_context() {
    static std::shared_ptr<asio::ssl::context> ctx;
    return ctx;
}

}  // namespace

void WsWire::set_tls(std::shared_ptr<asio::ssl::context> ctx) {
    tls_context() = std::move(ctx);
}

WsWire::WsWire(asio::io_context& io, WireEvents& events)
    : stream_(tls_context() ? decltype(stream_)(std::in_place_type<TlsSocket>, io, *tls_context())
                            : decltype(stream_)(std::in_place_type<tcp::socket>, io)),
      events_(events),
      in_(kReadChunk) {}

tcp::socket& WsWire::socket() {
    if (auto* tls = std::get_if<TlsSocket>(&stream_)) return tls->next_layer();
    return std::get<tcp::socket>(stream_);
}

template <typename F>
void WsWire::with_stream(F&& f) {
    std::visit(std::forward<F>(f), stream_);
}

void WsWire::open(std::uint16_t port, const std::string& target) {
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    socket().async_connect(ep, [this, port, target](const boost::system::error_code& ec) {
        if (closed_) return;
        if (ec) return fail("connect: " + ec.message());
        socket().set_option(tcp::no_delay(true));
        auto* tls = std::get_if<TlsSocket>(&stream_);
        if (!tls) return start_upgrade(port, target);
        if (!clients::prepare_tls_connection(tls->native_handle(), "127.0.0.1"))
            return fail("tls: cannot set the host name");
        tls->async_handshake(
            asio::ssl::stream_base::client,
            [this, port, target](const boost::system::error_code& e) {
                if (closed_) return;
                auto* t = std::get_if<TlsSocket>(&stream_);
                if (e) return fail("tls: " + clients::describe_tls_error(e, t->native_handle()));
                start_upgrade(port, target);
            });
    });
}

void WsWire::start_upgrade(std::uint16_t port, const std::string& target) {
    pending_ = upgrade_request(port, target);
    flush();
    read();
}

bool WsWire::append_text(std::string_view payload) {
    if (pending_.size() + payload.size() + kMaxFrameHeader > kMaxOutputBytes) return false;
    append_client_frame(pending_, Opcode::text, payload);
    return true;
}

void WsWire::flush() {
    if (write_in_flight_ || pending_.empty() || closed_) return;
    std::swap(pending_, writing_);
    write_in_flight_ = true;
    with_stream([this](auto& s) {
        asio::async_write(s, asio::buffer(writing_),
                          [this](const boost::system::error_code& ec, std::size_t) {
                              write_in_flight_ = false;
                              if (closed_) return;
                              if (ec) return fail("write: " + ec.message());
                              writing_.clear();
                              flush();
                          });
    });
}

void WsWire::close() {
    closed_ = true;
    boost::system::error_code ignored;
    socket().close(ignored);
}

void WsWire::fail(const std::string& what) {
    if (closed_) return;
    close();
    events_.on_failure(what);
}

void WsWire::read() {
    if (begin_ > 0) {
        std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    if (end_ == in_.size()) {
        if (in_.size() >= kMaxReadBuffer) return fail("read buffer bound reached");
        in_.resize(std::min(in_.size() * 2, kMaxReadBuffer));
    }
    with_stream([this](auto& s) {
        s.async_read_some(asio::buffer(in_.data() + end_, in_.size() - end_),
                          [this](const boost::system::error_code& ec, std::size_t n) {
                              if (closed_) return;
                              if (ec) return fail("read: " + ec.message());
                              on_read(n);
                          });
    });
}

void WsWire::on_read(std::size_t n) {
    end_ += n;
    if (!upgraded_ && !finish_upgrade()) {
        if (!closed_) read();
        return;
    }
    parse();
    if (closed_) return;
    events_.on_read_end();
    if (!closed_ && reading_) read();
}

// True once the 101 response is consumed and on_open has run; false while it is incomplete or
// when the upgrade failed (then the connection is closed).
bool WsWire::finish_upgrade() {
    std::string_view data(in_.data() + begin_, end_ - begin_);
    auto end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) {
        if (data.size() > kMaxUpgradeResponse) fail("upgrade response too long");
        return false;
    }
    if (data.rfind("HTTP/1.1 101", 0) != 0) {
        fail("upgrade refused: " + std::string(data.substr(0, data.find('\r'))));
        return false;
    }
    begin_ += end + 4;
    upgraded_ = true;
    events_.on_open();
    return !closed_;
}

void WsWire::parse() {
    std::string_view data(in_.data() + begin_, end_ - begin_);
    begin_ +=
        reader_.parse(data, [this](Opcode op, std::string_view p) { return on_frame(op, p); });
    if (!reader_.error().empty()) return fail("protocol: " + reader_.error());
    if (begin_ == end_) begin_ = end_ = 0;
}

bool WsWire::on_frame(Opcode op, std::string_view payload) {
    switch (op) {
        case Opcode::ping:
            append_client_frame(pending_, Opcode::pong, payload);
            flush();
            return true;
        case Opcode::close: {
            unsigned code = payload.size() >= 2 ? (static_cast<unsigned char>(payload[0]) << 8) |
                                                      static_cast<unsigned char>(payload[1])
                                                : 1005;
            fail("closed by the server, code " + std::to_string(code));
            return false;
        }
        case Opcode::pong:
            return true;
        default:
            events_.on_message(payload);
            return !closed_;
    }
}

void WireClient::open(std::uint16_t port, const std::string& target, std::string first,
                      OnMessage on_message, OnError on_error) {
    first_ = std::move(first);
    on_message_ = std::move(on_message);
    on_error_ = std::move(on_error);
    wire_.open(port, target);
}

void WireClient::on_open() {
    send(first_);
    first_.clear();
}

void WireClient::send(std::string_view frame) {
    if (!wire_.append_text(frame))
        return on_failure("output buffer full (" + std::to_string(frame.size()) + " bytes more)");
    wire_.flush();
}

void WireClient::close() {
    wire_.close();
}

void WireClient::on_failure(const std::string& what) {
    wire_.close();
    if (on_error_) on_error_(what);
}

}  // namespace octopus::bench
