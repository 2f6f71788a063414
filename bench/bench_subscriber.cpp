// bench_subscriber: subscribe to all, then read and time every event, or go idle (see the header).
#include "bench/bench_subscriber.hpp"

#include <cstdio>

#include "bench/payload.hpp"

namespace octopus::bench {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

BenchSubscriber::BenchSubscriber(boost::asio::io_context& io, SubscriberSink& sink, int index,
                                 bool idle)
    : wire_(io, *this), sink_(sink), index_(index), idle_(idle) {}

void BenchSubscriber::on_open() {
    char subscribe[96];
    int n =
        std::snprintf(subscribe, sizeof subscribe,
                      R"({"type":"subscribe","id":"bench-%d","crabs":["*"],"from":"now"})", index_);
    wire_.append_text(std::string_view(subscribe, static_cast<std::size_t>(n)));
    wire_.flush();
}

void BenchSubscriber::on_message(std::string_view text) {
    if (read_ns_ == 0) read_ns_ = now_ns();
    if (starts_with(text, R"({"type":"snapshot)")) {
        for_each_sent_ns(text, [this](std::int64_t sent) { sink_.delivered(sent, read_ns_); });
    } else if (starts_with(text, R"({"type":"gap")")) {
        auto at = text.find(R"("missed":)");
        if (at == std::string_view::npos) return on_failure("gap without missed");
        sink_.missed(static_cast<std::uint64_t>(parse_int(text, at + 9)));
    } else if (starts_with(text, R"({"type":"subscribed")")) {
        subscribed_ = true;
        if (idle_) wire_.stop_reading();
        sink_.subscribed();
    } else if (!starts_with(text, R"({"type":"crab")")) {
        on_failure("unexpected message: " + std::string(text.substr(0, 200)));
    }
}

void BenchSubscriber::on_read_end() {
    read_ns_ = 0;
    if (subscribed_) sink_.read_end();
}

void BenchSubscriber::on_failure(const std::string& what) {
    wire_.close();
    sink_.failed("subscriber " + std::to_string(index_) + ": " + what);
}

}  // namespace octopus::bench
