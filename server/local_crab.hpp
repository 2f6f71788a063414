// The built-in in-process crab (default name local_system): samples this machine's /proc every
// interval and answers collect requests at once, so a fresh hub has live data immediately. It
// goes through Hub::ingest exactly like a remote crab (the hub assigns its seq).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "clients/proc_sampler.hpp"
#include "core/crab_link.hpp"
#include "core/hub.hpp"

namespace octopus::server {

class LocalCrab : public core::CrabLink, public std::enable_shared_from_this<LocalCrab> {
  public:
    LocalCrab(boost::asio::io_context& ioc, core::Hub& hub, std::string name,
              std::chrono::milliseconds interval);

    // Registers with the hub and starts sampling; false if the name is taken.
    bool start();
    void stop();
    void request_snapshot(const std::string& request_id) override;
    void disconnect(const std::string& reason) override;

  private:
    void schedule();
    void push(const std::string& reply_to);

    boost::asio::steady_timer timer_;
    core::Hub& hub_;
    std::string name_;
    std::chrono::milliseconds interval_;
    clients::ProcSampler sampler_;
};

}  // namespace octopus::server
