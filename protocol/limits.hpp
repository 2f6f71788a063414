// Input limits enforced at the edge, before anything reaches the core. Each has a config key
// (see config/octopus.toml) and a default chosen so that one hostile peer cannot make the hub
// allocate much: a frame is checked against max_frame_bytes before it is parsed.
#pragma once

#include <cstddef>
#include <cstdint>

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
// The highest seq a crab may send: 2^53 - 1, the largest integer every JSON reader (JavaScript,
// Python's json with floats, Go's float64) reads exactly. A higher one would be stored, and
// every later snapshot of the crab acked as a duplicate: refused instead.
inline constexpr std::uint64_t max_seq = (std::uint64_t{1} << 53) - 1;
// A seq this far above the crab's previous one is still accepted (seqs may skip), but logged
// and counted (octopus_seq_jumps_total): usually a bug in the crab that silences it.
inline constexpr std::uint64_t suspicious_seq_jump = 1'000'000'000;
// Arrays and objects nested in one message from a client. A valid message nests at most 3 deep
// (batch, item, values); 64 leaves room for any extension while keeping every recursive walk
// (nlohmann's serializer recurses once per level) far from the stack's end. Checked by a flat
// scan of the bytes before any tree is built.
inline constexpr std::size_t max_json_depth = 64;
// Unix seconds a client may name (subscription "since", records since/until): beyond year 5000
// nothing is stored, and within it seconds * 1e6 stays far inside int64 microseconds (a larger
// value used to overflow that cast: fuzz/regressions).
inline constexpr double max_unix_seconds = 1e11;
// The longest duration any config key may hold (fsync and checkpoint intervals, idle timeouts,
// polling and hook timings): 7 days. Every duration is added to a steady clock in nanoseconds
// somewhere; unbounded values overflowed it (fuzz/regressions/fuzz_config).
inline constexpr std::int64_t max_config_duration_ms = 7LL * 24 * 3600 * 1000;
// The longest prefix of an offending client value quoted back in an error message.
inline constexpr std::size_t max_quoted_bytes = 64;

}  // namespace octopus::protocol
