// The one Prometheus text writer (exposition format 0.0.4) behind GET /metrics. Every family
// is announced once with HELP and TYPE, then its samples; label values are escaped. Core
// counters, alert metrics and polling counters all go through it, so `promtool check metrics`
// has nothing to say about any series (tests/it_metrics.cpp runs it on the live endpoint).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace octopus::core {

class PromText {
  public:
    using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

    // Starts a family: "# HELP name help" and "# TYPE name type" (counter, gauge, histogram).
    void family(std::string_view name, std::string_view type, std::string_view help);
    // One sample of the current family (or, for a histogram, of one of its series).
    void sample(std::string_view name, const Labels& labels, double value);
    void sample(std::string_view name, double value) { sample(name, {}, value); }
    // A family with one unlabelled sample.
    void single(std::string_view name, std::string_view type, std::string_view help, double value) {
        family(name, type, help);
        sample(name, value);
    }

    std::string& text() { return out_; }

  private:
    std::string out_;
};

}  // namespace octopus::core
