// Start-up recovery of one workspace: cut torn tails, trust state.db checkpoints only as far as
// the files confirm them (an offset past the end or not on a line boundary means rescan from
// zero), scan what lies beyond, and read back the newest records to refill the ring buffer.
// This is also `octopus rebuild-state`: with rescan=true checkpoints are ignored and rewritten.
#pragma once

#include <cstdint>
#include <vector>

#include "core/storage/workspace.hpp"
#include "core/stored_snapshot.hpp"
#include "protocol/decoder.hpp"

namespace octopus::core {

struct RecoveredWorkspace {
    std::uint64_t max_seq = 0;
    std::uint64_t max_hub_seq = 0;
    std::uint64_t records = 0;
    std::uint64_t torn_bytes = 0;  // cut and kept aside in manifests/torn.jsonl
    std::uint64_t bad_lines = 0;   // complete lines that are not envelopes (skipped, logged)
    std::uint64_t scanned_bytes = 0;
    std::int64_t last_received_at_us = 0;
    std::vector<SnapshotPtr> newest;  // up to ring_size, oldest first
};

RecoveredWorkspace recover_workspace(Workspace& ws, protocol::Decoder& decoder,
                                     std::size_t ring_size, bool rescan);

// Builds a StoredSnapshot from an envelope line read off disk (nullptr if it does not decode).
SnapshotPtr snapshot_from_line(protocol::Decoder& decoder, std::string_view line,
                               const std::string& month);

}  // namespace octopus::core
