// Small JSON text writers used by every encoder: string escaping and fixed-point seconds.
// They append to a caller-owned std::string so hot paths can reuse one buffer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/errors.hpp"

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

// True when no array or object in `text` is nested deeper than `max_depth` (brackets inside
// strings do not count). A flat scan with no recursion and no allocation: run it on client
// input before any parser builds a tree. Malformed input is left for the parser to refuse.
bool json_nesting_within(std::string_view text, std::size_t max_depth);

// The bad_json error for input deeper than max_json_depth, the same on every endpoint.
Error too_deep_error();

// Appends at most `max_bytes` of `s` as a quoted JSON string, with "..." after the quote when
// it was cut: how an error message names an offending client value.
void append_quoted_prefix(std::string& out, std::string_view s, std::size_t max_bytes);

}  // namespace octopus::protocol
