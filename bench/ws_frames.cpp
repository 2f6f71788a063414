// ws_frames: client frame building and incremental server frame parsing (see the header).
#include "bench/ws_frames.hpp"

#include <algorithm>

namespace octopus::bench {

namespace {

constexpr unsigned char kFin = 0x80;
constexpr unsigned char kMasked = 0x80;
constexpr unsigned char kReservedBits = 0x70;

bool is_control(Opcode op) {
    return (static_cast<unsigned>(op) & 0x8) != 0;
}

// Big-endian unsigned integer of `n` bytes at `p`.
std::uint64_t read_be(const char* p, int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

// Header size implied by the first two bytes: 2, 4 or 10, plus 4 when masked.
std::size_t header_size(unsigned char second) {
    unsigned len7 = second & 0x7F;
    std::size_t n = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
    return (second & kMasked) ? n + 4 : n;
}

// The payload length of a frame whose header `data` holds in full.
std::uint64_t payload_length(std::string_view data) {
    unsigned len7 = static_cast<unsigned char>(data[1]) & 0x7F;
    return len7 == 126   ? read_be(data.data() + 2, 2)
           : len7 == 127 ? read_be(data.data() + 2, 8)
                         : len7;
}

}  // namespace

void append_client_frame(std::string& out, Opcode op, std::string_view payload) {
    char head[kMaxFrameHeader];
    std::size_t n = 0;
    std::uint64_t len = payload.size();
    head[n++] = static_cast<char>(kFin | static_cast<unsigned char>(op));
    if (len < 126) {
        head[n++] = static_cast<char>(kMasked | len);
    } else if (len <= 0xFFFF) {
        head[n++] = static_cast<char>(kMasked | 126);
        for (int shift = 8; shift >= 0; shift -= 8) head[n++] = static_cast<char>(len >> shift);
    } else {
        head[n++] = static_cast<char>(kMasked | 127);
        for (int shift = 56; shift >= 0; shift -= 8) head[n++] = static_cast<char>(len >> shift);
    }
    for (int i = 0; i < 4; ++i) head[n++] = 0;  // the zero masking key: payload goes as is
    out.append(head, n);
    out.append(payload);
}

FrameReader::Header FrameReader::header(std::string_view data) {
    Header h;
    if (data.size() < 2) return h;
    auto first = static_cast<unsigned char>(data[0]);
    auto second = static_cast<unsigned char>(data[1]);
    std::size_t size = header_size(second);
    if (data.size() < size) return h;
    if ((first & kReservedBits) || (second & kMasked)) {
        error_ = (second & kMasked) ? "masked server frame" : "reserved bits set";
        return h;
    }
    h.fin = (first & kFin) != 0;
    h.op = static_cast<Opcode>(first & 0x0F);
    h.length = payload_length(data);
    if (h.length > max_message_) {
        error_ = "frame of " + std::to_string(h.length) + " bytes exceeds the reader's bound";
        return h;
    }
    h.header_bytes = size;
    return h;
}

std::size_t FrameReader::needed(std::string_view data) const {
    if (data.size() < 2) return kMaxFrameHeader;
    std::size_t size = header_size(static_cast<unsigned char>(data[1]));
    if (data.size() < size) return kMaxFrameHeader;
    return size +
           static_cast<std::size_t>(std::min<std::uint64_t>(payload_length(data), max_message_));
}

bool FrameReader::accept(const Header& h, std::string_view payload) {
    if (is_control(h.op)) {
        if (!h.fin || payload.size() > 125) error_ = "fragmented or long control frame";
        return error_.empty();
    }
    if (h.op == Opcode::continuation) {
        if (!fragmenting_) error_ = "continuation frame without a message to continue";
        if (partial_.size() + payload.size() > max_message_) error_ = "message exceeds the bound";
        if (!error_.empty()) return false;
        partial_.append(payload);
        fragmenting_ = !h.fin;
        return h.fin;
    }
    if (h.op != Opcode::text && h.op != Opcode::binary) {
        error_ = "unknown opcode " + std::to_string(static_cast<unsigned>(h.op));
        return false;
    }
    if (fragmenting_) {
        error_ = "new message inside a fragmented one";
        return false;
    }
    if (h.fin) return true;
    partial_.assign(payload);
    partial_op_ = h.op;
    fragmenting_ = true;
    return false;
}

}  // namespace octopus::bench
