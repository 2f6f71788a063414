// Rate limit on failed authentication, per peer address: after `max_failures` failures within
// `window`, the address is refused (429 rate_limited) until `block` has passed since the last
// failure that counted, without its credentials even being checked. A guesser gets 20 tries per
// 10 s instead of thousands per second; at 2^256 token space it never matters for the token, but
// it keeps a flood of bad requests from costing a SHA-256 each and makes the attempt visible.
// The table of addresses is bounded (max_peers): when full, the stalest entry goes first.
// Time is passed in, so the limiter is tested with a fake clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

namespace octopus::core::auth {

struct LimiterOptions {
    std::size_t max_failures = 20;
    std::chrono::seconds window{10};
    std::chrono::seconds block{30};
    std::size_t max_peers = 10000;
};

class FailureLimiter {
  public:
    using Time = std::chrono::steady_clock::time_point;

    explicit FailureLimiter(LimiterOptions options = {}) : options_(options) {}

    // True while `peer` is blocked.
    bool blocked(const std::string& peer, Time now) const;
    // Counts one failure; returns true if it made the peer blocked.
    bool record_failure(const std::string& peer, Time now);
    std::size_t peers() const { return peers_.size(); }

  private:
    struct Entry {
        Time window_start{};
        std::size_t failures = 0;
        Time blocked_until{};
        Time last{};
    };
    void evict_stalest();

    LimiterOptions options_;
    std::unordered_map<std::string, Entry> peers_;
};

}  // namespace octopus::core::auth
