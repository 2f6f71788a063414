// Operator repair of a crab's seq. A crab that once sent a seq far too high (a bug, a restored
// image) has every later snapshot acked as a duplicate and never stored. POST
// /v1/admin/crabs/NAME/reset-seq lowers the seq the hub holds for it; the stored records stay.
// The reset is a line in <crab>/manifests/seq_resets.jsonl, {"seq":N,"hub_seq":H,"at":T}: the
// crab's seq is N plus whatever it sent after hub_seq H. It is appended and fdatasync'ed before
// the hub accepts anything more from that crab, so a crash can never bring the old seq back
// over snapshots acked after the reset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "core/storage/workspace.hpp"
#include "protocol/decoder.hpp"

namespace octopus::core {

struct SeqReset {
    std::uint64_t seq = 0;      // the crab's seq right after the reset
    std::uint64_t hub_seq = 0;  // every record of the crab above this came after the reset
};

// Appends the reset durably. False (errno set) when it could not be written.
bool record_seq_reset(const std::filesystem::path& crab_root, const SeqReset& reset,
                      std::int64_t at_us);

// The newest reset on record, if any (a line that does not parse is ignored).
std::optional<SeqReset> last_seq_reset(const std::filesystem::path& crab_root);

// The crab's seq as of now given a reset: the reset's seq, or the highest seq stored after it.
// Reads only files holding records above reset.hub_seq.
std::uint64_t seq_after_reset(Workspace& ws, protocol::Decoder& decoder, const SeqReset& reset);

}  // namespace octopus::core
