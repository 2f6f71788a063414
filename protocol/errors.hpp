// Wire error codes and WebSocket close codes: the one place that maps a failure to what a peer
// sees. Every code here is documented in protocol/README.md; codes are stable strings, never
// renamed once shipped, because crabs and dashboards switch on them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace octopus::protocol {

enum class ErrorCode : std::uint8_t {
    bad_json,        // not parseable JSON / not UTF-8 / not an object
    bad_message,     // unknown "type" or a message-level field of the wrong type
    bad_snapshot,    // a snapshot that fails validation (values, tags, timestamp, seq)
    bad_name,        // crab name outside protocol::crab_name_pattern (names.hpp)
    not_hello,       // first message on /v1/crab was not hello
    already_hello,   // hello sent twice on one connection
    duplicate_crab,  // another live connection holds this name
    too_large,       // frame, body or batch over a configured limit
    seq_regression,  // batch items whose seq does not strictly increase
    unknown_crab,    // HTTP: no such crab
    not_found,       // HTTP: no such route
    method_not_allowed,
    overloaded,    // connection limit reached
    crab_offline,  // collect: the crab is known but not connected
    timeout,       // collect: no answer within the timeout
    bad_config,    // reload: the alert rules file is invalid (the old rules stay in force)
    too_many_subscriptions,  // subscribe beyond [subscribers] max_subscriptions
    disk_full,               // a write failed for lack of space: nothing accepted until it frees
    crab_online,             // reset-seq: the crab is connected (its session holds the seq)
    forbidden,               // out of the token's scopes, a foreign Origin, a non-loopback Host
    unauthorized,            // no token, or one the hub does not know (revoked, expired)
    rate_limited,            // too many failed authentications from this address
    count_                   // keep last
};

inline constexpr std::size_t error_code_count = static_cast<std::size_t>(ErrorCode::count_);

std::string_view to_string(ErrorCode code);

// HTTP status that goes with an error code when it is answered over HTTP.
unsigned http_status(ErrorCode code);

// An error as a value: the code, a human message, and the seq it concerns if any.
struct Error {
    ErrorCode code;
    std::string message;
    std::optional<std::uint64_t> seq{};
};

// WebSocket close codes the hub sends itself (RFC 6455 range plus the 4000-4999 private range).
// Beast adds 1007 (invalid UTF-8 in a text frame) and 1009 (frame above the hard cap).
namespace close_code {
inline constexpr std::uint16_t going_away = 1001;      // hub shutting down
inline constexpr std::uint16_t protocol_error = 1002;  // not_hello
inline constexpr std::uint16_t duplicate_crab = 4001;  // name already connected
inline constexpr std::uint16_t silent = 4003;          // heartbeat polls went unanswered
inline constexpr std::uint16_t slow_consumer = 4008;   // peer did not read its queue
inline constexpr std::uint16_t unauthorized = 4401;    // the connection's token was revoked/expired
inline constexpr std::uint16_t forbidden = 4403;       // the token no longer covers this crab
}  // namespace close_code

}  // namespace octopus::protocol
