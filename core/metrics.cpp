#include "core/metrics.hpp"

#include <cstdio>
#include <string>

namespace octopus::core {

namespace {
void metric(PromText& out, const char* name, const char* type, const char* help, const Counter& c) {
    out.single(name, type, help, static_cast<double>(c.load(std::memory_order_relaxed)));
}
}  // namespace

void LatencyHistogram::observe(double seconds) {
    std::size_t i = 0;
    while (i < kBounds.size() && seconds > kBounds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    double cur = sum_.load(std::memory_order_relaxed);
    while (!sum_.compare_exchange_weak(cur, cur + seconds, std::memory_order_relaxed)) {
    }
}

std::array<std::uint64_t, LatencyHistogram::kBounds.size() + 1> LatencyHistogram::counts() const {
    std::array<std::uint64_t, kBounds.size() + 1> out{};
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = buckets_[i].load(std::memory_order_relaxed);
    return out;
}

void LatencyHistogram::render(PromText& out, const char* name, const char* help) const {
    out.family(name, "histogram", help);
    std::uint64_t cumulative = 0;
    const std::string bucket = std::string(name) + "_bucket";
    for (std::size_t i = 0; i <= kBounds.size(); ++i) {
        cumulative += buckets_[i].load(std::memory_order_relaxed);
        char le[32];
        if (i < kBounds.size()) {
            std::snprintf(le, sizeof le, "%g", kBounds[i]);
        } else {
            std::snprintf(le, sizeof le, "+Inf");
        }
        out.sample(bucket, {{"le", le}}, static_cast<double>(cumulative));
    }
    out.sample(std::string(name) + "_sum", sum_.load(std::memory_order_relaxed));
    out.sample(std::string(name) + "_count",
               static_cast<double>(count_.load(std::memory_order_relaxed)));
}

void Metrics::render(PromText& out, const std::vector<Gauge>& gauges) const {
    metric(out, "octopus_connections_open", "gauge", "Live TCP connections.", connections_open);
    metric(out, "octopus_connections_total", "counter", "Accepted TCP connections.",
           connections_total);
    metric(out, "octopus_connections_refused_total", "counter",
           "Connections refused because max_connections was reached.", connections_refused);
    metric(out, "octopus_tls_handshakes_total", "counter", "Completed TLS handshakes.",
           tls_handshakes);
    metric(out, "octopus_tls_handshake_failures_total", "counter",
           "TLS handshakes refused: plaintext or garbage on the TLS port, a bad or missing client "
           "certificate, or no handshake within 10 s.",
           tls_handshake_failures);
    metric(out, "octopus_crab_sessions_open", "gauge", "Crab WebSocket sessions past hello.",
           crab_sessions_open);
    metric(out, "octopus_subscriber_sessions_open", "gauge", "Subscriber WebSocket connections.",
           subscriber_sessions_open);
    metric(out, "octopus_events_delivered_total", "counter", "Snapshots queued to subscribers.",
           events_delivered);
    metric(out, "octopus_subscriber_drops_total", "counter",
           "Snapshots skipped (gap) or refused because a subscriber's queue was full.",
           subscriber_drops);
    metric(out, "octopus_frames_received_total", "counter", "WebSocket frames received from crabs.",
           frames_received);
    metric(out, "octopus_bytes_received_total", "counter", "Payload bytes received from crabs.",
           bytes_received);
    metric(out, "octopus_snapshots_accepted_total", "counter", "Snapshots accepted and stored.",
           snapshots_accepted);
    metric(out, "octopus_snapshots_duplicate_total", "counter",
           "Resent snapshots (seq already stored): acknowledged, not stored again.",
           snapshots_duplicate);
    metric(out, "octopus_seq_jumps_total", "counter",
           "Snapshots whose seq jumped more than 10^9 above the crab's previous one.", seq_jumps);
    metric(out, "octopus_seq_resets_total", "counter", "Crab seqs reset by an operator.",
           seq_resets);
    metric(out, "octopus_http_requests_total", "counter", "HTTP requests served.", http_requests);
    metric(out, "octopus_disk_bytes_written_total", "counter",
           "Envelope bytes appended to workspaces.", disk_bytes_written);
    metric(out, "octopus_disk_write_batches_total", "counter", "Group-commit batches written.",
           disk_write_batches);
    metric(out, "octopus_disk_write_errors_total", "counter", "Failed workspace writes (retried).",
           disk_write_errors);
    metric(out, "octopus_fsyncs_total", "counter", "fdatasync calls on workspace files.", fsyncs);
    metric(out, "octopus_checkpoints_saved_total", "counter", "state.db checkpoint transactions.",
           checkpoints_saved);
    out.family("octopus_errors_total", "counter", "Refusals and errors sent, by code.");
    for (std::size_t i = 0; i < protocol::error_code_count; ++i) {
        auto code = protocol::to_string(static_cast<protocol::ErrorCode>(i));
        out.sample("octopus_errors_total", {{"code", code}},
                   static_cast<double>(errors[i].load(std::memory_order_relaxed)));
    }
    ack_latency.render(out, "octopus_ack_latency_seconds",
                       "From receiving a snapshot frame to its ack being due (durable).");
    for (const auto& g : gauges) out.single(g.name, "gauge", g.help, g.value);
}

}  // namespace octopus::core
