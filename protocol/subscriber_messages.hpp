// Messages on ws://HOST:PORT/v1/subscribe, the consumers' side of the bus (Bell dashboards, MAI
// workers). They are small and off the ingest hot path, so they are decoded with nlohmann_json.
// Delivery frames share the envelope bytes encoded once at ingest: a snapshot frame is a
// per-subscription prefix followed by the envelope without its opening brace.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/result.hpp"

namespace octopus::protocol {

struct From {
    enum class Kind { now, buffer, hub_seq, since, alert_seq };
    Kind kind = Kind::now;
    std::uint64_t hub_seq = 0;    // kind == hub_seq: deliver everything after this hub_seq
    std::uint64_t alert_seq = 0;  // kind == alert_seq (alert subscriptions): after this one
    double since = 0;  // kind == since: deliver everything received at or after this time
};

enum class Overflow { drop, disconnect };

struct Subscribe {
    std::string id;
    std::vector<std::string> crabs{"*"};  // globs: * and ?
    std::vector<std::string> keys;        // projection of values; empty = all keys
    From from;
    std::string durable;  // consumer name whose cursor the hub keeps; empty = none
    std::string group;    // queue group: members split the stream; empty = none
    Overflow overflow = Overflow::drop;
    bool alerts = false;  // alert events (firing/resolved) of the matching crabs, not snapshots
};

struct Unsubscribe {
    std::string id;
};

struct ConsumerAck {
    std::string sub;
    std::uint64_t hub_seq = 0;
};

using SubscriberMessage = std::variant<Subscribe, Unsubscribe, ConsumerAck>;

Result<SubscriberMessage> decode_subscriber_message(std::string_view frame);

// True for a crab-name glob: name characters plus * and ?, 1..64 bytes.
bool is_valid_crab_glob(std::string_view glob);

std::string encode_subscribed(std::string_view id, std::uint64_t hub_seq);
// The reply to an alert subscription: alert_seq is the newest alert event recorded.
std::string encode_alerts_subscribed(std::string_view id, std::uint64_t alert_seq);
std::string encode_unsubscribed(std::string_view id);
// A durable consumer's ack is on disk: resuming will start right after hub_seq.
std::string encode_acked(std::string_view sub, std::uint64_t hub_seq);
std::string encode_gap(std::string_view sub, std::uint64_t from_hub_seq, std::uint64_t to_hub_seq,
                       std::uint64_t missed);
// Alert events a full queue could not take: alert_seq from..to (inclusive), `missed` of them.
std::string encode_alert_gap(std::string_view sub, std::uint64_t from_alert_seq,
                             std::uint64_t to_alert_seq, std::uint64_t missed);
std::string encode_crab_event(std::string_view event, std::string_view crab, std::int64_t at_us);

// {"type":"snapshot","sub":"ID",  -- followed by an envelope minus its leading '{'.
std::string snapshot_frame_prefix(std::string_view sub);
// {"type":"snapshots","sub":"ID","items":[  -- followed by envelopes, commas and "]}".
std::string batch_frame_prefix(std::string_view sub);

}  // namespace octopus::protocol
