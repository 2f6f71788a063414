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
    // One event of subscription `id`. Returns false only when a durable subscription's queue is
    // full: the hub then holds further events back and the sink calls Hub::resume once drained.
    virtual bool deliver(const std::string& id, const SnapshotPtr& snap) = 0;
    // A durable consumer's acknowledgement up to hub_seq is now on disk.
    virtual void acknowledged(const std::string& id, std::uint64_t hub_seq) = 0;
    // A crab lifecycle event, already encoded; sent once per connection.
    virtual void deliver_event(const std::shared_ptr<const std::string>& json) = 0;
};

}  // namespace octopus::core
