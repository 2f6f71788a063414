// ws_frames: RFC 6455 framing for the bench's load clients, with no socket in sight. It builds
// client frames (FIN set, masked) into a caller's output string, and parses server frames
// (unmasked) incrementally out of whatever bytes a read delivered, yielding whole messages.
// Client frames use the all-zero masking key: the RFC requires a mask but lets the client pick
// the key, a server only XORs with it, and XOR with zero leaves the payload as is, so masking
// costs nothing. The key's unpredictability only defends against caching intermediaries, and
// loopback has none. The reader never buffers more than one message (bounded by max_message);
// an over-long, masked or malformed frame is an error, never a silent resync.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace octopus::bench {

enum class Opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

// Appends one complete client frame: FIN, `op`, masked with the zero key, then `payload`.
void append_client_frame(std::string& out, Opcode op, std::string_view payload);

// Upper bound of a frame header: 2 bytes, 8 of extended length, 4 of mask.
constexpr std::size_t kMaxFrameHeader = 14;

class FrameReader {
  public:
    explicit FrameReader(std::size_t max_message) : max_message_(max_message) {}

    // Parses the complete frames at the front of `data` and calls f(op, payload) for each whole
    // message (text or binary, fragments joined) and each control frame (ping, pong, close).
    // Stops early when f returns false. Returns the bytes consumed; the caller keeps the rest and
    // calls again with more appended. On a protocol error error() becomes non-empty.
    template <class F>
    std::size_t parse(std::string_view data, F&& f);

    const std::string& error() const { return error_; }
    // Bytes a read buffer must be able to hold to complete the frame at the front of `data`.
    std::size_t needed(std::string_view data) const;

  private:
    struct Header {
        bool fin = false;
        Opcode op = Opcode::continuation;
        std::size_t header_bytes = 0;  // 0 when `data` does not hold the whole header yet
        std::uint64_t length = 0;
    };
    Header header(std::string_view data);
    // Checks one frame and, for a fragment, joins it; returns whether a message is complete.
    bool accept(const Header& h, std::string_view payload);

    std::size_t max_message_;
    std::string partial_;  // the fragments so far of an unfinished text or binary message
    Opcode partial_op_ = Opcode::continuation;
    bool fragmenting_ = false;
    std::string error_;
};

template <class F>
std::size_t FrameReader::parse(std::string_view data, F&& f) {
    std::size_t used = 0;
    while (error_.empty()) {
        std::string_view rest = data.substr(used);
        Header h = header(rest);
        if (h.header_bytes == 0) break;
        if (rest.size() - h.header_bytes < h.length) break;
        std::string_view payload = rest.substr(h.header_bytes, static_cast<std::size_t>(h.length));
        used += h.header_bytes + payload.size();
        if (!accept(h, payload)) continue;
        bool joined = h.op == Opcode::continuation;
        bool go_on = f(joined ? partial_op_ : h.op, joined ? std::string_view(partial_) : payload);
        if (joined) partial_.clear();
        if (!go_on) break;
    }
    return used;
}

}  // namespace octopus::bench
