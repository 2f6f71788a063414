// run_links: the connections of one scenario run over ws_wire: C crabs (each a Crab that holds a
// LoadCrab `link` beside the scenario's own per-crab state) and S subscribers, on one io_context,
// created, opened and closed together. The scenario is the sink of all of them and decides when
// they open and close; RunLinks only owns and indexes them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "bench/load_crab.hpp"
#include "bench/load_subscriber.hpp"

namespace octopus::bench {

template <class Crab>
class RunLinks {
  public:
    // `sink` is both the LoadCrabEvents and the LoadSubscriberEvents; Crab is made from (io, sink,
    // index). Idle subscribers never read after `subscribed`.
    template <class Sink>
    void create(boost::asio::io_context& io, Sink& sink, int crabs, int subscribers, bool idle) {
        for (int i = 0; i < subscribers; ++i)
            subscribers_.push_back(std::make_unique<LoadSubscriber>(io, sink, i, idle));
        for (int i = 0; i < crabs; ++i) crabs_.push_back(std::make_unique<Crab>(io, sink, i));
    }
    void open(std::uint16_t port) {
        for (auto& s : subscribers_) s->open(port);
        for (auto& c : crabs_) c->link.open(port);
    }
    void close() {
        for (auto& c : crabs_) c->link.close();
        for (auto& s : subscribers_) s->close();
    }
    // Everything that reports ready: each crab's welcome and each subscriber's subscribed.
    int size() const { return static_cast<int>(crabs_.size() + subscribers_.size()); }
    std::vector<std::unique_ptr<Crab>>& crabs() { return crabs_; }
    Crab& crab(const LoadCrab& link) { return *crabs_[static_cast<std::size_t>(link.index())]; }

  private:
    std::vector<std::unique_ptr<Crab>> crabs_;
    std::vector<std::unique_ptr<LoadSubscriber>> subscribers_;
};

}  // namespace octopus::bench
