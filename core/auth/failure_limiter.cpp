#include "core/auth/failure_limiter.hpp"

#include <algorithm>

namespace octopus::core::auth {

bool FailureLimiter::blocked(const std::string& peer, Time now) const {
    auto it = peers_.find(peer);
    return it != peers_.end() && now < it->second.blocked_until;
}

bool FailureLimiter::record_failure(const std::string& peer, Time now) {
    auto it = peers_.find(peer);
    if (it == peers_.end()) {
        if (peers_.size() >= options_.max_peers) evict_stalest();
        it = peers_.emplace(peer, Entry{now, 0, {}, now}).first;
    }
    Entry& e = it->second;
    if (now - e.window_start > options_.window) {
        e.window_start = now;
        e.failures = 0;
    }
    e.last = now;
    if (++e.failures < options_.max_failures) return false;
    bool newly = now >= e.blocked_until;
    e.blocked_until = now + options_.block;
    return newly;
}

void FailureLimiter::evict_stalest() {
    auto stalest = std::min_element(peers_.begin(), peers_.end(), [](const auto& a, const auto& b) {
        return a.second.last < b.second.last;
    });
    if (stalest != peers_.end()) peers_.erase(stalest);
}

}  // namespace octopus::core::auth
