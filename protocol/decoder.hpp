// Decoder: bytes -> typed messages, validated. One Decoder per thread (it owns a reusable
// simdjson parser and a padded scratch buffer; not thread-safe). It never allocates more than
// the frame it is given plus the compact values/tags text it returns, and it never throws.
//
// Values are checked (flat object of finite numbers, booleans or strings within limits, no
// duplicate keys) and re-emitted compactly with each number's original token: the stored text
// of 9007199254740993 or -0.0 is exactly what the crab sent.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/limits.hpp"
#include "protocol/messages.hpp"
#include "protocol/result.hpp"

namespace octopus::protocol {

// The fields of a stored envelope line that the hub needs back when it reads its workspace.
struct EnvelopeFields {
    std::uint64_t hub_seq = 0;
    std::uint64_t seq = 0;
    std::int64_t received_at_us = 0;
    std::optional<double> timestamp;
    std::string crab;
};

class Decoder {
  public:
    explicit Decoder(Limits limits = {});
    ~Decoder();
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;

    // A frame from a crab on /v1/crab: hello, snapshot or snapshots.
    Result<CrabMessage> decode_crab_message(std::string_view frame);

    // An HTTP push body: a snapshot ("type" optional) or a "snapshots" batch.
    Result<SnapshotBatch> decode_push_body(std::string_view body);

    // One line of a workspace detail.jsonl (without its newline).
    Result<EnvelopeFields> decode_envelope(std::string_view line);

    const Limits& limits() const { return limits_; }

  private:
    struct Impl;
    Limits limits_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace octopus::protocol
