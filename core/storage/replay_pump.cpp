#include "core/storage/replay_pump.hpp"

namespace octopus::core {

namespace {
constexpr std::size_t kChunk = 4096;  // events per disk read; two at most read ahead
}  // namespace

ReplayPump::ReplayPump(Executor& executor, Subscriptions& subs, Hooks hooks)
    : subs_(subs), hooks_(std::move(hooks)), reader_(executor) {}

ReplayPump::~ReplayPump() {
    *alive_ = false;
}

void ReplayPump::start(Entry& e, std::uint64_t after) {
    DiskReplay& d = replays_[&e];
    d = DiskReplay{++tokens_, after, {}, false, false};
    e.live = false;
    read_ahead(e, d);
}

bool ReplayPump::resume(Entry& e) {
    auto it = replays_.find(&e);
    if (it == replays_.end()) return false;
    if (it->second.held) pump(e, it->second);
    return true;
}

// Hands what was read while the sink takes it; finishes from memory once the disk has given
// everything up to the durable frontier; otherwise keeps reading ahead.
void ReplayPump::pump(Entry& e, DiskReplay& d) {
    d.held = false;
    e.live = true;
    while (!d.pending.empty()) {
        subs_.hand(e, d.pending.front(), true);
        if (!e.live) {
            d.held = true;
            break;
        }
        d.pending.pop_front();
    }
    if (!d.held && d.pending.empty() && !d.reading && d.read_to >= hooks_.durable()) {
        auto done_to = d.read_to;
        replays_.erase(&e);
        return hooks_.finish(e, done_to);
    }
    e.live = false;
    read_ahead(e, d);
}

void ReplayPump::read_ahead(Entry& e, DiskReplay& d) {
    auto durable = hooks_.durable();
    if (d.reading || d.pending.size() >= kChunk || d.read_to >= durable) return;
    ReplayRequest request;
    request.workspaces = hooks_.workspaces(e);
    request.after = d.read_to;
    request.limit = durable;
    request.since_us = e.since_us;
    request.max_events = kChunk;
    d.reading = true;
    std::weak_ptr<bool> alive = alive_;
    Entry* entry = &e;
    reader_.read(std::move(request),
                 [this, alive, entry, token = d.token, limit = durable](ReplayChunk chunk) {
                     if (alive.expired()) return;
                     auto it = replays_.find(entry);
                     if (it != replays_.end() && it->second.token == token)
                         on_chunk(*entry, it->second, std::move(chunk), limit);
                 });
}

void ReplayPump::on_chunk(Entry& e, DiskReplay& d, ReplayChunk chunk, std::uint64_t limit) {
    d.reading = false;
    d.read_to = chunk.reached_limit ? limit : chunk.events.back()->hub_seq;
    for (auto& s : chunk.events) d.pending.push_back(std::move(s));
    if (d.held) return read_ahead(e, d);
    pump(e, d);
}

void ReplayPump::forget(const SubscriberSink& sink, const std::string& id) {
    for (auto it = replays_.begin(); it != replays_.end();) {
        bool mine = it->first->sink == &sink && (id.empty() || it->first->id == id);
        it = mine ? replays_.erase(it) : std::next(it);
    }
}

}  // namespace octopus::core
