// Process-wide counters rendered as Prometheus text at GET /metrics. Counters are relaxed
// atomics because the disk writer thread and the network thread both update them; nothing
// here ever blocks. Gauges that are cheaper to compute on demand (crabs online, hub_seq) are
// passed to render() by the caller.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/prom_text.hpp"
#include "protocol/errors.hpp"

namespace octopus::core {

using Counter = std::atomic<std::uint64_t>;

class LatencyHistogram {
  public:
    static constexpr std::array<double, 14> kBounds{
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};
    void observe(double seconds);
    void render(PromText& out, const char* name, const char* help) const;
    // Observations per bucket (not cumulative): kBounds, then +Inf.
    std::array<std::uint64_t, kBounds.size() + 1> counts() const;
    double sum() const { return sum_.load(std::memory_order_relaxed); }

  private:
    std::array<Counter, kBounds.size() + 1> buckets_{};
    Counter count_{0};
    std::atomic<double> sum_{0};
};

struct Metrics {
    Counter connections_open{0};          // gauge: live TCP connections
    Counter connections_total{0};         // accepted TCP connections
    Counter connections_refused{0};       // refused: over max_connections
    Counter crab_sessions_open{0};        // gauge: WebSocket crab sessions after hello
    Counter subscriber_sessions_open{0};  // gauge: WebSocket subscriber connections
    Counter events_delivered{0};          // snapshots queued to subscribers
    Counter subscriber_drops{0};          // snapshots a full subscriber queue could not take
    Counter frames_received{0};
    Counter bytes_received{0};
    Counter snapshots_accepted{0};
    Counter snapshots_duplicate{0};  // resent seq <= stored: acked, not stored again
    Counter seq_jumps{0};            // a seq more than suspicious_seq_jump above the previous
    Counter seq_resets{0};           // operator seq resets (POST .../reset-seq)
    Counter http_requests{0};
    Counter tls_handshakes{0};          // completed TLS handshakes
    Counter tls_handshake_failures{0};  // plaintext, garbage, bad or missing client certificate,
                                        // or no ClientHello within the handshake timeout
    Counter disk_bytes_written{0};
    Counter disk_write_batches{0};
    Counter disk_write_errors{0};
    Counter fsyncs{0};
    Counter checkpoints_saved{0};
    std::array<Counter, protocol::error_code_count> errors{};  // by code, every refusal
    LatencyHistogram ack_latency;

    void count_error(protocol::ErrorCode code) {
        errors[static_cast<std::size_t>(code)].fetch_add(1, std::memory_order_relaxed);
    }
    std::uint64_t error_count(protocol::ErrorCode code) const {
        return errors[static_cast<std::size_t>(code)].load(std::memory_order_relaxed);
    }

    // A value computed on demand by the caller (crabs online, hub_seq).
    struct Gauge {
        const char* name;
        const char* help;
        double value;
    };
    // Renders every metric, then `gauges`.
    void render(PromText& out, const std::vector<Gauge>& gauges) const;
};

inline void bump(Counter& c, std::uint64_t n = 1) {
    c.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace octopus::core
