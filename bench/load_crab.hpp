// load_crab: one bench crab's connection to /v1/crab over a WsWire: the hello, the welcome, the
// snapshot frames (the shared payload with sent_ns, formatted with snprintf on the stack, no JSON
// library) and the cumulative acks, parsed by scanning for "seq": since the hub's ack shape is
// fixed. It owns no policy: the scenario decides when to push (an ack window, a rate) and what an
// ack means. Anything but welcome or ack (the bench hub runs no polling) is a failure, so a
// refused snapshot can never pass as a silent loss.
#pragma once

#include <cstdint>
#include <string>

#include "bench/ws_wire.hpp"

namespace octopus::bench {

class LoadCrab;

// What a LoadCrab tells its scenario, on the io_context's thread.
class LoadCrabEvents {
  public:
    virtual void welcomed(LoadCrab& crab) = 0;
    virtual void acked(LoadCrab& crab, std::uint64_t seq) = 0;
    virtual void read_end(LoadCrab& crab) = 0;  // every ack of one read handed over
    virtual void failed(const std::string& what) = 0;

  protected:
    ~LoadCrabEvents() = default;
};

class LoadCrab final : public WireEvents {
  public:
    LoadCrab(boost::asio::io_context& io, LoadCrabEvents& sink, int index);

    void open(std::uint16_t port) { wire_.open(port, "/v1/crab"); }
    // Appends snapshot `seq` stamped with sent_ns = now; false if the output buffer is full.
    bool push(std::uint64_t seq);
    void flush() { wire_.flush(); }
    void close() { wire_.close(); }
    int index() const { return index_; }

    void on_open() override;
    void on_message(std::string_view text) override;
    void on_read_end() override { sink_.read_end(*this); }
    void on_failure(const std::string& what) override;

  private:
    WsWire wire_;
    LoadCrabEvents& sink_;
    int index_;
    bool welcomed_ = false;
};

}  // namespace octopus::bench
