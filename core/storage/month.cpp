#include "core/storage/month.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace octopus::core {

namespace {
constexpr double kEarliest = 946684800.0;  // 2000-01-01T00:00:00Z
constexpr double kLatest = 4102444800.0;   // 2100-01-01T00:00:00Z
}  // namespace

std::string month_partition(std::optional<double> unix_seconds) {
    if (!unix_seconds || !std::isfinite(*unix_seconds) || *unix_seconds < kEarliest ||
        *unix_seconds >= kLatest) {
        return "unknown";
    }
    auto secs = static_cast<std::time_t>(std::floor(*unix_seconds));
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    return buf;
}

}  // namespace octopus::core
