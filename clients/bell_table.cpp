// BellTable implementation. Everything a crab sends that ends up on the terminal (value strings
// and value keys) goes through display_text, so a hostile string cannot inject escape sequences:
// text with control characters, spaces or '=' is shown as a JSON string literal.
#include "clients/bell_table.hpp"

#include <algorithm>
#include <cstdio>

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

std::string format_age(double seconds) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", seconds > 0 ? seconds : 0.0);
    return buf;
}

BellUpdate make_update(std::string crab, std::uint64_t seq, double received_at,
                       const nlohmann::json& values) {
    BellUpdate u{std::move(crab), seq, received_at, {}};
    if (!values.is_object()) return u;
    for (const auto& [key, value] : values.items())
        u.values[display_text(key)] = display_value(value);
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
        for (const auto& [key, value] : update.values) add(key, value);
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
    row.values = update.values;
    for (const auto& [key, value] : update.values) seen_keys_.insert(key);
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
    return {seen_keys_.begin(), seen_keys_.end()};
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
            const auto it = row.values.find(key);
            line.push_back(it != row.values.end() ? it->second : std::string(missing_cell));
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
