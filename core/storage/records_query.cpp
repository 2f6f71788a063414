#include "core/storage/records_query.hpp"

#include "protocol/limits.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "core/storage/workspace.hpp"
#include "protocol/envelope_text.hpp"
#include "protocol/json_text.hpp"

namespace octopus::core {

namespace {

using protocol::Error;
using protocol::ErrorCode;
constexpr auto npos = std::string_view::npos;
constexpr auto kCap = static_cast<double>(kMaxRecordsRows);

Error bad(std::string message) {
    return Error{ErrorCode::bad_message, std::move(message)};
}

// ---- Parameters ----------------------------------------------------------------------------

std::optional<double> parse_seconds(std::string_view text) {
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v) ||
        std::abs(v) > protocol::max_unix_seconds)
        return std::nullopt;
    return v;
}

std::optional<std::uint64_t> parse_step(std::string_view text) {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v == 0) return std::nullopt;
    return v;
}

std::optional<Aggregate> parse_agg(std::string_view text) {
    if (text == "avg") return Aggregate::avg;
    if (text == "min") return Aggregate::min;
    if (text == "max") return Aggregate::max;
    if (text == "last") return Aggregate::last;
    return std::nullopt;
}

std::string_view agg_name(Aggregate a) {
    switch (a) {
        case Aggregate::min:
            return "min";
        case Aggregate::max:
            return "max";
        case Aggregate::last:
            return "last";
        default:
            return "avg";
    }
}

std::optional<Error> parse_keys(std::string_view text, std::vector<std::string>& keys) {
    for (std::size_t start = 0; start <= text.size();) {
        auto comma = std::min(text.find(',', start), text.size());
        if (comma == start) return bad("keys must be a comma-separated list of non-empty names");
        keys.emplace_back(text.substr(start, comma - start));
        start = comma + 1;
    }
    return std::nullopt;
}

std::optional<Error> apply_param(RecordsQuery& q, const std::string& name,
                                 const std::string& value) {
    if (name == "since" || name == "until") {
        auto t = parse_seconds(value);
        if (!t) return bad(name + " must be Unix seconds within +-1e11, not \"" + value + "\"");
        (name == "since" ? q.since : q.until) = t;
    } else if (name == "step") {
        auto s = parse_step(value);
        if (!s) return bad("step must be a whole number of seconds >= 1, not \"" + value + "\"");
        q.step = *s;
    } else if (name == "agg") {
        auto a = parse_agg(value);
        if (!a) return bad("agg must be avg, min, max or last, not \"" + value + "\"");
        q.agg = *a;
    } else if (name == "keys") {
        return parse_keys(value, q.keys);
    } else {
        return bad("unknown parameter \"" + name + "\" (since, until, step, agg, keys)");
    }
    return std::nullopt;
}

// The smallest step that keeps `span` seconds within the cap, even when not aligned to it.
std::uint64_t step_for(double span) {
    return static_cast<std::uint64_t>(std::max(1.0, std::ceil(span / (kCap - 1))));
}

std::optional<Error> check_bucket_count(const RecordsQuery& q) {
    if (!q.step || !q.since || !q.until) return std::nullopt;
    double step = static_cast<double>(q.step);
    double buckets = std::ceil(*q.until / step) - std::floor(*q.since / step);
    if (buckets <= kCap) return std::nullopt;
    return bad("window spans " + std::to_string(static_cast<std::uint64_t>(buckets)) +
               " buckets, more than the cap of " + std::to_string(kMaxRecordsRows) +
               " points; use step=" + std::to_string(step_for(*q.until - *q.since)) +
               " or larger, or a narrower window");
}

std::optional<double> number(std::string_view token) {
    if (token.empty() || (token[0] != '-' && (token[0] < '0' || token[0] > '9')))
        return std::nullopt;
    return parse_seconds(token);
}

void append_number(std::string& out, double v) {
    if (!std::isfinite(v)) {
        out += "null";
        return;
    }
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
}

// ---- Rows: ring or disk --------------------------------------------------------------------

struct Row {
    double t;
    std::uint64_t hub_seq;
    std::string_view line;  // the envelope, valid during the callback only
};
using RowFn = std::function<void(const Row&)>;

double time_of(const protocol::EnvelopeFields& env) {
    return env.timestamp.value_or(static_cast<double>(env.received_at_us) / 1e6);
}

bool in_window(const RecordsQuery& q, double t) {
    return (!q.since || t >= *q.since) && (!q.until || t < *q.until);
}

// Decodes envelope lines and passes on those inside the window. `unseen` starts as the ring's
// hub_seqs; what the disk scan does not find there is not written yet and comes from the ring.
struct RowFilter {
    const RecordsQuery& query;
    protocol::Decoder& decoder;
    const RowFn& fn;
    std::unordered_set<std::uint64_t> unseen;

    void operator()(std::string_view line) {
        auto env = decoder.decode_envelope(line);
        if (!env) return;
        unseen.erase(env.value().hub_seq);
        double t = time_of(env.value());
        if (in_window(query, t)) fn(Row{t, env.value().hub_seq, line});
    }
};

bool ring_covers(const RecordsSource& s, const RecordsQuery& q, protocol::Decoder& d) {
    if (s.ring_is_history) return true;
    if (s.ring.empty() || !q.since) return false;
    auto oldest = d.decode_envelope(s.ring.front()->json());
    return oldest && time_of(oldest.value()) <= *q.since;
}

// Whether a month=YYYY-MM partition can hold a time in the window. Its records all have a
// timestamp in that UTC month; month=unknown (or anything else) may hold any time.
bool partition_in_window(const std::string& partition, const RecordsQuery& q) {
    int y = 0;
    unsigned m = 0;
    const char* p = partition.data();
    if (partition.size() != 7 || partition[4] != '-' || std::from_chars(p, p + 4, y).ptr != p + 4 ||
        std::from_chars(p + 5, p + 7, m).ptr != p + 7 || m < 1 || m > 12)
        return true;
    using namespace std::chrono;
    auto first = year{y} / month{m} / 1;
    auto start = static_cast<double>(sys_seconds(sys_days(first)).time_since_epoch().count());
    auto end =
        static_cast<double>(sys_seconds(sys_days(first + months{1})).time_since_epoch().count());
    return (!q.until || start < *q.until) && (!q.since || end > *q.since);
}

void scan_disk(const RecordsSource& s, RowFilter& filter) {
    Workspace ws(s.crab_dir, s.crab);
    for (const auto& file : ws.record_files()) {
        if (!partition_in_window(month_of(file), filter.query)) continue;
        scan_lines(file, 0, [&](std::string_view line, std::uint64_t) { filter(line); });
    }
}

void for_each_row(const RecordsSource& s, const RecordsQuery& q, protocol::Decoder& d,
                  const RowFn& fn) {
    RowFilter filter{q, d, fn, {}};
    for (const auto& item : s.ring) filter.unseen.insert(item->hub_seq);
    if (!ring_covers(s, q, d)) scan_disk(s, filter);
    for (const auto& item : s.ring) {
        if (filter.unseen.count(item->hub_seq)) filter(item->json());
    }
}

// ---- Raw answer ----------------------------------------------------------------------------

// Keeps at most the cap in memory; past it only counts, to say how many there were.
class RawRows {
  public:
    explicit RawRows(const RecordsQuery& q) : query_(q), keys_(q.keys) {}

    void add(const Row& r) {
        first_ = std::min(first_, r.t);
        last_ = std::max(last_, r.t);
        if (++count_ > kMaxRecordsRows) return;
        rows_.push_back({r.t, r.hub_seq, protocol::project_envelope(r.line, keys_)});
    }

    protocol::Result<std::string> finish() {
        if (count_ > kMaxRecordsRows) return too_many();
        std::sort(rows_.begin(), rows_.end(), [](const Kept& a, const Kept& b) {
            return a.t != b.t ? a.t < b.t : a.hub_seq < b.hub_seq;
        });
        std::string body = "[";
        for (const auto& r : rows_) {
            if (body.size() > 1) body += ',';
            body += r.json;
        }
        return body + "]";
    }

  private:
    struct Kept {
        double t;
        std::uint64_t hub_seq;
        std::string json;
    };

    Error too_many() const {
        double span = query_.since && query_.until ? *query_.until - *query_.since : last_ - first_;
        return bad("window holds " + std::to_string(count_) + " snapshots, more than the cap of " +
                   std::to_string(kMaxRecordsRows) + " rows; downsample with step=" +
                   std::to_string(step_for(span)) + " or narrow since/until");
    }

    const RecordsQuery& query_;
    protocol::KeyFilter keys_;
    std::vector<Kept> rows_;
    std::size_t count_ = 0;
    double first_ = std::numeric_limits<double>::infinity();
    double last_ = -std::numeric_limits<double>::infinity();
};

// ---- Downsampled answer --------------------------------------------------------------------

struct Stat {
    std::uint64_t n = 0;
    double sum = 0;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    double last = 0;
    double last_t = -std::numeric_limits<double>::infinity();
    std::uint64_t last_hub_seq = 0;

    void add(double v, const Row& r) {
        ++n;
        sum += v;
        min = std::min(min, v);
        max = std::max(max, v);
        if (r.t > last_t || (r.t == last_t && r.hub_seq > last_hub_seq)) {
            last = v;
            last_t = r.t;
            last_hub_seq = r.hub_seq;
        }
    }

    double value(Aggregate a) const {
        switch (a) {
            case Aggregate::min:
                return min;
            case Aggregate::max:
                return max;
            case Aggregate::last:
                return last;
            default:
                return sum / static_cast<double>(n);
        }
    }
};

struct Bucket {
    std::uint64_t count = 0;
    std::map<std::string, Stat, std::less<>> values;  // by quoted key
};

class Buckets {
  public:
    Buckets(const RecordsQuery& q, std::string crab)
        : query_(q), keys_(q.keys), crab_(std::move(crab)) {}

    void add(const Row& r) {
        double index = std::floor(r.t / static_cast<double>(query_.step));
        auto it = buckets_.find(index);
        if (it == buckets_.end()) {
            if (buckets_.size() >= kMaxRecordsRows) {
                overflow_ = true;
                return;
            }
            it = buckets_.emplace(index, Bucket{}).first;
        }
        ++it->second.count;
        auto begin = protocol::values_begin(r.line);
        if (begin == npos) return;
        auto& values = it->second.values;
        protocol::for_each_member(r.line, begin, [&](std::string_view key, std::string_view token) {
            auto v = keys_.wants(key) ? number(token) : std::nullopt;
            if (!v) return;
            auto stat = values.find(key);
            if (stat == values.end()) stat = values.emplace(std::string(key), Stat{}).first;
            stat->second.add(*v, r);
        });
    }

    protocol::Result<std::string> finish() const {
        if (overflow_) {
            return bad("answer would hold more than " + std::to_string(kMaxRecordsRows) +
                       " points; use a larger step or a narrower since/until");
        }
        std::string body = "{\"crab\":";
        protocol::append_json_string(body, crab_);
        body += ",\"step\":";
        protocol::append_uint(body, query_.step);
        body.append(",\"agg\":\"").append(agg_name(query_.agg)).append("\",\"points\":[");
        bool first = true;
        for (const auto& [index, bucket] : buckets_) {
            if (!std::exchange(first, false)) body += ',';
            append_point(body, index * static_cast<double>(query_.step), bucket);
        }
        return body + "]}";
    }

  private:
    void append_point(std::string& out, double t, const Bucket& b) const {
        out += "{\"t\":";
        append_number(out, t);
        out += ",\"count\":";
        protocol::append_uint(out, b.count);
        out += ",\"values\":{";
        bool first = true;
        for (const auto& [key, stat] : b.values) {
            if (!std::exchange(first, false)) out += ',';
            out.append(key).append(":");
            append_number(out, stat.value(query_.agg));
        }
        out += "}}";
    }

    const RecordsQuery& query_;
    protocol::KeyFilter keys_;
    std::string crab_;
    std::map<double, Bucket> buckets_;  // by floor(t / step)
    bool overflow_ = false;
};

}  // namespace

protocol::Result<RecordsQuery> parse_records_query(
    const std::map<std::string, std::string>& params) {
    RecordsQuery q;
    for (const auto& [name, value] : params) {
        if (auto err = apply_param(q, name, value)) return *err;
    }
    if (params.count("agg") && !q.step) return bad("agg needs step (raw rows are not aggregated)");
    if (q.since && q.until && *q.until < *q.since) return bad("until must not be before since");
    if (auto err = check_bucket_count(q)) return *err;
    return q;
}

protocol::Result<std::string> run_records_query(const RecordsSource& source,
                                                const RecordsQuery& query,
                                                protocol::Decoder& decoder) {
    if (!query.step) {
        RawRows rows(query);
        for_each_row(source, query, decoder, [&](const Row& r) { rows.add(r); });
        return rows.finish();
    }
    Buckets buckets(query, source.crab);
    for_each_row(source, query, decoder, [&](const Row& r) { buckets.add(r); });
    return buckets.finish();
}

}  // namespace octopus::core
