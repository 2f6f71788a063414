// crab_messages: the crab side of the wire contract (protocol/README.md §3-§4) as bench
// scenarios speak it: hello, one snapshot, a `snapshots` batch, and reading the hub's welcome and
// cumulative ack. Every snapshot carries the shared payload (payload.hpp), so all scenarios move
// the same bytes. It formats with snprintf and reads by scanning for fixed keys: the hub's reply
// shapes are fixed, and no JSON library belongs on a load client's hot path. It never does I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace octopus::bench {

// "bench-00042": the crab name of connection `index`.
std::string bench_crab_name(int index);

std::string hello_message(const std::string& crab);

// {"type":"snapshot","seq":SEQ,...payload...}
std::string snapshot_message(std::uint64_t seq);

// {"type":"snapshots","items":[...]} with seqs first_seq .. first_seq + count - 1.
std::string snapshots_batch(std::uint64_t first_seq, std::size_t count);

bool is_welcome(std::string_view message);

// The N of {"type":"ack","seq":N}; nullopt for any other message.
std::optional<std::uint64_t> ack_seq(std::string_view message);

}  // namespace octopus::bench
