// core::Executor over an Asio io_context: how the disk writer's completions and the hub's
// timers get back onto the network thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "core/executor.hpp"

namespace octopus::server {

class AsioExecutor final : public core::Executor {
  public:
    explicit AsioExecutor(boost::asio::io_context& ioc) : ioc_(ioc) {}

    void post(std::function<void()> fn) override { boost::asio::post(ioc_, std::move(fn)); }

    void post_after(std::chrono::milliseconds delay, std::function<void()> fn) override {
        auto timer = std::make_shared<boost::asio::steady_timer>(ioc_, delay);
        timer->async_wait([timer, fn = std::move(fn)](boost::system::error_code ec) {
            if (!ec) fn();
        });
    }

  private:
    boost::asio::io_context& ioc_;
};

}  // namespace octopus::server
