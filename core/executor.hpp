// How the core gets work back onto its owning thread without knowing about Asio: the server
// implements this over an io_context; an in-process user can implement it over any loop.
// The Hub is single-threaded: every Hub method runs on the executor's thread.
#pragma once

#include <chrono>
#include <functional>

namespace octopus::core {

class Executor {
  public:
    virtual ~Executor() = default;
    // Runs fn on the owning thread, later. Safe to call from any thread.
    virtual void post(std::function<void()> fn) = 0;
    // Runs fn on the owning thread after `delay`.
    virtual void post_after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
};

}  // namespace octopus::core
