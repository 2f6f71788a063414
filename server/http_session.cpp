#include "server/http_session.hpp"

#include <boost/asio/ssl.hpp>

#include "server/crab_session.hpp"
#include "server/http_api.hpp"
#include "server/subscriber_session.hpp"

namespace octopus::server {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {
constexpr std::chrono::seconds kRequestTimeout{30};
constexpr std::uint32_t kHeaderLimit = 16 * 1024;
constexpr std::chrono::seconds kHandshakeTimeout{10};
}  // namespace

namespace {
// The TLS context a new connection uses: the one in force now, kept for the connection's life.
std::shared_ptr<SslContext> context_for(ServerContext& ctx, bool tls) {
    return tls ? ctx.tls->current() : nullptr;
}

template <typename Stream>
Stream make_stream(boost::asio::ip::tcp::socket socket, const std::shared_ptr<SslContext>& tls) {
    if constexpr (is_tls_v<Stream>) {
        return Stream(std::move(socket), *tls);
    } else {
        return Stream(std::move(socket));
    }
}
}  // namespace

template <typename Stream>
HttpSession<Stream>::HttpSession(boost::asio::ip::tcp::socket socket, ServerContext& ctx)
    : tls_(context_for(ctx, is_tls_v<Stream>)),
      stream_(make_stream<Stream>(std::move(socket), tls_)),
      ctx_(ctx) {
    core::bump(ctx_.metrics.connections_open);
    boost::system::error_code ec;
    auto remote = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    peer_ = ec ? "unknown" : remote.address().to_string();
}

template <typename Stream>
HttpSession<Stream>::~HttpSession() {
    ctx_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
}

template <typename Stream>
void HttpSession<Stream>::run() {
    ctx_.track(this->shared_from_this());
    if constexpr (is_tls_v<Stream>) {
        handshake();
    } else {
        read();
    }
}

// TLS: the handshake must finish within kHandshakeTimeout; plaintext, garbage, a client
// certificate that does not verify, or silence end the connection here, counted.
template <typename Stream>
void HttpSession<Stream>::handshake() {
    if constexpr (is_tls_v<Stream>) {
        beast::get_lowest_layer(stream_).expires_after(kHandshakeTimeout);
        stream_.async_handshake(
            boost::asio::ssl::stream_base::server,
            beast::bind_front_handler(&HttpSession::on_handshake, this->shared_from_this()));
    }
}

template <typename Stream>
void HttpSession<Stream>::on_handshake(beast::error_code ec) {
    if constexpr (is_tls_v<Stream>) {
        if (ec) {
            core::bump(ctx_.metrics.tls_handshake_failures);
            return close();
        }
        core::bump(ctx_.metrics.tls_handshakes);
        const auto& from = ctx_.tls->config().crab_name_from;
        if (!from.empty()) cert_crab_ = certificate_crab_name(stream_.native_handle(), from);
        read();
    }
}

template <typename Stream>
void HttpSession<Stream>::read() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(ctx_.config.limits.max_http_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(kRequestTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
}

template <typename Stream>
void HttpSession<Stream>::on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
        keep_alive_ = false;
        linger_ = true;
        ctx_.metrics.count_error(protocol::ErrorCode::too_large);
        return respond(error_response({protocol::ErrorCode::too_large,
                                       "body exceeds max_http_body_bytes " +
                                           std::to_string(ctx_.config.limits.max_http_body_bytes)},
                                      11));
    }
    if (ec) return close();
    Request req = parser_->release();
    bool upgrade = beast::websocket::is_upgrade(req);
    if (auto refused = guard_request(req, upgrade, ctx_.guard)) {
        keep_alive_ = false;
        ctx_.metrics.count_error(refused->code);
        return respond(error_response(*refused, req.version()));
    }
    if (upgrade && !ctx_.stopping && this->upgrade(req)) return;
    keep_alive_ = req.keep_alive();
    core::bump(ctx_.metrics.http_requests);
    // The callback owns the session: a push is answered only once its snapshots are durable.
    handle_http(ctx_, req, {peer_, cert_crab_},
                [self = this->shared_from_this()](Response res) { self->respond(std::move(res)); });
}

// A WebSocket upgrade on /v1/crab or /v1/subscribe: authenticated here, before the handshake
// (a refusal is an HTTP answer), then the socket goes to its session. False for other targets.
template <typename Stream>
bool HttpSession<Stream>::upgrade(Request& req) {
    bool crab = req.target() == "/v1/crab";
    if (!crab && req.target() != "/v1/subscribe") return false;
    auto who = ctx_.auth->authenticate(req, {peer_, cert_crab_});
    if (!who) {
        keep_alive_ = false;
        ctx_.metrics.count_error(who.error().code);
        respond(error_response(who.error(), req.version()));
        return true;
    }
    ctx_.untrack(this);
    beast::get_lowest_layer(stream_).expires_never();
    if (crab) {
        std::make_shared<CrabSession<Stream>>(std::move(stream_), ctx_, who.value())
            ->run(std::move(req));
    } else {
        std::make_shared<SubscriberSession<Stream>>(std::move(stream_), ctx_, who.value())
            ->run(std::move(req));
    }
    return true;
}

template <typename Stream>
void HttpSession<Stream>::respond(Response response) {
    response.keep_alive(keep_alive_);
    response.prepare_payload();
    auto res = std::make_shared<Response>(std::move(response));
    beast::get_lowest_layer(stream_).expires_after(kRequestTimeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, std::size_t) {
                          if (!ec && self->linger_) return self->linger();
                          if (ec || !self->keep_alive_ || self->ctx_.stopping) return self->close();
                          self->read();
                      });
}

// Closing with unread request bytes makes the kernel send a reset, which can destroy the error
// response before the client reads it. Half-close, discard what the peer still sends until it
// closes too (bounded in time), then close.
template <typename Stream>
void HttpSession<Stream>::linger() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send,
                                                       ignored);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(64 * 1024),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                if (ec) return self->close();
                                self->linger();
                            });
}

template <typename Stream>
void HttpSession<Stream>::shut_down() {
    // In-flight responses (acks waiting for the disk) finish first; idle connections close now.
    keep_alive_ = false;
    if (!parser_ || !parser_->is_done()) close();
}

template <typename Stream>
void HttpSession<Stream>::close() {
    ctx_.untrack(this);
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send,
                                                       ignored);
    beast::get_lowest_layer(stream_).close();
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

}  // namespace octopus::server
