// BellTable implementation. Everything a crab sends that ends up on the terminal (value strings
// and value keys) goes through display_text, so a hostile string cannot inject escape sequences:
// text with control characters, spaces or '=' is shown as a JSON string literal. Units and
// column order are decided on the key as the crab sent it (raw_key), so a quoted key sorts and
// formats as the web dashboard, which sees the same raw key, does.
#include "clients/bell_table.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <utility>

namespace octopus::clients {

namespace {

constexpr std::string_view missing_cell = "-";
constexpr std::size_t column_gap = 2;

// Bare when it is plain printable text, else quoted and escaped as JSON.
std::string display_text(const std::string& s) {
    const bool plain = !s.empty() && std::none_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f || c == ' ' || c == '=' || c == '"' || c == '\\';
    });
    return plain ? s
                 : nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Terminal columns taken by UTF-8 text (one per code point; wide characters are not measured).
std::size_t width_of(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// How many bytes of `s` make its first `columns` code points.
std::size_t prefix_bytes(std::string_view s, std::size_t columns) {
    std::size_t points = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && points++ == columns) return i;
    }
    return s.size();
}

void pad(std::string& out, std::size_t n) {
    out.append(n, ' ');
}

// JavaScript's Number.prototype.toFixed, which the web dashboard uses: the exact binary value
// rounded to `digits` decimals, ties away from zero; -0 as 0; 1e21 and beyond as display_value.
std::string fixed(double v, int digits) {
    if (std::abs(v) >= 1e21) return display_value(v);
    if (v == 0) v = 0.0;
    // printf rounds exact ties (1.25 to one decimal) to even: nudge them one ulp away from zero.
    // v is a tie exactly when |v| * 2^(digits+1) is an odd integer (the scaling is exact).
    if (std::fmod(std::abs(v) * std::ldexp(1.0, digits + 1), 2.0) == 1.0)
        v = std::nextafter(v, v > 0 ? HUGE_VAL : -HUGE_VAL);
    char buf[48];  // under 1e21: at most 22 digits, sign, point and 2 decimals
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// "512 B", "16.0 KiB", ... "1024.0 TiB", then `per` ("/s" or nothing).
std::string binary_size(double v, std::string_view per) {
    static constexpr std::array<std::string_view, 4> units = {"KiB", "MiB", "GiB", "TiB"};
    if (std::abs(v) < 1024) return fixed(v, 0) + " B" + std::string(per);
    std::size_t unit = 0;
    v /= 1024;
    for (; std::abs(v) >= 1024 && unit + 1 < units.size(); ++unit) v /= 1024;
    return fixed(v, 1) + " " + std::string(units[unit]) + std::string(per);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// The run of digits at `pos` without its leading zeros; moves `pos` past the run.
std::string_view digit_run(std::string_view s, std::size_t& pos) {
    const std::size_t start = pos;
    while (pos < s.size() && is_digit(s[pos])) ++pos;
    std::string_view run = s.substr(start, pos - start);
    run.remove_prefix(std::min(run.find_first_not_of('0'), run.size()));
    return run;
}

// Negative, 0 or positive like strcmp; runs of digits compare by numeric value (any length).
int natural_compare(std::string_view a, std::string_view b) {
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < a.size() && j < b.size()) {
        if (is_digit(a[i]) && is_digit(b[j])) {
            const std::string_view x = digit_run(a, i);
            const std::string_view y = digit_run(b, j);
            if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
            if (const int c = x.compare(y); c != 0) return c;
        } else if (a[i] != b[j]) {
            return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]) ? -1 : 1;
        } else {
            ++i;
            ++j;
        }
    }
    return static_cast<int>(i < a.size()) - static_cast<int>(j < b.size());
}

// The key as the crab sent it, from its display_text (plain text never starts with '"').
std::string raw_key(const std::string& shown) {
    if (shown.empty() || shown.front() != '"') return shown;
    const auto parsed = nlohmann::json::parse(shown, nullptr, false);
    return parsed.is_string() ? parsed.get<std::string>() : shown;
}

// Shown keys ordered by key_less of the keys as sent.
std::vector<std::string> in_key_order(std::vector<std::string> shown) {
    std::vector<std::pair<std::string, std::string>> keyed;  // raw, shown
    keyed.reserve(shown.size());
    for (auto& key : shown) keyed.emplace_back(raw_key(key), std::move(key));
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto& x, const auto& y) { return key_less(x.first, y.first); });
    shown.clear();
    for (auto& entry : keyed) shown.push_back(std::move(entry.second));
    return shown;
}

}  // namespace

std::string_view state_name(CrabState state) {
    switch (state) {
        case CrabState::online:
            return "online";
        case CrabState::offline:
            return "offline";
        case CrabState::unknown:
            break;
    }
    return missing_cell;
}

std::string display_value(const nlohmann::json& value) {
    if (value.is_string()) return display_text(value.get<std::string>());
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ValueUnit value_unit(std::string_view key) {
    if (key == "cpu" || key == "memory" || key == "disk" || key == "swap" ||
        key.ends_with("_pct") || key.ends_with("_percent"))
        return ValueUnit::percent;
    if (key.ends_with("_bps") || key.ends_with("_bytes_per_s")) return ValueUnit::bytes_per_second;
    if (key.ends_with("_bytes")) return ValueUnit::bytes;
    if (key.size() > 4 && key.starts_with("load") &&
        std::all_of(key.begin() + 4, key.end(), is_digit))
        return ValueUnit::load;
    return ValueUnit::none;
}

std::string human_value(std::string_view key, const nlohmann::json& value) {
    if (!value.is_number()) return display_value(value);
    const double v = value.get<double>();
    switch (value_unit(key)) {
        case ValueUnit::percent:
            return fixed(v, 1) + "%";
        case ValueUnit::bytes_per_second:
            return binary_size(v, "/s");
        case ValueUnit::bytes:
            return binary_size(v, "");
        case ValueUnit::load:
            return fixed(v, 2);
        case ValueUnit::none:
            break;
    }
    return display_value(value);
}

bool key_less(std::string_view a, std::string_view b) {
    const ValueUnit unit_a = value_unit(a);
    const ValueUnit unit_b = value_unit(b);
    if (unit_a != unit_b) return unit_a < unit_b;
    const int c = natural_compare(a, b);
    return c != 0 ? c < 0 : a < b;
}

std::string format_age(double seconds) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", seconds > 0 ? seconds : 0.0);
    return buf;
}

BellUpdate make_update(std::string crab, std::uint64_t seq, double received_at,
                       const nlohmann::json& values) {
    BellUpdate u{std::move(crab), seq, received_at, {}, {}};
    if (!values.is_object()) return u;
    for (const auto& [key, value] : values.items()) {
        const std::string shown = display_text(key);
        u.values[shown] = display_value(value);
        u.cells[shown] = human_value(key, value);
    }
    return u;
}

std::string plain_line(const BellUpdate& update, const std::vector<std::string>& keys, double now) {
    std::string line = update.crab + " seq=" + std::to_string(update.seq) +
                       " age=" + format_age(now - update.received_at);
    auto add = [&line](const std::string& key, const std::string& value) {
        line += ' ';
        line += key;
        line += '=';
        line += value;
    };
    if (keys.empty()) {
        std::vector<std::string> shown;
        for (const auto& entry : update.values) shown.push_back(entry.first);
        for (const auto& key : in_key_order(std::move(shown))) add(key, update.values.at(key));
        return line;
    }
    for (const auto& key : keys) {
        const auto it = update.values.find(display_text(key));
        if (it != update.values.end()) add(it->first, it->second);
    }
    return line;
}

std::string gap_line(std::uint64_t from_hub_seq, std::uint64_t to_hub_seq, std::uint64_t missed) {
    return "gap: missed " + std::to_string(missed) + " (hub_seq " + std::to_string(from_hub_seq) +
           ".." + std::to_string(to_hub_seq) + ")";
}

BellTable::BellTable(std::vector<std::string> keys) {
    for (const auto& key : keys) fixed_keys_.push_back(display_text(key));
}

void BellTable::apply(const BellUpdate& update) {
    Row& row = rows_[update.crab];
    row.seq = update.seq;
    row.received_at = update.received_at;
    row.cells = update.cells;
    for (const auto& entry : update.cells) seen_keys_.insert(entry.first);
    ++updates_;
}

void BellTable::crab_event(const std::string& crab, std::string_view event) {
    Row& row = rows_[crab];
    ++events_;
    if (event != "online" && event != "offline") return;
    row.event_state = event == "online" ? CrabState::online : CrabState::offline;
    row.event_index = events_;
}

void BellTable::seed(const std::map<std::string, bool>& online, std::uint64_t asked_at) {
    seeded_ = online;
    seed_asked_at_ = asked_at;
}

void BellTable::gap(std::uint64_t from_hub_seq, std::uint64_t to_hub_seq, std::uint64_t missed) {
    ++gaps_;
    missed_ += missed;
    last_gap_ = gap_line(from_hub_seq, to_hub_seq, missed);
}

CrabState BellTable::state(const std::string& crab) const {
    const auto row = rows_.find(crab);
    if (row != rows_.end() && row->second.event_index > seed_asked_at_) {
        return row->second.event_state;
    }
    if (const auto seeded = seeded_.find(crab); seeded != seeded_.end()) {
        return seeded->second ? CrabState::online : CrabState::offline;
    }
    return row != rows_.end() ? row->second.event_state : CrabState::unknown;
}

std::vector<std::string> BellTable::columns() const {
    if (!fixed_keys_.empty()) return fixed_keys_;
    return in_key_order({seen_keys_.begin(), seen_keys_.end()});
}

std::vector<std::string> BellTable::render(double now, ScreenSize screen) const {
    const std::vector<std::string> keys = columns();
    std::vector<std::vector<std::string>> cells;
    std::vector<std::string> header = {"crab", "state", "age"};
    header.insert(header.end(), keys.begin(), keys.end());
    cells.push_back(std::move(header));
    for (const auto& [crab, row] : rows_) {
        std::vector<std::string> line = {
            crab, std::string(state_name(state(crab))),
            row.received_at ? format_age(now - *row.received_at) : std::string(missing_cell)};
        for (const auto& key : keys) {
            const auto it = row.cells.find(key);
            line.push_back(it != row.cells.end() ? it->second : std::string(missing_cell));
        }
        cells.push_back(std::move(line));
    }
    std::vector<std::size_t> widths(cells.front().size(), 0);
    for (const auto& line : cells) {
        for (std::size_t c = 0; c < line.size(); ++c)
            widths[c] = std::max(widths[c], width_of(line[c]));
    }
    std::vector<std::string> out;
    for (const auto& line : cells) {
        std::string text;
        for (std::size_t c = 0; c < line.size(); ++c) {
            const std::size_t fill = widths[c] - width_of(line[c]);
            if (c > 0) pad(text, column_gap);
            if (c >= 2) pad(text, fill);  // age and values: right-aligned
            text += line[c];
            if (c < 2) pad(text, fill);  // crab and state: left-aligned
        }
        text.erase(text.find_last_not_of(' ') + 1);
        out.push_back(std::move(text));
    }
    if (rows_.empty()) out.emplace_back("(no snapshots yet)");
    std::vector<std::string> footer;
    if (gaps_ > 0) {
        footer.push_back(gaps_ == 1 ? last_gap_
                                    : last_gap_ + "; " + std::to_string(gaps_) + " gaps, " +
                                          std::to_string(missed_) + " missed in total");
    }
    if (!status_.empty()) footer.push_back(status_);
    // Too tall: keep the header and the footer, cut rows, say how many.
    if (screen.lines > 0 && out.size() + footer.size() > screen.lines) {
        const std::size_t room =
            screen.lines > footer.size() + 2 ? screen.lines - footer.size() - 1 : 1;
        const std::size_t cut = out.size() - room;
        out.resize(room);
        out.push_back("(+" + std::to_string(cut) + " more crabs)");
    }
    out.insert(out.end(), footer.begin(), footer.end());
    if (screen.columns > 0) {
        for (auto& line : out) line.resize(prefix_bytes(line, screen.columns));
    }
    return out;
}

}  // namespace octopus::clients
