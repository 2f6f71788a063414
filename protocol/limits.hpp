// Input limits enforced at the edge, before anything reaches the core. Each has a config key
// (see config/octopus.toml) and a default chosen so that one hostile peer cannot make the hub
// allocate much: a frame is checked against max_frame_bytes before it is parsed.
#pragma once

#include <cstddef>

namespace octopus::protocol {

struct Limits {
    std::size_t max_frame_bytes = 64 * 1024;        // one WebSocket message
    std::size_t max_http_body_bytes = 1024 * 1024;  // one HTTP push body
    std::size_t max_values = 256;                   // keys in one snapshot's "values"
    std::size_t max_tags = 32;                      // keys in one snapshot's "tags"
    std::size_t max_key_bytes = 128;                // one value or tag key
    std::size_t max_string_bytes = 256;             // one string value or tag value
    std::size_t max_batch = 1000;                   // items in one "snapshots" batch
};

// Names are short identifiers that double as directory names on disk.
inline constexpr std::size_t max_name_bytes = 64;
// A request id (collect / reply_to) is echoed back verbatim; keep it short.
inline constexpr std::size_t max_request_id_bytes = 64;

}  // namespace octopus::protocol
