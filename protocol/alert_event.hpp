// An alert transition as it travels: the audit record line (_alerts/records/.../detail.jsonl),
// the webhook and exec body, and, behind a {"type":"alert","sub":ID, prefix, the WebSocket
// event. One encoding for all three, so what a receiver gets is byte for byte what was
// recorded. decode_alert_event reads a record back (start-up rebuild, replay); it is strict
// about the fields the state machine needs and ignores the rest.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.hpp"

namespace octopus::protocol {

enum class AlertState : std::uint8_t { inactive, pending, firing, resolved };
const char* to_string(AlertState state);
std::optional<AlertState> alert_state_from(std::string_view text);

struct AlertEvent {
    std::uint64_t alert_seq = 0;
    std::string rule;
    std::string crab;
    AlertState from = AlertState::inactive;
    AlertState to = AlertState::inactive;
    std::int64_t at_us = 0;
    std::int64_t pending_since_us = 0;  // when the condition started to hold (0: never)
    std::int64_t firing_since_us = 0;   // when it fired (0: has not)
    std::uint64_t hub_seq = 0;          // the snapshot that caused it; 0 for time or lifecycle
    std::string values_json = "{}";     // the crab's newest values then (compact JSON object)
    std::string reason;                 // why, in words
    std::string condition;              // the rule's `when` text
    std::string severity;
    std::map<std::string, std::string> labels;
    std::vector<std::string> hooks;

    // Only these reach hooks and subscribers; pending and cancelled ones are only recorded.
    bool notifies() const { return to == AlertState::firing || to == AlertState::resolved; }
};

// {"alert_seq":N,"rule":..,"crab":..,"state":..,"previous":..,"at":SECONDS,...} (no newline).
std::string encode_alert_event(const AlertEvent& e);
Result<AlertEvent> decode_alert_event(std::string_view line);

// {"type":"alert","sub":"ID",  -- followed by an encoded event minus its leading '{'.
std::string alert_frame(std::string_view sub, std::string_view event_json);

}  // namespace octopus::protocol
