// subscriber_messages: subscribe request and frame prefixes (see the header).
#include "bench/subscriber_messages.hpp"

namespace octopus::bench {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

SubscriberFrame classify(std::string_view frame) {
    if (starts_with(frame, R"({"type":"snapshot)")) return SubscriberFrame::events;
    if (starts_with(frame, R"({"type":"subscribed")")) return SubscriberFrame::subscribed;
    if (starts_with(frame, R"({"type":"crab")")) return SubscriberFrame::lifecycle;
    return SubscriberFrame::other;
}

std::string subscribe_message(const std::string& id, std::optional<std::uint64_t> from_hub_seq) {
    std::string m = R"({"type":"subscribe","id":")" + id + R"(","crabs":["*"])";
    if (from_hub_seq) m += R"(,"from":{"hub_seq":)" + std::to_string(*from_hub_seq) + "}";
    return m + "}";
}

}  // namespace octopus::bench
