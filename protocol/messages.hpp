// Typed wire messages. The decoder turns bytes into these after validating every field, so the
// core never sees raw JSON it has to distrust. Snapshot values and tags travel as compact JSON
// text in which every number is the sender's own token, byte for byte: the hub never alters a
// sensor value, not even textually.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace octopus::protocol {

struct Snapshot {
    std::optional<std::uint64_t> seq;  // absent: the hub assigns the next one
    std::string timestamp_raw;         // the sender's number token, or empty when absent
    double timestamp = 0;              // parsed timestamp_raw (valid when it is non-empty)
    std::string values_json;           // compact object text, e.g. {"cpu":12.5}
    std::string tags_json;             // compact object text, "{}" when absent
    std::string reply_to;              // collect request id this answers, or empty
};

struct Hello {
    std::string crab;
};

// "snapshot" and "snapshots" both decode to a batch; a single snapshot is a batch of one.
struct SnapshotBatch {
    std::vector<Snapshot> items;
};

using CrabMessage = std::variant<Hello, SnapshotBatch>;

}  // namespace octopus::protocol
