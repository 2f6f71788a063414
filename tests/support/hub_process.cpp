#include "support/hub_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace octopus::test {

namespace fs = std::filesystem;

// OCTOPUS_TEST_BIN_DIR runs the tests against other binaries (e.g. an older build, to show a
// test fails there); by default, this build's.
fs::path bin_dir() {
    if (const char* other = std::getenv("OCTOPUS_TEST_BIN_DIR")) return other;
    return OCTOPUS_BIN_DIR;
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    ChildProcess child(argv);
    CommandResult r;
    r.exit_code = child.wait_exit(timeout);
    if (r.exit_code < 0) child.kill9();
    r.output = child.output();
    return r;
}

std::string write_config(const TempDir& dir, const std::string& toml) {
    auto config = dir.path() / "octopus.toml";
    std::ofstream(config) << toml;
    return config.string();
}

HubProcess HubProcess::configured(const TempDir& dir, const std::string& toml) {
    return HubProcess(
        {.data_dir = dir.path() / "data", .extra_args = {"--config", write_config(dir, toml)}});
}

HubProcess::HubProcess(HubOptions options) {
    std::vector<std::string> argv = {
        (bin_dir() / "octopus").string(), "serve",   "--listen",   "127.0.0.1:0", "--data",
        options.data_dir.string(),        "--fsync", options.fsync};
    if (!options.local_crab) argv.push_back("--no-local-crab");
    argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
    child_ = std::make_unique<ChildProcess>(argv);
    if (!child_->wait_for_output("octopus listening on ")) {
        throw std::runtime_error("hub did not start:\n" + child_->output());
    }
    std::smatch m;
    std::string out = child_->output();
    if (!std::regex_search(out, m, std::regex("listening on [^ ]+:([0-9]+)"))) {
        throw std::runtime_error("no port in hub output:\n" + out);
    }
    port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
}

}  // namespace octopus::test
