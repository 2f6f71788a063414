// BellTable: what octopus-bell shows, as text, with no sockets and no clock of its own (the
// caller passes `now`, so tests pin it). One row per crab, sorted by name: crab, state, age
// (seconds since the crab's latest received_at, one decimal), then one column per key: the
// --keys list in its order, or else the union of keys seen in key_less order (by unit: percent,
// bytes/s, bytes, load, the rest; then natural order, load1 < load5 < load15). crab and state
// are left-aligned, everything else right-aligned. Table cells show numbers in their key's unit
// (human_value: 12.5%, 52.4 MiB/s, 1.0 GiB, 1.19); plain lines keep shortest round-trip decimals
// (12.50 -> 12.5, as the hub's own keys projection does) so scripts can parse them. Strings
// show bare, booleans as words. The web dashboard applies the same unit and order rules.
// State: a lifecycle event ("online"/"offline") always wins over a seed from GET /v1/crabs
// asked for before it arrived; a seed wins over older events.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace octopus::clients {

enum class CrabState { unknown, online, offline };

std::string_view state_name(CrabState state);  // "-", "online", "offline"

// A value as a plain line shows it, and a table cell when its key has no unit.
std::string display_value(const nlohmann::json& value);

// What a key's numbers measure, in column order: percent first, ValueUnit::none last.
enum class ValueUnit { percent, bytes_per_second, bytes, load, none };

// percent: cpu, memory, disk, swap, *_pct, *_percent; bytes_per_second: *_bps,
// *_bytes_per_s; bytes: *_bytes; load: "load" and digits (load1, load15); else none.
ValueUnit value_unit(std::string_view key);

// A value as a table cell: non-numbers as display_value, numbers in their key's unit, rounded
// like JavaScript's toFixed (exact value, ties away from zero, -0 as 0, 1e21 and beyond in
// shortest form): percent "12.5%"; bytes "512 B" under 1024, then "16.0 KiB" .. "TiB"
// (bytes_per_second the same plus "/s"); load "1.19"; none as display_value.
std::string human_value(std::string_view key, const nlohmann::json& value);

// Column order: by value_unit, then natural order (runs of digits by numeric value, other
// bytes bytewise: a2 < a10, load5 < load15), then bytewise (a01 < a1).
bool key_less(std::string_view a, std::string_view b);

// Seconds with one decimal and an "s": 0.4s. Negative ages (clock skew) show as 0.0s.
std::string format_age(double seconds);

// One snapshot as octopus-bell needs it.
struct BellUpdate {
    std::string crab;
    std::uint64_t seq = 0;
    double received_at = 0;                     // hub clock, Unix seconds
    std::map<std::string, std::string> values;  // key -> display_value (plain lines)
    std::map<std::string, std::string> cells;   // key -> human_value (table cells)
};

BellUpdate make_update(std::string crab, std::uint64_t seq, double received_at,
                       const nlohmann::json& values);

// "<crab> seq=<seq> age=<a>s k=v ...": `keys` in their order (absent ones left out), or every
// value in key_less order when `keys` is empty. Values are display_value, never human_value.
std::string plain_line(const BellUpdate& update, const std::vector<std::string>& keys, double now);
// "gap: missed N (hub_seq A..B)"
std::string gap_line(std::uint64_t from_hub_seq, std::uint64_t to_hub_seq, std::uint64_t missed);

// A terminal's size; 0 is unlimited.
struct ScreenSize {
    std::size_t columns = 0;  // longer lines are cut
    std::size_t lines = 0;    // rows beyond it are left out (and counted), never the header
};

class BellTable {
  public:
    explicit BellTable(std::vector<std::string> keys = {});

    void apply(const BellUpdate& update);
    // A lifecycle event: "registered" adds the row, "online"/"offline" also set its state.
    void crab_event(const std::string& crab, std::string_view event);
    // Who is online per GET /v1/crabs, asked for when lifecycle_events() was `asked_at`.
    void seed(const std::map<std::string, bool>& online, std::uint64_t asked_at);
    void gap(std::uint64_t from_hub_seq, std::uint64_t to_hub_seq, std::uint64_t missed);
    // A line under the table (e.g. "hub connection lost, reconnecting"); empty clears it.
    void set_status(std::string status) { status_ = std::move(status); }

    CrabState state(const std::string& crab) const;
    std::uint64_t lifecycle_events() const { return events_; }
    std::uint64_t updates() const { return updates_; }
    // The key columns: the --keys list, or every key seen so far in key_less order.
    std::vector<std::string> columns() const;

    // The table as lines without newlines: header, rows, then gap and status lines.
    std::vector<std::string> render(double now, ScreenSize screen = {}) const;

  private:
    struct Row {
        std::optional<std::uint64_t> seq;
        std::optional<double> received_at;
        std::map<std::string, std::string> cells;  // key -> human_value
        CrabState event_state = CrabState::unknown;
        std::uint64_t event_index = 0;  // which lifecycle event set event_state (0: none)
    };

    std::vector<std::string> fixed_keys_;  // --keys, in order
    std::set<std::string> seen_keys_;
    std::map<std::string, Row> rows_;
    std::map<std::string, bool> seeded_;
    std::uint64_t seed_asked_at_ = 0;
    std::uint64_t events_ = 0;
    std::uint64_t updates_ = 0;
    std::uint64_t gaps_ = 0;
    std::uint64_t missed_ = 0;
    std::string last_gap_;
    std::string status_;
};

}  // namespace octopus::clients
