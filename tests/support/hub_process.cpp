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

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
        ::dup2(fds[1], 1);
        ::dup2(fds[1], 2);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    reader_ = std::thread([this, fd = fds[0]] { drain(fd); });
}

ChildProcess::~ChildProcess() {
    if (running()) kill9();
    if (reader_.joinable()) reader_.join();
}

void ChildProcess::drain(int fd) {
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        std::lock_guard lk(mu_);
        if (n <= 0) {
            eof_ = true;
            cv_.notify_all();
            break;
        }
        output_.append(buf, static_cast<std::size_t>(n));
        cv_.notify_all();
    }
    ::close(fd);
}

bool ChildProcess::wait_for_output(const std::string& needle, std::chrono::milliseconds timeout,
                                   int times) {
    auto count = [&] {
        int n = 0;
        for (auto pos = output_.find(needle); pos != std::string::npos;
             pos = output_.find(needle, pos + 1))
            ++n;
        return n;
    };
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, timeout, [&] { return count() >= times || eof_; });
    return count() >= times;
}

std::string ChildProcess::output() const {
    std::lock_guard lk(mu_);
    return output_;
}

int ChildProcess::reap(int options) {
    if (!running()) return 0;
    pid_t r = ::waitpid(pid_, &status_, options);
    if (r != pid_) return -1;
    pid_ = -1;
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

void ChildProcess::kill9() {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    reap(0);
}

int ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
    {
        // The output pipe reaching EOF is the exit event (the hub forks nothing that keeps it).
        std::unique_lock lk(mu_);
        if (!cv_.wait_for(lk, timeout, [&] { return eof_; })) return -1;
    }
    return reap(0);
}

int ChildProcess::terminate(std::chrono::milliseconds timeout) {
    if (!running()) return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
    ::kill(pid_, SIGTERM);
    int code = wait_exit(timeout);
    if (code < 0) {
        kill9();
        return -1;
    }
    return code;
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
