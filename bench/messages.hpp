// messages: every frame the bench's load clients send or read, the one place they are typed.
// Crab side (protocol/README.md §3-§4): the hello, a snapshot (formatted into a caller's stack
// buffer for the hot path, or as a string), a `snapshots` batch, and the hub's welcome and
// cumulative ack. Subscriber side (protocol/README.md, Subscribers): the subscribe request and
// telling the hub's frames apart by their fixed prefix (the hub writes `{"type":...` first,
// compact), so events are counted by scanning for `"hub_seq":` without a JSON library. Every
// snapshot carries the shared payload (payload.hpp), so all scenarios move the same bytes. It
// never does I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace octopus::bench {

// "bench-00042": the crab name of load crab `index`, in every scenario.
std::string bench_crab_name(int index);
std::string hello_message(const std::string& crab);

// Largest snapshot frame format_snapshot writes.
inline constexpr std::size_t kSnapshotCap = 256;
// Writes {"type":"snapshot","seq":SEQ,...payload with sent_ns...} into out[0, cap); returns its
// length. No allocation: the ingest and fanout crabs call it per snapshot.
std::size_t format_snapshot(char* out, std::size_t cap, std::uint64_t seq);
std::string snapshot_message(std::uint64_t seq);
// {"type":"snapshots","items":[...]} with seqs first_seq .. first_seq + count - 1.
std::string snapshots_batch(std::uint64_t first_seq, std::size_t count);

bool is_welcome(std::string_view message);
// The N of {"type":"ack","seq":N}; nullopt for any other message.
std::optional<std::uint64_t> ack_seq(std::string_view message);

enum class SubscriberFrame {
    subscribed,  // {"type":"subscribed",...}: the subscription is in place
    events,      // {"type":"snapshot",...} or {"type":"snapshots",...}: one or more events
    gap,         // {"type":"gap",...}: events skipped by a full queue
    lifecycle,   // {"type":"crab",...}: advisory online/offline news
    other,       // error, anything a scenario did not expect
};
SubscriberFrame classify(std::string_view frame);

// Subscribes `id` to every crab; from {"hub_seq":N} when given, else from "now".
std::string subscribe_message(const std::string& id, std::optional<std::uint64_t> from_hub_seq);

inline constexpr std::string_view kHubSeqKey = R"("hub_seq":)";

}  // namespace octopus::bench
