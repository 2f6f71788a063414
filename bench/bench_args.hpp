// bench_args: the flags of one octopus-bench run (`--name value` pairs and bare `--json`-style
// switches) and the report every scenario returns. A scenario reads the flags it knows with typed,
// range-checked getters, then calls done(); a flag nobody read is a usage error, so a typo never
// silently runs the default. Bad values throw UsageError (exit status 2), never a silent clamp.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>

namespace octopus::bench {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Args {
  public:
    // argv after the scenario name. Switches are the flags that take no value.
    Args(int argc, char** argv, const std::set<std::string>& switches);

    long integer(const std::string& name, long fallback, long lo, long hi);
    double number(const std::string& name, double fallback, double lo, double hi);
    std::string text(const std::string& name, const std::string& fallback);
    std::string choice(const std::string& name, const std::string& fallback,
                       const std::set<std::string>& allowed);
    bool has(const std::string& name);
    // Throws UsageError naming the first flag no getter asked for.
    void done() const;

  private:
    std::map<std::string, std::string> values_;
    std::set<std::string> read_;
};

// What a scenario returns: one JSON result line (with "scenario", "target", "ok", "error" and the
// machine), a human table, and whether every count matched.
struct Report {
    nlohmann::json result;
    std::string table;
    bool ok = false;
};

// The fields every result line starts with: scenario, target, nproc, cpu_model, commit.
nlohmann::json result_header(const std::string& scenario, const std::string& target);
// The header followed by a scenario's own `fields` (an object).
nlohmann::json result_header(const std::string& scenario, const std::string& target,
                             const nlohmann::json& fields);
// The human table's line under its title: "  machine          NPROC cpus, CPU MODEL\n".
std::string machine_line();
// Sets "ok" and "error" and returns the report.
Report finish_report(nlohmann::json result, std::string table, bool counts_match,
                     const std::string& error);

// The hub binary: --hub-bin, else `octopus` next to this executable.
std::string hub_binary(Args& args);

}  // namespace octopus::bench
