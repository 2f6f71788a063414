// CrabClient implementation. Connection life (the steps are ws_connector's): resolve -> connect ->
// WebSocket handshake on /v1/crab -> hello -> read loop; any failure drops the link and schedules
// a reconnect after a doubling backoff. The queue is the only state that survives a link: a
// welcome renumbers nothing after the first one, it only trims what the hub already has and
// restarts sending.
// Exactly one write is in flight per link. Hub messages are parsed with nlohmann::json (off the
// hot path); snapshot frames are built by protocol::encode_snapshot. Nothing here sleeps.
#include "clients/crab_client.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <utility>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "clients/hub_address.hpp"
#include "protocol/encoder.hpp"

namespace octopus::clients {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;
using json = nlohmann::json;

namespace {

// Hub -> crab messages are a few dozen bytes; refuse anything absurd before buffering it.
constexpr std::size_t max_hub_message_bytes = 64 * 1024;
constexpr const char* crab_path = "/v1/crab";

std::optional<std::uint64_t> uint_field(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number_unsigned()) return std::nullopt;
    return it->get<std::uint64_t>();
}

std::string string_field(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return {};
    return it->get<std::string>();
}

// Shortest round-trip text of the timestamp, or empty (no timestamp) when it is not finite.
std::string timestamp_text(double timestamp) {
    if (!std::isfinite(timestamp)) return {};
    std::array<char, 32> buf{};
    const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), timestamp);
    return std::string(buf.data(), result.ptr);
}

bool is_disconnect(const error_code& ec) {
    return ec == websocket::error::closed || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::connection_refused;
}

}  // namespace

CrabClient::CrabClient(asio::io_context& io, CrabClientOptions options,
                       std::function<Sample()> sampler)
    : io_(io),
      options_(std::move(options)),
      sampler_(std::move(sampler)),
      resolver_(io),
      sample_timer_(io),
      reconnect_timer_(io),
      backoff_(options_.backoff_min, options_.backoff_max) {
    if (!sampler_) throw std::invalid_argument("CrabClient needs a sampler");
    options_.max_queue = std::max<std::size_t>(options_.max_queue, 1);
    options_.window = std::max<std::size_t>(options_.window, 1);
}

void CrabClient::start() {
    if (started_ || stopped_) return;
    started_ = true;
    if (options_.interval.count() > 0) {
        sample_timer_.expires_after(options_.interval);
        schedule_sample();
    }
    connect();
}

void CrabClient::stop() {
    if (stopped_) return;
    stopped_ = true;
    connected_ = false;
    sample_timer_.cancel();
    reconnect_timer_.cancel();
    resolver_.cancel();
    if (!link_) return;
    close_websocket(std::exchange(link_, nullptr), [name = options_.name](const error_code& ec) {
        if (ec) spdlog::info("crab {}: close: {}", name, ec.message());
    });
}

void CrabClient::push(Sample sample) {
    enqueue(std::move(sample), {});
}

void CrabClient::set_on_ack(std::function<void()> on_ack) {
    on_ack_ = std::move(on_ack);
}

// --- connection -------------------------------------------------------------------------------

void CrabClient::connect() {
    WsClientWiring::connect(shared_from_this(), link_, io_, resolver_,
                            {options_.host, options_.port, crab_path, max_hub_message_bytes,
                             options_.tls, options_.token},
                            &CrabClient::handle_message);
}

void CrabClient::on_open(const LinkPtr& link) {
    spdlog::info("crab {}: connected to {}, saying hello", options_.name, host_header());
    write(link, protocol::encode_hello(options_.name));
}

void CrabClient::write(const LinkPtr& link, std::string frame) {
    link->outbox.push_back(std::move(frame));
    if (!link->writing) write_next(link);
}

void CrabClient::write_next(const LinkPtr& link) {
    link->writing = true;
    link->ws.async_write(asio::buffer(link->outbox.front()),
                         [self = shared_from_this(), link](error_code ec, std::size_t) {
                             self->on_write(link, ec);
                         });
}

void CrabClient::on_write(const LinkPtr& link, const error_code& ec) {
    link->writing = false;
    if (!is_current(link)) return;
    if (ec) return fail(link, "write", ec);
    link->outbox.pop_front();
    if (!link->outbox.empty()) write_next(link);
}

void CrabClient::fail(const LinkPtr& link, std::string_view what, const error_code& ec) {
    if (ec == websocket::error::closed) {
        const websocket::close_reason& reason = link->ws.reason();
        spdlog::warn("crab {}: hub closed the connection (code {}, \"{}\")", options_.name,
                     static_cast<unsigned>(reason.code),
                     std::string(reason.reason.data(), reason.reason.size()));
    } else if (!link->failure_detail.empty()) {
        spdlog::error("crab {}: {}: {}", options_.name, host_header(), link->failure_detail);
    } else if (is_disconnect(ec)) {
        spdlog::info("crab {}: {} {}: {}", options_.name, what, host_header(), ec.message());
    } else {
        spdlog::warn("crab {}: {} {}: {}", options_.name, what, host_header(), ec.message());
    }
    connected_ = false;
    in_flight_ = 0;
    link->ws.lowest().close();
    link_.reset();
    schedule_reconnect();
}

void CrabClient::schedule_reconnect() {
    spdlog::info("crab {}: reconnecting in {} ms ({} queued)", options_.name,
                 backoff_.next().count(), queue_.size());
    backoff_.schedule(reconnect_timer_, [self = shared_from_this()] {
        if (!self->stopped_) self->connect();
    });
}

void CrabClient::schedule_sample() {
    sample_timer_.async_wait([self = shared_from_this()](error_code ec) {
        if (ec || self->stopped_) return;
        self->enqueue(self->sampler_(), {});
        // Keep the cadence without bursting to catch up after a slow sampler.
        const auto next = self->sample_timer_.expiry() + self->options_.interval;
        self->sample_timer_.expires_at(std::max(next, asio::steady_timer::clock_type::now()));
        self->schedule_sample();
    });
}

std::string CrabClient::host_header() const {
    return clients::host_header(options_.host, options_.port);
}

// --- hub messages -----------------------------------------------------------------------------

void CrabClient::handle_message(std::string_view text) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        spdlog::warn("crab {}: ignoring a hub message that is not a JSON object", options_.name);
        return;
    }
    const std::string type = string_field(j, "type");
    if (type == "welcome") return on_welcome(uint_field(j, "last_seq"));
    if (type == "ack") {
        if (const auto seq = uint_field(j, "seq")) return on_ack(*seq);
    } else if (type == "collect") {
        std::string id = string_field(j, "id");
        if (!id.empty()) return on_collect(std::move(id));
    } else if (type == "error") {
        spdlog::warn("crab {}: hub error {}: {}", options_.name, string_field(j, "code"),
                     string_field(j, "message"));
        return;
    }
    spdlog::warn("crab {}: ignoring hub message {}", options_.name, text);
}

void CrabClient::on_welcome(std::optional<std::uint64_t> last_seq) {
    if (!next_seq_) number_queue(last_seq);
    if (last_seq) {
        // Never number below what the hub holds: it would refuse those seqs as regressions.
        next_seq_ = std::max(*next_seq_, *last_seq + 1);
    }
    connected_ = true;
    ++connects_;
    last_welcome_seq_ = last_seq;
    backoff_.reset();
    in_flight_ = 0;
    spdlog::info("crab {}: welcomed (hub last_seq {}, {} queued)", options_.name,
                 last_seq ? std::to_string(*last_seq) : "null", queue_.size());
    if (last_seq) drop_acknowledged(*last_seq);
    pump();
}

void CrabClient::on_ack(std::uint64_t seq) {
    drop_acknowledged(seq);
    pump();
}

void CrabClient::on_collect(std::string request_id) {
    spdlog::debug("crab {}: collect {}", options_.name, request_id);
    enqueue(sampler_(), std::move(request_id));
}

// --- queue ------------------------------------------------------------------------------------

void CrabClient::enqueue(Sample sample, std::string reply_to) {
    if (queue_.size() >= options_.max_queue) {
        queue_.pop_front();
        ++dropped_;
        if (in_flight_ > 0) --in_flight_;
    }
    std::optional<std::uint64_t> seq;
    if (next_seq_) seq = (*next_seq_)++;
    queue_.push_back(Entry{seq, std::move(sample), std::move(reply_to)});
    pump();
}

void CrabClient::number_queue(std::optional<std::uint64_t> last_seq) {
    std::uint64_t next = last_seq ? *last_seq + 1 : 1;
    for (Entry& e : queue_) e.seq = next++;
    next_seq_ = next;
}

void CrabClient::drop_acknowledged(std::uint64_t seq) {
    acked_seq_ = std::max(acked_seq_, seq);
    std::size_t n = 0;
    while (!queue_.empty() && queue_.front().seq && *queue_.front().seq <= seq) {
        queue_.pop_front();
        ++n;
    }
    if (n == 0) return;
    in_flight_ -= std::min(n, in_flight_);
    acked_count_ += n;
    if (on_ack_) on_ack_();
}

void CrabClient::pump() {
    if (!connected_ || !link_) return;
    while (in_flight_ < options_.window && in_flight_ < queue_.size()) {
        write(link_, encode(queue_[in_flight_]));
        ++in_flight_;
    }
}

std::string CrabClient::encode(const Entry& entry) const {
    const std::string timestamp = timestamp_text(entry.sample.timestamp);
    return protocol::encode_snapshot(
        {entry.seq, timestamp, entry.sample.values_json, "{}", entry.reply_to});
}

}  // namespace octopus::clients
