// Small JSON text writers used by every encoder: string escaping and fixed-point seconds.
// They append to a caller-owned std::string so hot paths can reuse one buffer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace octopus::protocol {

// Appends `s` as a quoted JSON string (RFC 8259 escaping; bytes >= 0x80 pass through).
void append_json_string(std::string& out, std::string_view s);

// Appends an unsigned integer in decimal.
void append_uint(std::string& out, std::uint64_t v);

// Appends microseconds since the epoch as seconds with exactly six decimals: 1732778016.781000.
void append_seconds_us(std::string& out, std::int64_t micros);

// Parses what append_seconds_us wrote (or any decimal with at most six fraction digits) back
// to microseconds exactly. Returns false on anything else.
bool parse_seconds_us(std::string_view text, std::int64_t& micros);

}  // namespace octopus::protocol
