// subscriber_messages: the subscriber side of the wire contract (protocol/README.md,
// Subscribers) as bench scenarios speak it: the subscribe request, and telling the hub's frames
// apart by their fixed prefix (the hub writes `{"type":...` first, compact) so that events can be
// counted by scanning for `"hub_seq":` without a JSON library. It never does I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace octopus::bench {

enum class SubscriberFrame {
    subscribed,  // {"type":"subscribed",...}: the subscription is in place
    events,      // {"type":"snapshot",...} or {"type":"snapshots",...}: one or more events
    lifecycle,   // {"type":"crab",...}: advisory online/offline news
    other,       // gap, error, anything a scenario did not expect
};

SubscriberFrame classify(std::string_view frame);

// Subscribes `id` to every crab; from {"hub_seq":N} when given, else from "now".
std::string subscribe_message(const std::string& id, std::optional<std::uint64_t> from_hub_seq);

inline constexpr std::string_view kHubSeqKey = R"("hub_seq":)";

}  // namespace octopus::bench
