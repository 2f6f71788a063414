// load_crab: hello, welcome, snapshot frames and acks of one load crab (see the header).
#include "bench/load_crab.hpp"

#include <cstdio>
#include <cstdlib>

#include "bench/messages.hpp"

namespace octopus::bench {

LoadCrab::LoadCrab(boost::asio::io_context& io, LoadCrabEvents& sink, int index)
    : wire_(io, *this), sink_(sink), index_(index) {}

void LoadCrab::on_open() {
    wire_.append_text(hello_message(bench_crab_name(index_)));
    wire_.flush();
}

bool LoadCrab::push(std::uint64_t seq) {
    char buf[kSnapshotCap];
    return wire_.append_text(std::string_view(buf, format_snapshot(buf, sizeof buf, seq)));
}

void LoadCrab::on_message(std::string_view text) {
    auto fail = [&](const char* what) {
        on_failure(std::string(what) + ": " + std::string(text.substr(0, 200)));
    };
    if (!welcomed_) {
        if (!is_welcome(text)) return fail("expected welcome");
        welcomed_ = true;
        return sink_.welcomed(*this);
    }
    auto seq = ack_seq(text);
    if (!seq) return fail("unexpected message");
    sink_.acked(*this, *seq);
}

void LoadCrab::on_failure(const std::string& what) {
    wire_.close();
    sink_.failed("crab " + std::to_string(index_) + ": " + what);
}

}  // namespace octopus::bench
