#include "core/hub.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/storage/month.hpp"
#include "core/storage/recovery.hpp"
#include "core/storage/seq_reset.hpp"
#include "protocol/envelope.hpp"
#include "protocol/names.hpp"

namespace octopus::core {

namespace fs = std::filesystem;
using protocol::Error;
using protocol::ErrorCode;

struct Hub::CrabState {
    CrabState(std::string n, fs::path root, std::size_t ring_size)
        : name(std::move(n)), workspace(std::move(root), name), ring(ring_size) {}

    std::string name;
    Workspace workspace;
    RingBuffer<SnapshotPtr> ring;
    std::shared_ptr<CrabLink> link;  // set while online
    std::uint64_t accepted_seq = 0;
    std::uint64_t durable_seq = 0;
    std::uint64_t last_hub_seq = 0;
    std::int64_t last_received_at_us = 0;
    std::uint64_t stored = 0;
    std::uint64_t accepted = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t rejected = 0;
    bool announced = false;  // "registered" was sent to subscribers
};

Hub::Hub(HubOptions options, Executor& executor, DiskWriter& writer, Metrics& metrics,
         const Clock& clock)
    : options_(std::move(options)),
      executor_(executor),
      writer_(writer),
      metrics_(metrics),
      clock_(clock),
      ceiling_(std::make_shared<HubSeqCeiling>(options_.data_dir)),
      cursors_(options_.data_dir / "_consumers", writer) {}

Hub::~Hub() {
    *alive_ = false;
}

std::size_t Hub::buffer_size(const std::string& name) const {
    auto it = options_.buffer_overrides.find(name);
    return it != options_.buffer_overrides.end() ? it->second : options_.buffer_size;
}

void Hub::recover(protocol::Decoder& decoder) {
    fs::create_directories(options_.data_dir);
    cursors_.load();
    for (const auto& entry : fs::directory_iterator(options_.data_dir)) {
        auto name = entry.path().filename().string();
        if (!entry.is_directory() || !protocol::is_valid_crab_name(name)) continue;
        CrabState& c = state_for(name);
        auto r = recover_workspace(c.workspace, decoder, c.ring.capacity(), false);
        for (auto& s : r.newest) c.ring.push(s);
        c.accepted_seq = c.durable_seq = r.max_seq;
        if (auto reset = last_seq_reset(c.workspace.root())) {
            c.accepted_seq = c.durable_seq = seq_after_reset(c.workspace, decoder, *reset);
            spdlog::info("{}: seq reset to {} at hub_seq {}; seq now {}", name, reset->seq,
                         reset->hub_seq, c.accepted_seq);
        }
        c.last_hub_seq = r.max_hub_seq;
        c.stored = r.records;
        c.last_received_at_us = r.last_received_at_us;
        c.announced = r.records > 0;
        hub_seq_ = std::max(hub_seq_, r.max_hub_seq);
        if (observer_) observer_->known(name, r.last_received_at_us);
        spdlog::info(
            "recovered {}: {} records, last seq {}, last hub_seq {}, {} torn bytes cut, "
            "{} bad lines, {} bytes scanned",
            name, r.records, r.max_seq, r.max_hub_seq, r.torn_bytes, r.bad_lines, r.scanned_bytes);
    }
    // Numbers handed out before a crash may never have reached the disk: resume above every
    // number ever reserved. Nothing is reserved yet, so an idle hub writes nothing.
    auto ceiling = ceiling_->load();
    if (ceiling > hub_seq_) {
        spdlog::info("hub_seq resumes above {} (reserved before the last stop; highest stored {})",
                     ceiling, hub_seq_);
    }
    hub_seq_ = std::max(hub_seq_, ceiling);
    reserved_ = durable_hub_seq_ = hub_seq_;
}

Hub::CrabState& Hub::state_for(const std::string& name) {
    auto it = crabs_.find(name);
    if (it == crabs_.end()) {
        it = crabs_
                 .emplace(name, std::make_unique<CrabState>(name, options_.data_dir / name,
                                                            buffer_size(name)))
                 .first;
    }
    return *it->second;
}

const Hub::CrabState* Hub::find(const std::string& name) const {
    auto it = crabs_.find(name);
    return it == crabs_.end() ? nullptr : it->second.get();
}

protocol::Result<bool> Hub::register_crab(const std::string& name, std::shared_ptr<CrabLink> link) {
    if (!protocol::is_valid_crab_name(name)) {
        return protocol::bad_name_error();
    }
    CrabState& c = state_for(name);
    if (c.link) {
        return Error{ErrorCode::duplicate_crab, "crab \"" + name + "\" is already connected"};
    }
    c.link = std::move(link);
    if (!c.announced) lifecycle(c, "registered");
    c.announced = true;
    lifecycle(c, "online");
    if (observer_) observer_->online(name);
    return true;
}

void Hub::unregister_crab(const std::string& name, const CrabLink* link) {
    auto it = crabs_.find(name);
    if (it == crabs_.end() || it->second->link.get() != link) return;
    it->second->link.reset();
    lifecycle(*it->second, "offline");
    if (observer_) observer_->offline(name);
}

void Hub::mark_silent(const std::string& name) {
    auto it = crabs_.find(name);
    if (it == crabs_.end() || !it->second->link) return;
    auto link = it->second->link;
    unregister_crab(name, link.get());
    link->disconnect("silent: missed heartbeat polls");
}

void Hub::lifecycle(const CrabState& c, const char* event) {
    subs_.crab_event(c.name, std::make_shared<const std::string>(
                                 protocol::encode_crab_event(event, c.name, clock_.now_us())));
}

std::optional<std::uint64_t> Hub::durable_seq(const std::string& name) const {
    const CrabState* c = find(name);
    if (!c || c->durable_seq == 0) return std::nullopt;
    return c->durable_seq;
}

SnapshotPtr Hub::accept(CrabState& c, protocol::Snapshot& snap, std::uint64_t seq) {
    auto s = std::make_shared<StoredSnapshot>();
    s->hub_seq = ++hub_seq_;
    s->seq = seq;
    s->received_at_us = clock_.now_us();
    s->month = month_partition(snap.timestamp_raw.empty() ? std::nullopt
                                                          : std::optional<double>(snap.timestamp));
    s->line.reserve(snap.values_json.size() + snap.tags_json.size() + c.name.size() + 128);
    protocol::append_envelope_line(s->line, {s->hub_seq, c.name, seq, s->received_at_us}, snap);
    c.ring.push(s);
    c.accepted_seq = seq;
    c.last_hub_seq = s->hub_seq;
    c.last_received_at_us = s->received_at_us;
    ++c.stored;
    ++c.accepted;
    subs_.publish(c.name, s);
    if (observer_) observer_->accepted(c.name, *s, snap);
    return s;
}

protocol::Result<bool> Hub::ingest(const std::string& name, std::vector<protocol::Snapshot>& items,
                                   AckFn on_ack) {
    auto since = std::chrono::steady_clock::now();
    if (int e = disk_full_errno()) {
        return Error{ErrorCode::disk_full, std::string("the hub's disk is full (") +
                                               std::strerror(e) +
                                               "): nothing was stored; retry once space returns"};
    }
    if (!reserve_hub_seqs(items.size())) {
        return Error{ErrorCode::disk_full, "cannot reserve hub_seq numbers (" + *reserve_failed_ +
                                               "): nothing was stored; retry once space returns"};
    }
    CrabState& c = state_for(name);
    std::vector<WriteItem> writes;
    writes.reserve(items.size());
    std::uint64_t max_seq = 0;
    for (auto& snap : items) {
        std::uint64_t seq = snap.seq.value_or(c.accepted_seq + 1);
        max_seq = std::max(max_seq, seq);
        if (seq <= c.accepted_seq) {
            ++c.duplicates;
            bump(metrics_.snapshots_duplicate);
            continue;
        }
        if (seq - c.accepted_seq > protocol::suspicious_seq_jump) note_seq_jump(c, seq);
        auto stored = accept(c, snap, seq);
        writes.push_back({&c.workspace, stored});
        inflight_.emplace_back(&c, stored);
        if (!snap.reply_to.empty()) {
            auto pending = collects_.find(snap.reply_to);
            if (pending != collects_.end() && pending->second.crab == name) {
                auto done = std::move(pending->second.done);
                collects_.erase(pending);
                done(stored);
            }
        }
    }
    bump(metrics_.snapshots_accepted, writes.size());
    if (!writes.empty()) queue_writes(writes);
    AckWaiter w{c.last_hub_seq, &c, max_seq, std::move(on_ack), since};
    if (max_seq <= c.durable_seq) {
        fire(w);
    } else {
        waiters_.push_back(std::move(w));
    }
    return true;
}

void Hub::note_seq_jump(CrabState& c, std::uint64_t seq) {
    bump(metrics_.seq_jumps);
    spdlog::warn(
        "crab {}: seq jumps from {} to {}; every later seq at or below {} will be acked as a "
        "duplicate and not stored (POST /v1/admin/crabs/{}/reset-seq repairs it)",
        c.name, c.accepted_seq, seq, seq, c.name);
}

// True when `n` more numbers may be handed out. A reservation runs ahead on the writer thread
// once half a block is left; only if it has not landed when the block runs out (a slow or full
// disk) does the network thread reserve itself.
bool Hub::reserve_hub_seqs(std::uint64_t n) {
    if (!reserving_ && reserved_ > hub_seq_ && hub_seq_ + n + HubSeqCeiling::kBlock / 2 > reserved_)
        reserve_ahead();
    if (hub_seq_ + n <= reserved_) return true;
    return reserve_now(hub_seq_ + n + HubSeqCeiling::kBlock);
}

void Hub::reserve_ahead() {
    reserving_ = true;
    auto target = std::max(reserved_, hub_seq_) + HubSeqCeiling::kBlock;
    std::weak_ptr<bool> alive = alive_;
    writer_.submit_task([this, alive, ceiling = ceiling_, target](bool) {
        bool ok = ceiling->raise(target);
        int err = errno;
        executor_.post([this, alive, ok, err, target] {
            if (alive.expired()) return;
            reserving_ = false;
            if (ok) {
                reserved_ = std::max(reserved_, target);
            } else {
                spdlog::warn("hub_seq reservation up to {} failed: {}", target, std::strerror(err));
            }
        });
    });
}

bool Hub::reserve_now(std::uint64_t ceiling) {
    if (!ceiling_->raise(ceiling)) {
        int err = errno;
        if (!reserve_failed_) {
            spdlog::error("cannot reserve hub_seq numbers: {}; refusing snapshots (disk_full)",
                          std::strerror(err));
            retry_reserve();
        }
        reserve_failed_ = std::strerror(err);
        return false;
    }
    if (reserve_failed_) spdlog::info("hub_seq numbers reserved again: accepting snapshots");
    reserve_failed_.reset();
    reserved_ = std::max(reserved_, ceiling);
    return true;
}

// While reservations fail, try again every second, so the hub reports healthy as soon as the
// disk has room even when no crab is pushing.
void Hub::retry_reserve() {
    std::weak_ptr<bool> alive = alive_;
    executor_.post_after(std::chrono::seconds(1), [this, alive] {
        if (alive.expired() || !reserve_failed_) return;
        if (!reserve_now(hub_seq_ + HubSeqCeiling::kBlock)) retry_reserve();
    });
}

int Hub::disk_full_errno() const {
    int e = writer_.failing_errno();
    return e == ENOSPC || e == EDQUOT ? e : 0;
}

std::optional<std::string> Hub::write_problem() const {
    if (int e = disk_full_errno()) return std::string("disk_full: ") + std::strerror(e);
    if (reserve_failed_ && hub_seq_ >= reserved_) return "disk_full: " + *reserve_failed_;
    return std::nullopt;
}

protocol::Result<bool> Hub::reset_seq(const std::string& name, std::uint64_t seq) {
    auto it = crabs_.find(name);
    if (it == crabs_.end()) return Error{ErrorCode::unknown_crab, "no crab named \"" + name + "\""};
    CrabState& c = *it->second;
    if (c.link) {
        return Error{ErrorCode::crab_online,
                     "crab \"" + name + "\" is connected; reset its seq while it is offline"};
    }
    // On disk before anything more of this crab is accepted (this thread accepts nothing
    // meanwhile): a crash can never bring the old seq back over later acks. A rare operator
    // action, so the one fdatasync runs here.
    if (!record_seq_reset(c.workspace.root(), {seq, hub_seq_}, clock_.now_us())) {
        return Error{ErrorCode::disk_full,
                     std::string("the reset could not be recorded: ") + std::strerror(errno)};
    }
    spdlog::warn("crab {}: seq reset from {} to {} by an operator", name, c.accepted_seq, seq);
    bump(metrics_.seq_resets);
    c.accepted_seq = c.durable_seq = seq;
    return true;
}

void Hub::count_rejected(const std::string& name) {
    auto it = crabs_.find(name);
    if (it != crabs_.end()) ++it->second->rejected;
}

void Hub::fire(AckWaiter& w) {
    w.crab->durable_seq = std::max(w.crab->durable_seq, w.seq);
    metrics_.ack_latency.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - w.since).count());
    if (w.on_ack) w.on_ack(w.crab->durable_seq);
}

// One submission per turn of this thread, however many crab messages it handles: each submit
// may wake the writer thread, and a wake-up per snapshot costs more than the write itself.
void Hub::queue_writes(std::vector<WriteItem>& writes) {
    pending_writes_.insert(pending_writes_.end(), std::make_move_iterator(writes.begin()),
                           std::make_move_iterator(writes.end()));
    if (flush_posted_) return;
    flush_posted_ = true;
    std::weak_ptr<bool> alive = alive_;
    executor_.post([this, alive] {
        if (!alive.expired()) flush_writes();
    });
}

void Hub::flush_writes() {
    flush_posted_ = false;
    if (!pending_writes_.empty()) writer_.submit(std::exchange(pending_writes_, {}));
}

void Hub::on_durable(std::uint64_t hub_seq) {
    durable_hub_seq_ = std::max(durable_hub_seq_, hub_seq);
    while (!inflight_.empty() && inflight_.front().second->hub_seq <= hub_seq)
        inflight_.pop_front();
    while (!waiters_.empty() && waiters_.front().hub_seq <= hub_seq) {
        AckWaiter w = std::move(waiters_.front());
        waiters_.pop_front();
        fire(w);
    }
}

protocol::Result<std::vector<SnapshotPtr>> Hub::get_buffer(const std::string& name) const {
    const CrabState* c = find(name);
    if (!c) return Error{ErrorCode::unknown_crab, "no crab named \"" + name + "\""};
    return c->ring.items();
}

SnapshotPtr Hub::newest(const std::string& name) const {
    const CrabState* c = find(name);
    return c && !c->ring.empty() ? c->ring.newest() : nullptr;
}

CrabInfo Hub::info(const CrabState& c) const {
    CrabInfo i;
    i.name = c.name;
    i.online = c.link != nullptr;
    if (c.accepted_seq) i.seq = c.accepted_seq;
    if (c.durable_seq) i.durable_seq = c.durable_seq;
    i.last_hub_seq = c.last_hub_seq;
    i.last_received_at_us = c.last_received_at_us;
    i.buffered = c.ring.size();
    i.buffer_size = c.ring.capacity();
    i.stored = c.stored;
    i.accepted = c.accepted;
    i.duplicates = c.duplicates;
    i.rejected = c.rejected;
    return i;
}

std::vector<CrabInfo> Hub::crabs() const {
    std::vector<CrabInfo> out;
    out.reserve(crabs_.size());
    for (const auto& [name, c] : crabs_) out.push_back(info(*c));
    std::sort(out.begin(), out.end(),
              [](const CrabInfo& a, const CrabInfo& b) { return a.name < b.name; });
    return out;
}

std::optional<CrabInfo> Hub::crab(const std::string& name) const {
    const CrabState* c = find(name);
    if (!c) return std::nullopt;
    return info(*c);
}

void Hub::collect_once(const std::string& name, std::chrono::milliseconds timeout, CollectFn done) {
    const CrabState* c = find(name);
    if (!c) return done(Error{ErrorCode::unknown_crab, "no crab named \"" + name + "\""});
    if (!c->link) return done(Error{ErrorCode::crab_offline, "crab \"" + name + "\" is offline"});
    std::string id = "c" + std::to_string(++next_request_);
    collects_.emplace(id, PendingCollect{name, std::move(done)});
    c->link->request_snapshot(id);
    std::weak_ptr<bool> alive = alive_;
    executor_.post_after(timeout, [this, alive, id, name, timeout] {
        if (alive.expired()) return;
        auto it = collects_.find(id);
        if (it == collects_.end()) return;
        auto fn = std::move(it->second.done);
        collects_.erase(it);
        fn(Error{ErrorCode::timeout, "crab \"" + name + "\" did not answer within " +
                                         std::to_string(timeout.count()) + " ms"});
    });
}

void Hub::collect_all(std::chrono::milliseconds timeout, std::function<void(CollectAllResult)> done,
                      std::function<bool(const std::string&)> which) {
    struct Gather {
        CollectAllResult result;
        std::size_t outstanding = 0;
        std::function<void(CollectAllResult)> done;
    };
    auto g = std::make_shared<Gather>();
    g->done = std::move(done);
    std::vector<std::string> online;
    for (const auto& [name, c] : crabs_) {
        if (c->link && (!which || which(name))) online.push_back(name);
    }
    std::sort(online.begin(), online.end());
    g->outstanding = online.size();
    if (online.empty()) return g->done(std::move(g->result));
    for (const auto& name : online) {
        collect_once(name, timeout, [g, name](protocol::Result<SnapshotPtr> r) {
            if (r) {
                g->result.snapshots.push_back(r.value());
            } else {
                g->result.missing.emplace_back(name, r.error());
            }
            if (--g->outstanding == 0) g->done(std::move(g->result));
        });
    }
}

protocol::Result<bool> Hub::subscribe(SubscriberSink& sink, const protocol::Subscribe& spec) {
    using Kind = protocol::From::Kind;
    if (subs_.find(&sink, spec.id)) {
        return Error{ErrorCode::bad_message,
                     "subscription \"" + spec.id + "\" already exists on this connection"};
    }
    protocol::From from = spec.from;
    if (auto acked = spec.durable.empty() ? std::nullopt : cursors_.get(spec.durable)) {
        from = {Kind::hub_seq, *acked, 0};
    }
    auto& e =
        subs_.add({spec.id, spec.crabs, spec.durable, spec.group, &sink, hub_seq_, true, {}, {}});
    sink.subscribed(spec.id, hub_seq_);
    if (from.kind == Kind::buffer) replay(e, 0, std::nullopt, true);
    if (from.kind == Kind::hub_seq) replay(e, from.hub_seq, std::nullopt, false);
    if (from.kind == Kind::since) replay(e, 0, static_cast<std::int64_t>(from.since * 1e6), false);
    return true;
}

protocol::Result<bool> Hub::unsubscribe(SubscriberSink& sink, const std::string& id) {
    if (!subs_.find(&sink, id))
        return Error{ErrorCode::bad_message, "no subscription \"" + id + "\""};
    pump_.forget(sink, id);
    subs_.remove(&sink, id);
    return true;
}

void Hub::remove_subscriber(SubscriberSink& sink) {
    pump_.forget(sink, "");
    subs_.remove(&sink, "");
}

void Hub::resume(SubscriberSink& sink, const std::string& id) {
    auto* e = subs_.find(&sink, id);
    if (!e || e->live) return;
    if (!pump_.resume(*e)) replay(*e, e->cursor, e->since_us, false);
}

protocol::Result<bool> Hub::consumer_ack(SubscriberSink& sink, const std::string& id,
                                         std::uint64_t hub_seq) {
    auto* e = subs_.find(&sink, id);
    if (!e) return Error{ErrorCode::bad_message, "no subscription \"" + id + "\""};
    if (e->durable.empty() && e->group.empty()) {
        return Error{ErrorCode::bad_message,
                     "subscription \"" + id + "\" is neither durable nor in a group"};
    }
    auto upto = std::min(hub_seq, e->cursor);  // never past what was delivered
    subs_.ack(*e, upto);
    if (e->durable.empty()) return true;
    flush_writes();  // the cursor is written after the snapshots it covers
    std::weak_ptr<bool> alive = alive_;
    SubscriberSink* target = &sink;
    cursors_.advance(e->durable, upto, [this, alive, target, id, upto] {
        executor_.post([this, alive, target, id, upto] {
            if (!alive.expired() && subs_.find(target, id)) target->acknowledged(id, upto);
        });
    });
    return true;
}

// Replays the matching events after `after` (or received at/after `since_us`) in hub_seq order,
// then leaves the subscription live. What memory holds (the rings, the snapshots not yet on
// disk) is handed in this turn. Older history streams from the ReplayReader, chunk by chunk,
// while the subscription is held back from live events; the switch to live happens in the turn
// that hands the last of it, so there is no gap and no duplicate at the seam.
void Hub::replay(Entry& e, std::uint64_t after, std::optional<std::int64_t> since_us,
                 bool ring_only) {
    e.cursor = after;  // a held-back replay resumes from here
    e.since_us = since_us;
    if (ring_only || after >= durable_hub_seq_ || rings_cover(e, after, false))
        return finish_replay(e, after, after, ring_only);
    pump_.start(e, after);
}

// Each matching crab's ring holds every event it has after `after` (the newest contiguous run
// of its history reaches back that far).
bool Hub::rings_cover(const Entry& e, std::uint64_t after, bool ring_only) const {
    if (ring_only) return true;
    for (const auto& [name, c] : crabs_) {
        if (!subs_.matches(e, name) || c->ring.size() == c->stored) continue;
        if (c->ring.empty()) return false;
        const auto& oldest = c->ring.at(0);
        bool reaches = e.since_us ? oldest->received_at_us < *e.since_us : oldest->hub_seq <= after;
        if (!reaches) return false;
    }
    return true;
}

// Hands the rest from memory and goes live: from the rings when they cover `after`, else from
// the snapshots not yet on disk (the disk was read up to `disk_done_to`, at or past the durable
// frontier).
void Hub::finish_replay(Entry& e, std::uint64_t after, std::uint64_t disk_done_to, bool ring_only) {
    auto wanted = [&](const SnapshotPtr& s) {
        return s->hub_seq > after && (!e.since_us || s->received_at_us >= *e.since_us);
    };
    std::vector<SnapshotPtr> events;
    if (rings_cover(e, after, ring_only)) {
        for (auto& [name, c] : crabs_) {
            if (!subs_.matches(e, name)) continue;
            for (std::size_t i = 0; i < c->ring.size(); ++i)
                if (wanted(c->ring.at(i))) events.push_back(c->ring.at(i));
        }
        std::sort(events.begin(), events.end(), [](const SnapshotPtr& a, const SnapshotPtr& b) {
            return a->hub_seq < b->hub_seq;
        });
    } else {
        for (const auto& [crab, s] : inflight_)
            if (s->hub_seq > disk_done_to && wanted(s) && subs_.matches(e, crab->name))
                events.push_back(s);
    }
    e.live = true;
    for (const auto& s : events) {
        subs_.hand(e, s, true);
        if (!e.live) return;
    }
    e.cursor = std::max(e.cursor, hub_seq_);
    e.since_us.reset();
}

std::vector<std::filesystem::path> Hub::workspaces_of(const Entry& e) const {
    std::vector<std::filesystem::path> roots;
    for (const auto& [name, c] : crabs_)
        if (subs_.matches(e, name)) roots.push_back(c->workspace.root());
    return roots;
}

// Run ends are bookkeeping: a stop with thousands of crabs records what fits in a few seconds
// rather than holding the shutdown (a run without an end reads as "did not stop cleanly").
void Hub::end_runs() {
    // Everything is written: the next start may continue at hub_seq_ + 1, leaving no gap.
    if (reserved_ > hub_seq_ && !ceiling_->lower_to(hub_seq_))
        spdlog::warn("hub_seq ceiling not lowered at stop: the next start leaves a gap");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::size_t skipped = 0;
    for (auto& [name, c] : crabs_) {
        if (std::chrono::steady_clock::now() < deadline)
            c->workspace.end_run(c->accepted);
        else
            ++skipped;
    }
    if (skipped) spdlog::warn("stopping: run end not recorded for {} crabs (out of time)", skipped);
}

}  // namespace octopus::core
