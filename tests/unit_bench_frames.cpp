// Unit: the bench load client's WebSocket framing (bench/ws_frames), with no socket. Client frames
// must be what RFC 6455 says; the reader must yield the same messages however the bytes are cut,
// join fragments around interleaved control frames, and refuse masked or over-long frames.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "bench/ws_frames.hpp"

using octopus::bench::append_client_frame;
using octopus::bench::FrameReader;
using octopus::bench::Opcode;

namespace {

// A server frame: unmasked, with the 7-bit, 16-bit or 64-bit length form as the size needs.
std::string server_frame(bool fin, Opcode op, const std::string& payload) {
    std::string f(1, static_cast<char>((fin ? 0x80 : 0) | static_cast<int>(op)));
    std::size_t n = payload.size();
    if (n < 126) {
        f += static_cast<char>(n);
    } else {
        f += static_cast<char>(126);
        f += static_cast<char>(n >> 8);
        f += static_cast<char>(n & 0xFF);
    }
    return f + payload;
}

using Seen = std::vector<std::pair<Opcode, std::string>>;

// Feeds `bytes` to a reader `step` bytes at a time, as a read loop would, keeping the rest.
Seen feed(const std::string& bytes, std::size_t step, FrameReader& reader) {
    Seen seen;
    std::string buffer;
    for (std::size_t at = 0; at < bytes.size(); at += step) {
        buffer += bytes.substr(at, step);
        std::size_t used = reader.parse(buffer, [&](Opcode op, std::string_view p) {
            seen.emplace_back(op, std::string(p));
            return true;
        });
        buffer.erase(0, used);
    }
    return seen;
}

}  // namespace

TEST_CASE("bench frames: a client frame is FIN, masked with the zero key, payload as is") {
    std::string out;
    append_client_frame(out, Opcode::text, "hi");
    CHECK(out == std::string("\x81\x82\0\0\0\0hi", 8));
    std::string big(300, 'x');
    out.clear();
    append_client_frame(out, Opcode::text, big);
    CHECK(out.substr(0, 8) == std::string("\x81\xFE\x01\x2C\0\0\0\0", 8));
    CHECK(out.substr(8) == big);
}

TEST_CASE("bench frames: the same messages whatever the read sizes") {
    std::string bytes = server_frame(true, Opcode::text, R"({"type":"ack","seq":1})") +
                        server_frame(false, Opcode::text, "frag-") +
                        server_frame(true, Opcode::ping, "p") +
                        server_frame(false, Opcode::continuation, "ment-") +
                        server_frame(true, Opcode::continuation, "ed") +
                        server_frame(true, Opcode::text, std::string(200, 'z'));
    for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{7}, bytes.size()}) {
        INFO(step);
        FrameReader reader(1 << 20);
        Seen seen = feed(bytes, step, reader);
        CHECK(reader.error().empty());
        REQUIRE(seen.size() == 4);
        CHECK(seen[0] == std::make_pair(Opcode::text, std::string(R"({"type":"ack","seq":1})")));
        CHECK(seen[1] == std::make_pair(Opcode::ping, std::string("p")));
        CHECK(seen[2] == std::make_pair(Opcode::text, std::string("frag-ment-ed")));
        CHECK(seen[3].second == std::string(200, 'z'));
    }
}

TEST_CASE("bench frames: masked, over-long and orphan frames are errors") {
    FrameReader masked(1024);
    feed(std::string("\x81\x81\0\0\0\0x", 7), 7, masked);
    CHECK(masked.error() == "masked server frame");
    FrameReader small(100);
    feed(server_frame(true, Opcode::text, std::string(200, 'a')), 1000, small);
    CHECK_FALSE(small.error().empty());
    FrameReader orphan(1024);
    feed(server_frame(true, Opcode::continuation, "x"), 100, orphan);
    CHECK_FALSE(orphan.error().empty());
}
