// server_process: posix_spawn of a server, its ready line, /proc usage, bounded stop.
#include "bench/server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace octopus::bench {

namespace {

constexpr std::size_t kOutputKeep = 16 * 1024;  // enough to show why a server failed
constexpr auto kPoll = std::chrono::milliseconds(10);

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

ServerProcess::ServerProcess(const std::vector<std::string>& argv, const std::string& ready,
                             std::chrono::milliseconds bound, int stop_signal)
    : stop_signal_(stop_signal) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    // posix_spawn rather than fork: it reports an exec failure as an error here, and the child
    // gets the pipe as stdout and stderr (dup2 clears O_CLOEXEC on the copies).
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

    auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
        if (find_ready(ready)) return;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            break;
        }
        std::this_thread::sleep_for(kPoll);
    }
    std::string out = output_tail();
    terminate(std::chrono::seconds(2));
    if (reader_.joinable()) reader_.join();
    throw std::runtime_error(argv[0] + " did not start:\n" + out);
}

ServerProcess::~ServerProcess() {
    terminate(std::chrono::seconds(5));
    if (reader_.joinable()) reader_.join();
}

bool ServerProcess::find_ready(const std::string& ready) {
    std::lock_guard lk(mu_);
    auto at = output_.find(ready);
    auto eol = at == std::string::npos ? at : output_.find('\n', at);
    if (eol == std::string::npos) return false;
    ready_text_ = output_.substr(at + ready.size(), eol - at - ready.size());
    return true;
}

void ServerProcess::drain(int fd) {
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        std::lock_guard lk(mu_);
        output_.append(buf, static_cast<std::size_t>(n));
        if (output_.size() > 2 * kOutputKeep) {
            // Keep the head (the ready line) and a tail; drop the middle.
            output_ = output_.substr(0, kOutputKeep / 2) + "\n...\n" +
                      output_.substr(output_.size() - kOutputKeep / 2);
        }
    }
    ::close(fd);
}

std::string ServerProcess::output_tail() const {
    std::lock_guard lk(mu_);
    return output_;
}

int ServerProcess::terminate(std::chrono::milliseconds bound) {
    if (pid_ <= 0) return 0;
    ::kill(pid_, stop_signal_);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + bound;
    for (;;) {
        if (::waitpid(pid_, &status, WNOHANG) == pid_) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(kPoll);
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ServerProcess::stop(const std::string& name, std::chrono::milliseconds bound) {
    int code = terminate(bound);
    if (code == 0) return "";
    return name + " exited with " + std::to_string(code) + ":\n" + output_tail();
}

std::uint16_t port_of(const std::string& host_port) {
    auto colon = host_port.rfind(':');
    long port =
        colon == std::string::npos ? 0 : std::strtol(host_port.c_str() + colon + 1, nullptr, 10);
    if (port <= 0 || port > 65535) throw std::runtime_error("no port in '" + host_port + "'");
    return static_cast<std::uint16_t>(port);
}

}  // namespace octopus::bench
