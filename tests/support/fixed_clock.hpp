// A clock that always says 2024-11-28T07:13:37Z, for socket-free unit tests of the core.
#pragma once

#include <cstdint>

#include "core/clock.hpp"

namespace octopus::test {

class FixedClock final : public core::Clock {
  public:
    std::int64_t now_us() const override { return 1732778017000000; }
};

}  // namespace octopus::test
