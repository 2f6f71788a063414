// latency_stats: nearest-rank percentiles over every recorded sample (see the header).
#include "bench/latency_stats.hpp"

#include <algorithm>
#include <cmath>

namespace octopus::bench {

void LatencyStats::merge(const LatencyStats& other) {
    samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
    sorted_ = false;
}

double LatencyStats::percentile_us(double q) {
    if (samples_.empty()) return 0.0;
    if (!sorted_) {
        std::sort(samples_.begin(), samples_.end());
        sorted_ = true;
    }
    q = std::clamp(q, 0.0, 1.0);
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples_.size())));
    std::size_t index = rank == 0 ? 0 : rank - 1;
    return static_cast<double>(samples_[index]) / 1000.0;
}

}  // namespace octopus::bench
