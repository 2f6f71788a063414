// load_subscriber: subscribe to all, then read and time every event, or go idle (see the header).
#include "bench/load_subscriber.hpp"

#include <cstdio>

#include "bench/messages.hpp"
#include "bench/payload.hpp"

namespace octopus::bench {

LoadSubscriber::LoadSubscriber(boost::asio::io_context& io, LoadSubscriberEvents& sink, int index,
                               bool idle)
    : wire_(io, *this), sink_(sink), index_(index), idle_(idle) {}

void LoadSubscriber::on_open() {
    wire_.append_text(subscribe_message("bench-" + std::to_string(index_), std::nullopt));
    wire_.flush();
}

void LoadSubscriber::on_message(std::string_view text) {
    if (read_ns_ == 0) read_ns_ = now_ns();
    switch (classify(text)) {
        case SubscriberFrame::events:
            for_each_sent_ns(text, [this](std::int64_t sent) { sink_.delivered(sent, read_ns_); });
            return;
        case SubscriberFrame::gap: {
            auto at = text.find(R"("missed":)");
            if (at == std::string_view::npos) return on_failure("gap without missed");
            return sink_.missed(static_cast<std::uint64_t>(parse_int(text, at + 9)));
        }
        case SubscriberFrame::subscribed:
            subscribed_ = true;
            if (idle_) wire_.stop_reading();
            return sink_.subscribed();
        case SubscriberFrame::lifecycle:
            return;
        case SubscriberFrame::other:
            break;
    }
    on_failure("unexpected message: " + std::string(text.substr(0, 200)));
}

void LoadSubscriber::on_read_end() {
    read_ns_ = 0;
    if (subscribed_) sink_.read_end();
}

void LoadSubscriber::on_failure(const std::string& what) {
    wire_.close();
    sink_.failed("subscriber " + std::to_string(index_) + ": " + what);
}

}  // namespace octopus::bench
