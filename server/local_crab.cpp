#include "server/local_crab.hpp"

#include <spdlog/spdlog.h>
#include <charconv>

namespace octopus::server {

LocalCrab::LocalCrab(boost::asio::io_context& ioc, core::Hub& hub, std::string name,
                     std::chrono::milliseconds interval)
    : timer_(ioc), hub_(hub), name_(std::move(name)), interval_(interval) {}

bool LocalCrab::start() {
    auto registered = hub_.register_crab(name_, shared_from_this());
    if (!registered) {
        spdlog::error("local crab {}: {}", name_, registered.error().message);
        return false;
    }
    push("");
    schedule();
    return true;
}

void LocalCrab::stop() {
    timer_.cancel();
    hub_.unregister_crab(name_, this);
}

// The in-process crab answers synchronously, so it is never silent; stop sampling if told to.
void LocalCrab::disconnect(const std::string& reason) {
    spdlog::warn("local crab {}: {}", name_, reason);
    timer_.cancel();
}

void LocalCrab::request_snapshot(const std::string& request_id) {
    push(request_id);
}

void LocalCrab::schedule() {
    timer_.expires_after(interval_);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec) return;
        self->push("");
        self->schedule();
    });
}

void LocalCrab::push(const std::string& reply_to) {
    auto sample = sampler_.sample();
    protocol::Snapshot snap;
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, sample.timestamp);
    snap.timestamp_raw.assign(buf, end);
    snap.timestamp = sample.timestamp;
    snap.values_json = std::move(sample.values_json);
    snap.tags_json = "{}";
    snap.reply_to = reply_to;
    std::vector<protocol::Snapshot> items;
    items.push_back(std::move(snap));
    if (auto accepted = hub_.ingest(name_, items, nullptr); !accepted)
        spdlog::debug("local crab {}: {}", name_, accepted.error().message);
}

}  // namespace octopus::server
