// latency_stats: recorded latency samples and their percentiles (p50/p99/p99.9). It keeps every
// sample (8 bytes each; a bench run records at most a few million) so the percentiles are exact,
// not estimated from buckets. Recording is O(1) and allocation-amortized; the sort happens once,
// when the report asks. It never reads a clock: callers measure, it only counts.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

namespace octopus::bench {

class LatencyStats {
  public:
    void reserve(std::size_t n) { samples_.reserve(n); }
    void add(std::chrono::nanoseconds sample) { samples_.push_back(sample.count()); }
    std::size_t count() const { return samples_.size(); }
    // Adds every sample of `other` (per-thread stats merged once, after their threads stopped).
    void merge(const LatencyStats& other);
    // Nearest-rank percentile, q in [0, 1], in microseconds; 0 when there are no samples.
    double percentile_us(double q);
    // Sets the p50_us, p99_us and p999_us fields every scenario result has.
    template <class Result>
    void report_into(Result& r) {
        r.p50_us = percentile_us(0.50);
        r.p99_us = percentile_us(0.99);
        r.p999_us = percentile_us(0.999);
    }

  private:
    std::vector<long long> samples_;
    bool sorted_ = false;
};

}  // namespace octopus::bench
