// deadline: the bound on one phase of a bench scenario (connect, fill, burst, replay). arm()
// starts it; if the phase has not cancelled it in time, it calls `expired` with "WHY within N s"
// on the scenario's io_context thread. It never ends a phase by itself: the scenario decides
// what a missed bound means (usually: record the error, close every client).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace octopus::bench {

class Deadline {
  public:
    using Expired = std::function<void(const std::string&)>;

    explicit Deadline(boost::asio::io_context& io) : timer_(io) {}

    // Replaces any bound still armed.
    void arm(std::chrono::steady_clock::duration bound, const std::string& why, Expired expired);
    void cancel() { timer_.cancel(); }

  private:
    boost::asio::steady_timer timer_;
};

}  // namespace octopus::bench
