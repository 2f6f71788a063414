// The webhook call keeps itself alive through shared_from_this() bound into every handler, like
// a session. One absolute deadline covers the attempt: beast::tcp_stream::expires_at for
// connect, write and read, and a steady_timer for name resolution (which tcp_stream does not
// time). The body is sent from the shared alert text without a copy (span_body).
#include "server/alerts/webhook_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/span_body.hpp>

namespace octopus::server {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;

namespace {

// A receiver's answer body is not used; this bounds what a hostile one can make us buffer.
constexpr std::uint64_t kMaxResponseBody = 64 * 1024;

class WebhookCall final : public HookCall, public std::enable_shared_from_this<WebhookCall> {
  public:
    WebhookCall(boost::asio::io_context& io, const WebhookSpec& spec,
                std::shared_ptr<const std::string> body, HookDone done)
        : resolver_(io),
          resolve_timer_(io),
          stream_(io),
          host_(spec.host),
          port_(spec.port),
          timeout_(spec.timeout),
          body_(std::move(body)),
          done_(std::move(done)) {
        request_.method(http::verb::post);
        request_.target(spec.target);
        request_.version(11);
        request_.set(http::field::host, spec.host + ":" + std::to_string(spec.port));
        request_.set(http::field::user_agent, "octopus-hub");
        request_.set(http::field::content_type, "application/json");
        for (const auto& [name, value] : spec.headers) request_.set(name, value);
        request_.keep_alive(false);
        request_.body() = beast::span<const char>(body_->data(), body_->size());
        request_.prepare_payload();
        response_.body_limit(kMaxResponseBody);
    }

    void start() {
        deadline_ = std::chrono::steady_clock::now() + timeout_;
        boost::system::error_code ec;
        auto address = boost::asio::ip::make_address(host_, ec);
        if (!ec) {
            endpoints_.emplace_back(address, port_);
            return connect();
        }
        resolve_timer_.expires_at(deadline_);
        resolve_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
            if (wait_ec) return;
            self->resolve_timed_out_ = true;
            self->resolver_.cancel();
        });
        resolver_.async_resolve(
            host_, std::to_string(port_),
            [self = shared_from_this()](beast::error_code rec, tcp::resolver::results_type found) {
                self->resolve_timer_.cancel();
                if (self->resolve_timed_out_) return self->fail("resolve", beast::error::timeout);
                if (rec) return self->fail("resolve", rec);
                for (const auto& entry : found) self->endpoints_.push_back(entry.endpoint());
                self->connect();
            });
    }

    void abort() override {
        aborted_ = true;
        resolver_.cancel();
        resolve_timer_.cancel();
        stream_.close();
    }

  private:
    void connect() {
        stream_.expires_at(deadline_);
        stream_.async_connect(
            endpoints_, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                if (ec) return self->fail("connect", ec);
                self->stream_.expires_at(self->deadline_);
                http::async_write(self->stream_, self->request_,
                                  [self](beast::error_code wec, std::size_t) {
                                      if (wec) return self->fail("write", wec);
                                      self->read();
                                  });
            });
    }

    void read() {
        stream_.expires_at(deadline_);
        http::async_read(stream_, buffer_, response_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             if (ec) return self->fail("read", ec);
                             unsigned status = self->response_.get().result_int();
                             self->finish({status >= 200 && status < 300, static_cast<int>(status),
                                           "HTTP " + std::to_string(status)});
                         });
    }

    void fail(const char* phase, beast::error_code ec) {
        if (ec == beast::error::timeout)
            return finish({false, -1, "timeout after " + std::to_string(timeout_.count()) + " ms"});
        finish({false, -1, std::string(phase) + ": " + ec.message()});
    }

    void finish(HookOutcome outcome) {
        if (aborted_ || !done_) return;
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.close();
        auto done = std::move(done_);
        done_ = nullptr;
        done(std::move(outcome));
    }

    tcp::resolver resolver_;
    boost::asio::steady_timer resolve_timer_;
    beast::tcp_stream stream_;
    std::string host_;
    std::uint16_t port_;
    std::chrono::milliseconds timeout_;
    std::chrono::steady_clock::time_point deadline_;
    std::vector<tcp::endpoint> endpoints_;
    std::shared_ptr<const std::string> body_;
    http::request<http::span_body<const char>> request_;
    beast::flat_buffer buffer_;
    http::response_parser<http::string_body> response_;
    HookDone done_;
    bool resolve_timed_out_ = false;
    bool aborted_ = false;
};

}  // namespace

std::shared_ptr<HookCall> post_webhook(boost::asio::io_context& io, const WebhookSpec& spec,
                                       std::shared_ptr<const std::string> body, HookDone done) {
    auto call = std::make_shared<WebhookCall>(io, spec, std::move(body), std::move(done));
    call->start();
    return call;
}

}  // namespace octopus::server
