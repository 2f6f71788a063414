#include "core/subscriptions.hpp"

#include <algorithm>
#include <utility>

#include "core/glob.hpp"

namespace octopus::core {

namespace {
// A member that never acknowledges must not pin unbounded memory: its oldest unacked events
// are forgotten past this many (they were delivered once).
constexpr std::size_t kMaxUnacked = 65536;
}  // namespace

bool Subscriptions::matches(const Entry& e, std::string_view crab) const {
    return glob_match_any(e.globs, crab);
}

Subscriptions::Entry* Subscriptions::find(const SubscriberSink* sink, const std::string& id) {
    for (auto& e : entries_) {
        if (e->sink == sink && e->id == id) return e.get();
    }
    return nullptr;
}

Subscriptions::Entry& Subscriptions::add(Entry entry) {
    entries_.push_back(std::make_unique<Entry>(std::move(entry)));
    Entry& e = *entries_.back();
    routes_.clear();
    if (!e.group.empty()) {
        Group& g = groups_[e.group];
        g.members.push_back(&e);
        redistribute(g, std::exchange(g.backlog, {}));
    }
    return e;
}

void Subscriptions::remove(const SubscriberSink* sink, const std::string& id) {
    routes_.clear();
    std::vector<std::unique_ptr<Entry>> gone;
    auto keep = std::stable_partition(entries_.begin(), entries_.end(),
                                      [&](const std::unique_ptr<Entry>& e) {
                                          return !(e->sink == sink && (id.empty() || e->id == id));
                                      });
    std::move(keep, entries_.end(), std::back_inserter(gone));
    entries_.erase(keep, entries_.end());
    for (auto& e : gone) {
        if (e->group.empty()) continue;
        Group& g = groups_[e->group];
        std::erase(g.members, e.get());
        redistribute(g, std::move(e->unacked));
        if (g.members.empty() && g.backlog.empty()) groups_.erase(e->group);
    }
}

void Subscriptions::ack(Entry& e, std::uint64_t hub_seq) {
    while (!e.unacked.empty() && e.unacked.front()->hub_seq <= hub_seq) e.unacked.pop_front();
}

std::string Subscriptions::crab_of(const SnapshotPtr& snap) {
    // Envelopes start {"hub_seq":N,"crab":"NAME", and names need no escaping.
    auto json = snap->json();
    auto start = json.find(R"("crab":")") + 8;
    return std::string(json.substr(start, json.find('"', start) - start));
}

void Subscriptions::redistribute(Group& g, std::deque<SnapshotPtr> events) {
    for (auto& snap : events) {
        if (g.members.empty()) {
            g.backlog.push_back(std::move(snap));
        } else {
            give_to_group(g, crab_of(snap), snap);
        }
    }
}

const Subscriptions::Route& Subscriptions::route(const std::string& crab) {
    auto it = routes_.find(crab);
    if (it != routes_.end()) return it->second;
    Route r;
    for (auto& e : entries_) {
        if (!matches(*e, crab)) continue;
        if (e->group.empty()) {
            r.direct.push_back(e.get());
            continue;
        }
        Group* g = &groups_[e->group];
        if (std::find(r.groups.begin(), r.groups.end(), g) == r.groups.end()) r.groups.push_back(g);
    }
    return routes_.emplace(crab, std::move(r)).first->second;
}

void Subscriptions::hand(Entry& e, const SnapshotPtr& snap, bool catching_up) {
    if (!e.live) return;
    if (!e.sink->deliver(e.id, snap, catching_up)) {
        e.live = false;  // held back: it catches up from the ring or disk later
        return;
    }
    e.cursor = std::max(e.cursor, snap->hub_seq);
    if (!e.group.empty()) {
        e.unacked.push_back(snap);
        if (e.unacked.size() > kMaxUnacked) e.unacked.pop_front();
    }
}

void Subscriptions::give_to_group(Group& g, std::string_view crab, const SnapshotPtr& snap) {
    for (std::size_t tries = 0; tries < g.members.size(); ++tries) {
        Entry* m = g.members[g.next++ % g.members.size()];
        if (m->live && matches(*m, crab)) return hand(*m, snap);
    }
    g.backlog.push_back(snap);
}

void Subscriptions::publish(const std::string& crab, const SnapshotPtr& snap) {
    const Route& r = route(crab);
    for (Entry* e : r.direct) hand(*e, snap);
    for (Group* g : r.groups) give_to_group(*g, crab, snap);
}

void Subscriptions::crab_event(std::string_view crab,
                               const std::shared_ptr<const std::string>& json) {
    std::vector<SubscriberSink*> told;
    for (auto& e : entries_) {
        if (!matches(*e, crab) || std::find(told.begin(), told.end(), e->sink) != told.end())
            continue;
        told.push_back(e->sink);
        e->sink->deliver_event(json);
    }
}

std::vector<std::string> Subscriptions::sink_subscription_ids(const SubscriberSink* sink) const {
    std::vector<std::string> ids;
    for (const auto& e : entries_) {
        if (e->sink == sink) ids.push_back(e->id);
    }
    return ids;
}

}  // namespace octopus::core
