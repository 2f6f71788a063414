// deadline: one steady_timer per phase (see the header).
#include "bench/deadline.hpp"

namespace octopus::bench {

void Deadline::arm(std::chrono::steady_clock::duration bound, const std::string& why,
                   Expired expired) {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(bound).count();
    timer_.expires_after(bound);
    timer_.async_wait([message = why + " within " + std::to_string(seconds) + " s",
                       expired = std::move(expired)](boost::system::error_code ec) {
        if (!ec) expired(message);
    });
}

}  // namespace octopus::bench
