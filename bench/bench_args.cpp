// bench_args: flag parsing and the shared result header (see the header).
#include "bench/bench_args.hpp"

#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <vector>

#include "bench/client_usage.hpp"
#include "bench/hub_launcher.hpp"
#include "clients/cli_args.hpp"

namespace octopus::bench {

Args::Args(int argc, char** argv, const std::set<std::string>& switches) {
    std::vector<std::string> flags;
    for (const auto& name : switches) flags.push_back("--" + name);
    try {
        clients::for_each_option(std::vector<std::string_view>(argv, argv + argc),
                                 std::vector<std::string_view>(flags.begin(), flags.end()),
                                 [this](std::string_view flag, std::optional<std::string_view> v) {
                                     values_[std::string(flag.substr(2))] =
                                         std::string(v.value_or(""));
                                 });
    } catch (const clients::UsageError& e) {
        throw UsageError(e.what());
    }
}

long Args::integer(const std::string& name, long fallback, long lo, long hi) {
    read_.insert(name);
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    char* end = nullptr;
    long n = std::strtol(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || n < lo || n > hi)
        throw UsageError("--" + name + " must be an integer in [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "], got '" + it->second + "'");
    return n;
}

double Args::number(const std::string& name, double fallback, double lo, double hi) {
    read_.insert(name);
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    char* end = nullptr;
    double n = std::strtod(it->second.c_str(), &end);
    if (it->second.empty() || *end != '\0' || !(n >= lo && n <= hi))
        throw UsageError("--" + name + " must be a number in [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "], got '" + it->second + "'");
    return n;
}

std::string Args::text(const std::string& name, const std::string& fallback) {
    read_.insert(name);
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
}

std::string Args::choice(const std::string& name, const std::string& fallback,
                         const std::set<std::string>& allowed) {
    std::string value = text(name, fallback);
    if (!allowed.count(value)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : "|") + a;
        throw UsageError("--" + name + " must be one of " + list + ", got '" + value + "'");
    }
    return value;
}

bool Args::has(const std::string& name) {
    read_.insert(name);
    return values_.count(name) != 0;
}

void Args::done() const {
    for (const auto& [name, value] : values_)
        if (!read_.count(name)) throw UsageError("unknown flag --" + name);
}

nlohmann::json result_header(const std::string& scenario, const std::string& target) {
    return {{"scenario", scenario},
            {"target", target},
            {"nproc", machine_nproc()},
            {"cpu_model", machine_cpu_model()},
            {"commit", bench_commit()}};
}

nlohmann::json result_header(const std::string& scenario, const std::string& target,
                             const nlohmann::json& fields) {
    nlohmann::json j = result_header(scenario, target);
    j.update(fields);
    return j;
}

std::string machine_line() {
    return "  machine          " + std::to_string(machine_nproc()) + " cpus, " +
           machine_cpu_model() + "\n";
}

Report finish_report(nlohmann::json result, std::string table, bool counts_match,
                     const std::string& error) {
    Report r;
    r.ok = counts_match && error.empty();
    result["ok"] = r.ok;
    result["error"] = error;
    if (!error.empty()) table += "  error            " + error + "\n";
    r.result = std::move(result);
    r.table = std::move(table);
    return r;
}

std::string hub_binary(Args& args) {
    std::string given = args.text("hub-bin", "");
    if (!given.empty()) return given;
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? "octopus" : (self.parent_path() / "octopus").string();
}

}  // namespace octopus::bench
