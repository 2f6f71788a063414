// load_subscriber: one /v1/subscribe connection of a bench run over a WsWire. It subscribes to
// every crab from now (`"crabs":["*"]`), reports `subscribed`, and then either reads every
// delivered event (both the single `snapshot` and the `snapshots` batch form), handing each
// event's sent_ns to the scenario with the time its read ended, or, when idle, never reads again
// after `subscribed` so the hub's queue for it fills and overflows. It counts nothing itself and
// never decides when a run ends: the LoadSubscriberEvents does.
#pragma once

#include <cstdint>
#include <string>

#include "bench/ws_wire.hpp"

namespace octopus::bench {

// What a LoadSubscriber tells its scenario, on the io_context's thread.
class LoadSubscriberEvents {
  public:
    virtual void subscribed() = 0;
    // One delivered event, pushed at sent_ns (the sender's steady clock), read at now_ns.
    virtual void delivered(std::int64_t sent_ns, std::int64_t now_ns) = 0;
    virtual void missed(std::uint64_t events) = 0;  // a `gap`: events the hub skipped
    virtual void read_end() = 0;                    // every event of one read handed over
    virtual void failed(const std::string& what) = 0;

  protected:
    ~LoadSubscriberEvents() = default;
};

class LoadSubscriber final : public WireEvents {
  public:
    LoadSubscriber(boost::asio::io_context& io, LoadSubscriberEvents& sink, int index, bool idle);

    void open(std::uint16_t port) { wire_.open(port, "/v1/subscribe"); }
    void close() { wire_.close(); }

    void on_open() override;
    void on_message(std::string_view text) override;
    void on_read_end() override;
    void on_failure(const std::string& what) override;

  private:
    WsWire wire_;
    LoadSubscriberEvents& sink_;
    int index_;
    bool idle_;
    bool subscribed_ = false;
    std::int64_t read_ns_ = 0;  // when the current read's messages are being handed over
};

}  // namespace octopus::bench
