// payload: the one snapshot body every scenario and both targets (Octopus and NATS) carry, so the
// comparison moves identical bytes: ~150 bytes of `"timestamp":..,"values":{cpu, memory, disk,
// net_rx, net_tx, sent_ns}`. sent_ns is the sender's steady_clock in nanoseconds, an integer
// token the hub stores byte for byte, so a receiver in this process measures push -> deliver on
// one clock. Formatting is snprintf into a caller's buffer: no allocation, no JSON library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

namespace octopus::bench {

// steady_clock now, in nanoseconds.
std::int64_t now_ns();

// Writes the fields (no surrounding braces) for sample number `seq`; returns the length, or 0 if
// `cap` is too small. The caller wraps them: `{"type":"snapshot","seq":N,` + fields + `}` for a
// crab, `{` + fields + `}` for a NATS message.
std::size_t write_snapshot_fields(char* out, std::size_t cap, std::uint64_t seq,
                                  std::int64_t sent_ns);

// Calls f(sent_ns) for every `"sent_ns":N` in `text` (a single message or a batch frame); returns
// how many it found.
template <class F>
std::size_t for_each_sent_ns(std::string_view text, F&& f);

std::int64_t parse_int(std::string_view text, std::size_t at);

// Calls f(N) for every `KEY N` in `text`, where `key` is the quoted name and colon
// (e.g. `"hub_seq":`); returns how many it found.
template <class F>
std::size_t for_each_int_field(std::string_view text, std::string_view key, F&& f);

template <class F>
std::size_t for_each_int_field(std::string_view text, std::string_view key, F&& f) {
    std::size_t found = 0;
    for (auto at = text.find(key); at != std::string_view::npos; at = text.find(key, at)) {
        at += key.size();
        f(parse_int(text, at));
        ++found;
    }
    return found;
}

template <class F>
std::size_t for_each_sent_ns(std::string_view text, F&& f) {
    return for_each_int_field(text, "\"sent_ns\":", std::forward<F>(f));
}

}  // namespace octopus::bench
