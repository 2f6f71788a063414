// The receiver's io_context runs on its own thread; the test thread only touches the script and
// the request log, both under `mutex`. Held (hanging) connections live on the io thread only.
// Stopping the io_context and joining is bounded: no handler here blocks.
#include "support/http_receiver.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace octopus::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

std::string lower(std::string out) {
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

struct HttpReceiver::Impl {
    class Session;

    asio::io_context io;
    tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    std::uint16_t port = acceptor.local_endpoint().port();
    std::vector<std::shared_ptr<Session>> held;  // io thread only

    mutable std::mutex mutex;
    std::condition_variable changed;
    std::vector<Request> log;
    std::size_t fail_count = 0;
    unsigned fail_status = 500;
    bool hanging = false;

    std::thread thread;

    Impl() {
        accept();
        thread = std::thread([this] { io.run(); });
    }

    ~Impl() {
        io.stop();
        thread.join();
    }

    void accept();

    // Records a request; returns its status, or 0 to hold it unanswered.
    unsigned record(Request request) {
        std::lock_guard lock(mutex);
        log.push_back(std::move(request));
        changed.notify_all();
        return hanging ? 0 : next_status();
    }

    unsigned next_status() {  // mutex held
        if (fail_count == 0) return 200;
        --fail_count;
        return fail_status;
    }
};

class HttpReceiver::Impl::Session : public std::enable_shared_from_this<Session> {
  public:
    Session(tcp::socket socket, Impl& owner) : socket_(std::move(socket)), owner_(owner) {}

    void read() {
        request_ = {};
        http::async_read(socket_, buffer_, request_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             if (ec) return self->close();
                             self->on_request();
                         });
    }

    void answer(unsigned status) {
        response_ = {};
        response_.result(status);
        response_.version(11);
        response_.set(http::field::content_type, "text/plain");
        response_.body() = "status " + std::to_string(status) + "\n";
        response_.keep_alive(request_.keep_alive());
        response_.prepare_payload();
        http::async_write(socket_, response_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec || !self->response_.keep_alive()) return self->close();
                              self->read();
                          });
    }

  private:
    void on_request() {
        Request recorded;
        recorded.method = std::string(request_.method_string());
        recorded.target = std::string(request_.target());
        for (const auto& field : request_)
            recorded.headers[lower(std::string(field.name_string()))] = std::string(field.value());
        recorded.body = request_.body();
        unsigned status = owner_.record(std::move(recorded));
        if (status == 0) return owner_.held.push_back(shared_from_this());
        answer(status);
    }

    void close() {
        beast::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

    tcp::socket socket_;
    Impl& owner_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
};

void HttpReceiver::Impl::accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
        if (ec) return;
        std::make_shared<Session>(std::move(socket), *this)->read();
        accept();
    });
}

HttpReceiver::HttpReceiver() : impl_(std::make_unique<Impl>()) {}

HttpReceiver::~HttpReceiver() = default;

std::uint16_t HttpReceiver::port() const {
    return impl_->port;
}

void HttpReceiver::fail_next(std::size_t count, unsigned status) {
    std::lock_guard lock(impl_->mutex);
    impl_->fail_count = count;
    impl_->fail_status = status;
}

void HttpReceiver::hang(bool on) {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->hanging = on;
    }
    if (on) return;
    asio::post(impl_->io, [impl = impl_.get()] {
        auto held = std::move(impl->held);
        impl->held.clear();
        for (auto& session : held) {
            unsigned status;
            {
                std::lock_guard lock(impl->mutex);
                status = impl->next_status();
            }
            session->answer(status);
        }
    });
}

bool HttpReceiver::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->log.size() >= n; });
}

std::vector<HttpReceiver::Request> HttpReceiver::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->log;
}

}  // namespace octopus::test
