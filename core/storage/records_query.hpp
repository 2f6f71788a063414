// The read API's query: one crab's snapshots in a time window, raw or downsampled into
// step-second buckets (avg|min|max|last of each numeric value). The time axis is the crab's
// `timestamp`, else the hub's `received_at`. The window is answered from the ring buffer when
// the ring reaches back to `since`, otherwise by scanning the workspace's JSONL files
// read-only (no lock; only complete lines are read, month partitions outside the window are
// skipped) plus the ring items not yet on disk. No sockets. Bounded: an answer never holds more
// than kMaxRecordsRows rows or points, and the scan keeps at most that many in memory; a
// bigger answer is refused with bad_message instead of being truncated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/stored_snapshot.hpp"
#include "protocol/decoder.hpp"
#include "protocol/result.hpp"

namespace octopus::core {

// Hard cap on raw rows, and on buckets, in one answer (protocol/README.md, "Read API").
inline constexpr std::size_t kMaxRecordsRows = 10000;

enum class Aggregate { avg, min, max, last };

struct RecordsQuery {
    std::optional<double> since;  // inclusive, Unix seconds; absent: from the first record
    std::optional<double> until;  // exclusive; absent: to the last record
    std::uint64_t step = 0;       // bucket width in whole seconds; 0: raw envelopes
    Aggregate agg = Aggregate::avg;
    std::vector<std::string> keys;  // values to keep; empty: all of them
};

// Validates URL parameters (already percent-decoded): since, until, step, agg, keys. Unknown
// parameters, malformed numbers, an unknown agg, until < since and a window of more than
// kMaxRecordsRows buckets are bad_message.
protocol::Result<RecordsQuery> parse_records_query(
    const std::map<std::string, std::string>& params);

// Where one crab's records are: its workspace directory and the ring buffer (oldest first).
// `ring_is_history` says the ring holds every record the crab has (CrabInfo.stored == buffered).
struct RecordsSource {
    std::filesystem::path crab_dir;
    std::string crab;
    std::vector<SnapshotPtr> ring;
    bool ring_is_history = false;
};

// The answer as JSON text: raw, an array of envelopes in time order; with a step, an object
// {"crab","step","agg","points":[{"t","count","values"}]}. bad_message when over the cap.
protocol::Result<std::string> run_records_query(const RecordsSource& source,
                                                const RecordsQuery& query,
                                                protocol::Decoder& decoder);

}  // namespace octopus::core
