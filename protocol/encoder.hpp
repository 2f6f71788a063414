// Encoders for the crab-side protocol: what a crab sends (hello, snapshots) and what the hub
// answers it (welcome, ack, error, collect). Subscriber messages are encoded in
// subscriber_messages.hpp and alert events in alert_event.hpp. Output is compact JSON text ready
// to go in a WebSocket text frame; nothing here touches sockets or disks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/errors.hpp"

namespace octopus::protocol {

// hub -> crab
std::string encode_welcome(std::string_view crab, std::optional<std::uint64_t> last_seq,
                           std::size_t buffer_size);
std::string encode_ack(std::uint64_t seq);
std::string encode_error(const Error& error);
std::string encode_collect(std::string_view request_id);

// crab -> hub
std::string encode_hello(std::string_view crab);

// A snapshot frame. `values_json` / `tags_json` are compact JSON object text the caller built;
// `timestamp_raw` is a number token or empty for none.
struct SnapshotText {
    std::optional<std::uint64_t> seq;
    std::string_view timestamp_raw;
    std::string_view values_json;
    std::string_view tags_json;
    std::string_view reply_to;
};
void append_snapshot_fields(std::string& out, const SnapshotText& s);
std::string encode_snapshot(const SnapshotText& s);

}  // namespace octopus::protocol
