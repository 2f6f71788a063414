// The hub's clock, injected so tests can drive time. received_at comes from here.
#pragma once

#include <chrono>
#include <cstdint>

namespace octopus::core {

class Clock {
  public:
    virtual ~Clock() = default;
    // Microseconds since the Unix epoch (wall clock).
    virtual std::int64_t now_us() const = 0;
};

class SystemClock final : public Clock {
  public:
    std::int64_t now_us() const override {
        using namespace std::chrono;
        return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    }
};

}  // namespace octopus::core
