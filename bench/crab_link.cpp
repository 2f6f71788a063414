// crab_link: hello, welcome, snapshot frames and acks of one bench crab (see the header).
#include "bench/crab_link.hpp"

#include <cstdio>
#include <cstdlib>

#include "bench/payload.hpp"

namespace octopus::bench {

CrabLink::CrabLink(boost::asio::io_context& io, CrabSink& sink, int index)
    : wire_(io, *this), sink_(sink), index_(index) {}

void CrabLink::on_open() {
    char hello[64];
    int n = std::snprintf(hello, sizeof hello, R"({"type":"hello","crab":"bench-%04d"})", index_);
    wire_.append_text(std::string_view(hello, static_cast<std::size_t>(n)));
    wire_.flush();
}

bool CrabLink::push(std::uint64_t seq) {
    char buf[256];
    int head = std::snprintf(buf, sizeof buf, R"({"type":"snapshot","seq":%llu,)",
                             static_cast<unsigned long long>(seq));
    std::size_t n = static_cast<std::size_t>(head);
    n += write_snapshot_fields(buf + n, sizeof buf - n - 1, seq, now_ns());
    buf[n++] = '}';
    return wire_.append_text(std::string_view(buf, n));
}

void CrabLink::on_message(std::string_view text) {
    auto fail = [&](const char* what) {
        on_failure(std::string(what) + ": " + std::string(text.substr(0, 200)));
    };
    if (!welcomed_) {
        if (text.find(R"("type":"welcome")") == std::string_view::npos)
            return fail("expected welcome");
        welcomed_ = true;
        return sink_.welcomed(*this);
    }
    if (text.find(R"("type":"ack")") == std::string_view::npos) return fail("unexpected message");
    auto at = text.find(R"("seq":)");
    if (at == std::string_view::npos) return fail("ack without seq");
    sink_.acked(*this, static_cast<std::uint64_t>(parse_int(text, at + 6)));
}

void CrabLink::on_failure(const std::string& what) {
    wire_.close();
    sink_.failed("crab " + std::to_string(index_) + ": " + what);
}

}  // namespace octopus::bench
