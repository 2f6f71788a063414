// A subscriber connection as the hub sees it (the server's subscriber session implements it).
// Called on the hub's thread; must not block. The snapshot bytes are shared, never copied.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/stored_snapshot.hpp"

namespace octopus::core {

class SubscriberSink {
  public:
    virtual ~SubscriberSink() = default;
    // The subscription is in place; replayed events follow, then live ones.
    virtual void subscribed(const std::string& id, std::uint64_t hub_seq) = 0;
    // One event of subscription `id`. `catching_up` is true for replayed events. Returns false
    // when the sink cannot take it now without dropping (a replay, or a durable consumer, with
    // a full queue): the hub then holds further events back and the sink calls Hub::resume once
    // it has room. Live events of other subscriptions are the sink's to drop or refuse.
    virtual bool deliver(const std::string& id, const SnapshotPtr& snap, bool catching_up) = 0;
    // A durable consumer's acknowledgement up to hub_seq is now on disk.
    virtual void acknowledged(const std::string& id, std::uint64_t hub_seq) = 0;
    // A message that is not a snapshot (a crab lifecycle event, an alert), already encoded.
    // Returns false when it was dropped because the connection's queue is full.
    virtual bool deliver_event(const std::shared_ptr<const std::string>& json) = 0;
};

}  // namespace octopus::core
