// The subscription registry: which sinks want which crabs' snapshots, and how queue groups
// split the stream. It matches a snapshot against crab-name globs once per crab (cached until a
// subscription changes) and hands the shared snapshot to each match in hub_seq order.
// Queue groups: each event goes to exactly one member, round-robin over the members whose globs
// match; a member's delivered-but-unacked events are redelivered to the others when it leaves,
// or kept for the next member when none is left. Single-threaded, like the Hub that owns it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/stored_snapshot.hpp"
#include "core/subscriber_sink.hpp"

namespace octopus::core {

class Subscriptions {
  public:
    struct Entry {
        std::string id;
        std::vector<std::string> globs;
        std::string durable;
        std::string group;
        SubscriberSink* sink = nullptr;
        std::uint64_t cursor = 0;  // every matching event up to here was handed to the sink
        bool live = true;          // false while held back to catch up (replay or durable)
        std::optional<std::int64_t> since_us;  // a "since" replay still in progress
        std::deque<SnapshotPtr> unacked;       // group members: delivered, not yet acknowledged
    };

    bool matches(const Entry& e, std::string_view crab) const;
    Entry* find(const SubscriberSink* sink, const std::string& id);
    Entry& add(Entry entry);
    // Removes one subscription (or all of a sink's when id is empty).
    void remove(const SubscriberSink* sink, const std::string& id);
    // A group member acknowledges everything it was given up to hub_seq.
    void ack(Entry& e, std::uint64_t hub_seq);

    void publish(const std::string& crab, const SnapshotPtr& snap);
    void crab_event(std::string_view crab, const std::shared_ptr<const std::string>& json);
    // Delivers to one entry, tracking its cursor; `catching_up` for replayed events.
    void hand(Entry& e, const SnapshotPtr& snap, bool catching_up = false);

    std::size_t size() const { return entries_.size(); }
    std::vector<std::string> sink_subscription_ids(const SubscriberSink* sink) const;

  private:
    struct Group {
        std::vector<Entry*> members;
        std::size_t next = 0;
        std::deque<SnapshotPtr> backlog;  // events orphaned while the group had no member
    };
    struct Route {
        std::vector<Entry*> direct;
        std::vector<Group*> groups;
    };

    const Route& route(const std::string& crab);
    void give_to_group(Group& g, std::string_view crab, const SnapshotPtr& snap);
    void redistribute(Group& g, std::deque<SnapshotPtr> events);
    static std::string crab_of(const SnapshotPtr& snap);

    std::vector<std::unique_ptr<Entry>> entries_;
    std::map<std::string, Group> groups_;
    std::unordered_map<std::string, Route> routes_;  // cache by crab name
};

}  // namespace octopus::core
