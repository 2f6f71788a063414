// ProcSampler: reads /proc text files and statvfs, nothing else. Counters (cpu jiffies, disk
// sectors, network bytes) are kept from the previous call so rates are deltas over a monotonic
// clock. A missing or unreadable source gives 0 for its keys: sampling never throws and never
// emits NaN or infinity, so values_json is always a valid snapshot "values" object.
#include "clients/proc_sampler.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

namespace octopus::clients {

namespace {

using Clock = std::chrono::steady_clock;

struct CpuTimes {
    std::uint64_t total = 0;
    std::uint64_t idle = 0;
};

// A pair of monotonically increasing byte counters (read/write or rx/tx).
struct ByteCounters {
    std::uint64_t in = 0;
    std::uint64_t out = 0;
};

std::optional<std::string> read_text(const std::string& path) {
    std::ifstream file(path);
    if (!file) return std::nullopt;
    std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    if (file.bad()) return std::nullopt;
    return text;
}

// First line of /proc/stat: "cpu user nice system idle iowait irq softirq steal guest ...".
// guest time is already counted in user, so only the first eight fields make up the total.
std::optional<CpuTimes> parse_cpu(const std::string& text) {
    std::istringstream in(text);
    std::string label;
    in >> label;
    if (label != "cpu") return std::nullopt;
    std::array<std::uint64_t, 8> fields{};
    std::size_t n = 0;
    while (n < fields.size() && in >> fields[n]) ++n;
    if (n < 4) return std::nullopt;
    CpuTimes t;
    for (std::size_t i = 0; i < n; ++i) t.total += fields[i];
    t.idle = fields[3] + (n > 4 ? fields[4] : 0);
    return t;
}

double memory_used_percent(const std::string& text) {
    std::istringstream in(text);
    std::string key;
    std::uint64_t value = 0;
    std::string unit;
    std::optional<std::uint64_t> total;
    std::optional<std::uint64_t> available;
    while (in >> key >> value) {
        if (key == "MemTotal:") total = value;
        if (key == "MemAvailable:") available = value;
        std::getline(in, unit);
    }
    if (!total || !available || *total == 0 || *available > *total) return 0;
    return static_cast<double>(*total - *available) / static_cast<double>(*total) * 100.0;
}

std::array<double, 3> parse_loadavg(const std::string& text) {
    std::istringstream in(text);
    std::array<double, 3> load{};
    if (!(in >> load[0] >> load[1] >> load[2])) return {};
    return load;
}

// Same figure as df: used / (used + available to unprivileged users).
double disk_used_percent(const std::string& path) {
    struct statvfs fs {};
    if (::statvfs(path.c_str(), &fs) != 0) return 0;
    const double used = static_cast<double>(fs.f_blocks - fs.f_bfree);
    const double usable = used + static_cast<double>(fs.f_bavail);
    return usable > 0 ? used / usable * 100.0 : 0;
}

bool has_prefix(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The kernel names partitions <disk><n>, or <disk>p<n> when the disk name ends in a digit
// (sda1, nvme0n1p1, mmcblk0p2).
bool is_partition_of(std::string_view name, std::string_view disk) {
    if (name.size() <= disk.size() || !has_prefix(name, disk)) return false;
    std::string_view rest = name.substr(disk.size());
    const bool disk_ends_in_digit = disk.back() >= '0' && disk.back() <= '9';
    if (disk_ends_in_digit) {
        if (rest.front() != 'p') return false;
        rest.remove_prefix(1);
    }
    return all_digits(rest);
}

// Virtual devices whose traffic is either not disk I/O or already counted on a physical disk.
bool is_virtual_device(std::string_view name) {
    constexpr std::array<std::string_view, 5> prefixes{"loop", "ram", "zram", "dm-", "md"};
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [name](std::string_view p) { return has_prefix(name, p); });
}

struct DiskLine {
    std::string name;
    ByteCounters bytes;
};

// /proc/diskstats: "major minor name reads merged sectors_read ms writes merged sectors_written".
std::vector<DiskLine> parse_diskstats(const std::string& text) {
    constexpr std::uint64_t sector_bytes = 512;
    std::vector<DiskLine> disks;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::uint64_t major = 0, minor = 0, reads = 0, merged = 0, read_ms = 0, writes = 0;
        std::uint64_t write_merged = 0;
        DiskLine d;
        if (fields >> major >> minor >> d.name >> reads >> merged >> d.bytes.in >> read_ms >>
            writes >> write_merged >> d.bytes.out) {
            d.bytes.in *= sector_bytes;
            d.bytes.out *= sector_bytes;
            disks.push_back(std::move(d));
        }
    }
    return disks;
}

ByteCounters sum_whole_disks(const std::vector<DiskLine>& disks) {
    ByteCounters sum;
    for (const DiskLine& d : disks) {
        if (is_virtual_device(d.name)) continue;
        const bool partition = std::any_of(disks.begin(), disks.end(), [&d](const DiskLine& o) {
            return is_partition_of(d.name, o.name);
        });
        if (partition) continue;
        sum.in += d.bytes.in;
        sum.out += d.bytes.out;
    }
    return sum;
}

// /proc/net/dev: two header lines, then "iface: rx_bytes 7 more fields tx_bytes ...". Large
// counters can touch the colon, so the name is cut at the colon rather than at a space.
ByteCounters sum_network(const std::string& text) {
    ByteCounters sum;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string_view name(line.data(), colon);
        name.remove_prefix(std::min(name.find_first_not_of(' '), name.size()));
        if (name == "lo") continue;
        std::istringstream fields(line.substr(colon + 1));
        std::array<std::uint64_t, 9> f{};
        bool ok = true;
        for (std::uint64_t& v : f) ok = ok && static_cast<bool>(fields >> v);
        if (!ok) continue;
        sum.in += f[0];
        sum.out += f[8];
    }
    return sum;
}

double counter_rate(std::uint64_t now, std::uint64_t before, double seconds) {
    if (now < before || seconds <= 0) return 0;
    return static_cast<double>(now - before) / seconds;
}

double cpu_busy_percent(const std::optional<CpuTimes>& now, const std::optional<CpuTimes>& before) {
    if (!now || !before || now->total <= before->total) return 0;
    const std::uint64_t total = now->total - before->total;
    const std::uint64_t idle = now->idle >= before->idle ? now->idle - before->idle : 0;
    return static_cast<double>(total - std::min(idle, total)) / static_cast<double>(total) * 100.0;
}

void append_value(std::string& out, std::string_view key, double v) {
    double rounded = std::round(v * 1000.0) / 1000.0;
    if (!std::isfinite(rounded)) rounded = 0;
    if (rounded == 0) rounded = 0;  // folds -0 into 0
    std::array<char, 32> buf{};
    const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), rounded);
    out += out.empty() ? '{' : ',';
    out += '"';
    out += key;
    out += "\":";
    out.append(buf.data(), result.ptr);
}

double unix_seconds_now() {
    using namespace std::chrono;
    const auto us = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    return static_cast<double>(us) / 1e6;
}

}  // namespace

struct ProcSampler::State {
    Clock::time_point at;
    std::optional<CpuTimes> cpu;
    std::optional<ByteCounters> disk;
    std::optional<ByteCounters> net;

    static State read(const std::string& proc_root) {
        State s;
        s.at = Clock::now();
        if (auto text = read_text(proc_root + "/stat")) s.cpu = parse_cpu(*text);
        if (auto text = read_text(proc_root + "/diskstats")) {
            s.disk = sum_whole_disks(parse_diskstats(*text));
        }
        if (auto text = read_text(proc_root + "/net/dev")) s.net = sum_network(*text);
        return s;
    }

    // Bytes per second of both counters since `before`; 0 when either side is missing.
    static std::array<double, 2> rates(const std::optional<ByteCounters>& now,
                                       const std::optional<ByteCounters>& before, double seconds) {
        if (!now || !before) return {};
        return {counter_rate(now->in, before->in, seconds),
                counter_rate(now->out, before->out, seconds)};
    }
};

ProcSampler::ProcSampler(std::string proc_root, std::string disk_path)
    : proc_root_(std::move(proc_root)),
      disk_path_(std::move(disk_path)),
      state_(std::make_unique<State>(State::read(proc_root_))) {}

ProcSampler::~ProcSampler() = default;

Sample ProcSampler::sample() {
    State now = State::read(proc_root_);
    const double seconds = std::chrono::duration<double>(now.at - state_->at).count();
    const auto disk = State::rates(now.disk, state_->disk, seconds);
    const auto net = State::rates(now.net, state_->net, seconds);
    const auto meminfo = read_text(proc_root_ + "/meminfo");
    const auto loadavg = read_text(proc_root_ + "/loadavg");
    const auto load = loadavg ? parse_loadavg(*loadavg) : std::array<double, 3>{};

    Sample s;
    s.timestamp = unix_seconds_now();
    append_value(s.values_json, "cpu", cpu_busy_percent(now.cpu, state_->cpu));
    append_value(s.values_json, "memory", meminfo ? memory_used_percent(*meminfo) : 0);
    append_value(s.values_json, "load1", load[0]);
    append_value(s.values_json, "load5", load[1]);
    append_value(s.values_json, "load15", load[2]);
    append_value(s.values_json, "disk", disk_used_percent(disk_path_));
    append_value(s.values_json, "disk_read_bps", disk[0]);
    append_value(s.values_json, "disk_write_bps", disk[1]);
    append_value(s.values_json, "net_rx_bps", net[0]);
    append_value(s.values_json, "net_tx_bps", net[1]);
    s.values_json += '}';
    *state_ = std::move(now);
    return s;
}

}  // namespace octopus::clients
