// hub_launcher: fork/exec of the hub, its listening line, /proc usage, bounded stop.
#include "bench/hub_launcher.hpp"

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

constexpr std::size_t kOutputKeep = 16 * 1024;  // enough to show why a hub failed
constexpr auto kStartBound = std::chrono::seconds(15);

}  // namespace

HubLauncher::HubLauncher(const std::string& hub_bin, const std::string& data_dir,
                         const std::string& fsync, const std::vector<std::string>& extra) {
    std::string listen = "127.0.0.1:0";
    std::vector<char*> argv;
    for (const char* a : {hub_bin.c_str(), "serve", "--listen", listen.c_str(), "--data",
                          data_dir.c_str(), "--fsync", fsync.c_str(), "--no-local-crab"})
        argv.push_back(const_cast<char*>(a));
    for (const auto& a : extra) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    // posix_spawn rather than fork: it reports an exec failure as an error here, and the child
    // gets the pipe as stdout and stderr (dup2 clears O_CLOEXEC on the copies).
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        pid_ = -1;
        throw std::runtime_error("cannot start " + hub_bin + ": " + std::strerror(rc));
    }
    reader_ = std::thread([this, fd = fds[0]] { drain(fd); });

    const std::string needle = "octopus listening on ";
    auto deadline = std::chrono::steady_clock::now() + kStartBound;
    while (std::chrono::steady_clock::now() < deadline) {
        {
            std::lock_guard lk(mu_);
            auto at = output_.find(needle);
            auto eol = at == std::string::npos ? at : output_.find('\n', at);
            if (eol != std::string::npos) {
                std::string addr = output_.substr(at + needle.size(), eol - at - needle.size());
                auto colon = addr.rfind(':');
                if (colon != std::string::npos) {
                    port_ = static_cast<std::uint16_t>(std::stoi(addr.substr(colon + 1)));
                    return;
                }
            }
        }
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::string out = output_tail();
    terminate(std::chrono::seconds(2));
    if (reader_.joinable()) reader_.join();
    throw std::runtime_error("hub did not start:\n" + out);
}

HubLauncher::~HubLauncher() {
    terminate(std::chrono::seconds(5));
    if (reader_.joinable()) reader_.join();
}

void HubLauncher::drain(int fd) {
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        std::lock_guard lk(mu_);
        output_.append(buf, static_cast<std::size_t>(n));
        if (output_.size() > 2 * kOutputKeep) {
            // Keep the head (the listening line) and a tail; drop the middle.
            output_ = output_.substr(0, kOutputKeep / 2) + "\n...\n" +
                      output_.substr(output_.size() - kOutputKeep / 2);
        }
    }
    ::close(fd);
}

std::string HubLauncher::output_tail() const {
    std::lock_guard lk(mu_);
    return output_;
}

HubUsage HubLauncher::usage() const {
    HubUsage u;
    if (pid_ <= 0) return u;
    std::string base = "/proc/" + std::to_string(pid_);
    std::ifstream stat(base + "/stat");
    std::string line;
    if (std::getline(stat, line)) {
        // Fields after the ")" that ends comm: state is field 3; utime 14, stime 15.
        auto close = line.rfind(')');
        std::istringstream in(line.substr(close + 2));
        std::string field;
        unsigned long long utime = 0, stime = 0;
        for (int i = 3; i <= 15 && in >> field; ++i) {
            if (i == 14) utime = std::stoull(field);
            if (i == 15) stime = std::stoull(field);
        }
        u.cpu_seconds =
            static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
    std::ifstream status(base + "/status");
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) u.peak_rss_kib = std::stol(line.substr(6));
        if (line.rfind("VmRSS:", 0) == 0) u.rss_kib = std::stol(line.substr(6));
    }
    return u;
}

int HubLauncher::terminate(std::chrono::milliseconds bound) {
    if (pid_ <= 0) return 0;
    ::kill(pid_, SIGTERM);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + bound;
    for (;;) {
        if (::waitpid(pid_, &status, WNOHANG) == pid_) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string HubLauncher::stop() {
    int code = terminate();
    if (code == 0) return "";
    return "hub exited with " + std::to_string(code) + ":\n" + output_tail();
}

unsigned machine_nproc() {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<unsigned>(n) : 1;
}

std::string machine_cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            auto colon = line.find(':');
            if (colon != std::string::npos) {
                auto start = line.find_first_not_of(' ', colon + 1);
                return start == std::string::npos ? "" : line.substr(start);
            }
        }
    }
    return "unknown";
}

}  // namespace octopus::bench
