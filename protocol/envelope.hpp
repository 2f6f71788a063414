// The stored envelope: one JSON object per line of records/month=YYYY-MM/detail.jsonl, and the
// same bytes served from ring buffers. Field order is fixed with hub_seq first, so a reader can
// find a line's place in the global order without parsing the rest (peek_hub_seq).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/messages.hpp"

namespace octopus::protocol {

struct EnvelopeHead {
    std::uint64_t hub_seq;
    std::string_view crab;
    std::uint64_t seq;
    std::int64_t received_at_us;
};

// Appends one envelope line, newline included, built from an accepted snapshot.
void append_envelope_line(std::string& out, const EnvelopeHead& head, const Snapshot& snap);

// Reads the leading {"hub_seq":N of an envelope line; nullopt if the line does not start so.
std::optional<std::uint64_t> peek_hub_seq(std::string_view line);

}  // namespace octopus::protocol
