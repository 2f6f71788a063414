#include "harness/child_process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace octopus::harness {

namespace {

double cpu_seconds_of(const std::string& stat_line) {
    // Fields after the ")" that ends comm: state is field 3; utime 14, stime 15.
    auto close = stat_line.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream in(stat_line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

ProcessUsage read_process_usage(pid_t pid) {
    ProcessUsage u;
    if (pid <= 0) return u;
    std::string base = "/proc/" + std::to_string(pid);
    std::ifstream stat(base + "/stat");
    std::string line;
    if (std::getline(stat, line)) u.cpu_seconds = cpu_seconds_of(line);
    std::ifstream status(base + "/status");
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) u.peak_rss_kib = std::stol(line.substr(6));
        if (line.rfind("VmRSS:", 0) == 0) u.rss_kib = std::stol(line.substr(6));
    }
    return u;
}

std::string find_program(const std::string& name, const std::string& fallback) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        auto candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return fallback;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, int stop_signal)
    : stop_signal_(stop_signal) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    // posix_spawn rather than fork: an exec failure is reported here, and the child gets the
    // pipe as stdout and stderr (dup2 clears O_CLOEXEC on the copies).
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        pid_ = -1;
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
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
        if (output_.size() > kKeepBytes) {
            // Keep the head (start-up lines) and a tail; drop the middle.
            output_ = output_.substr(0, kKeepBytes / 4) + "\n...\n" +
                      output_.substr(output_.size() - kKeepBytes / 4);
        }
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

std::optional<std::string> ChildProcess::wait_for_line(const std::string& needle,
                                                       std::chrono::milliseconds timeout) {
    std::optional<std::string> rest;
    auto find = [&] {
        auto at = output_.find(needle);
        auto eol = at == std::string::npos ? at : output_.find('\n', at);
        if (eol == std::string::npos) return false;
        rest = output_.substr(at + needle.size(), eol - at - needle.size());
        return true;
    };
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, timeout, [&] { return find() || eof_; });
    if (!rest) find();
    return rest;
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
        // The output pipe reaching EOF is the exit event (a child that forks nothing keeping it).
        std::unique_lock lk(mu_);
        if (!cv_.wait_for(lk, timeout, [&] { return eof_; })) return -1;
    }
    return reap(0);
}

int ChildProcess::terminate(std::chrono::milliseconds timeout) {
    if (!running()) return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
    ::kill(pid_, stop_signal_);
    int code = wait_exit(timeout);
    if (code < 0) {
        kill9();
        return 128 + SIGKILL;
    }
    return code;
}

}  // namespace octopus::harness
