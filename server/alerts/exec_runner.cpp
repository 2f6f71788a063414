// Why Asio descriptors and not a worker thread per exec hook: a thread blocked in write() or
// waitpid() cannot be interrupted at stop() without signals, and it would add a lock and a queue
// per hook. Here the child is watched from the io thread: stdin is one end of an AF_UNIX
// socketpair (Asio sends with MSG_NOSIGNAL, so a child that exits without reading cannot
// SIGPIPE the hub), the exit is a pidfd becoming readable, the timeout a steady_timer. Every
// descriptor is created O_CLOEXEC, and the spawn closes everything from fd 3 up in the child.
// The child's stdout and stderr go to a second socketpair, read asynchronously; the first 4 KiB
// are kept (the rest is read and dropped, so a chatty child never blocks) and a failure's detail
// ends with them. The outcome is reported when the output ends, or kOutputGrace after the exit
// (a grandchild may hold the output open).
// Invariant: a spawned child is always reaped, by its exit handler or by abort() (SIGKILL, then
// a bounded wait; a child stuck in the kernel is left to a detached reaper thread).
#include "server/alerts/exec_runner.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

extern char** environ;

namespace octopus::server {

namespace asio = boost::asio;

namespace {

// Without a pidfd (kernel < 5.3, or a seccomp filter) the exit is polled this often.
constexpr std::chrono::milliseconds kExitPoll{20};

std::string errno_text(int err) {
    return std::strerror(err);
}

// Output kept from a child, for the detail of a failed run, and how long after its exit the
// rest of its output is waited for.
constexpr std::size_t kMaxOutput = 4096;
constexpr std::chrono::milliseconds kOutputGrace{100};

// Spawns argv with `stdin_fd` as its stdin and `out_fd` as stdout and stderr. Returns 0 or an
// errno value.
int spawn(const std::vector<std::string>& argv, int stdin_fd, int out_fd, pid_t& pid) {
    if (argv.empty() || argv[0].empty()) return EINVAL;
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
    posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, out_fd, 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigset_t all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    int rc = posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

class ExecRun final : public HookCall, public std::enable_shared_from_this<ExecRun> {
  public:
    ExecRun(asio::io_context& io, const ExecSpec& spec, std::shared_ptr<const std::string> body,
            HookDone done)
        : io_(io),
          stdin_(io),
          output_(io),
          exit_(io),
          timer_(io),
          timeout_(spec.timeout),
          body_(std::move(body)),
          done_(std::move(done)) {}

    void start(const std::vector<std::string>& argv) {
        int fds[2], out[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
            return finish_later({false, -1, "spawn: socketpair: " + errno_text(errno)});
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out) != 0) {
            ::close(fds[0]);
            ::close(fds[1]);
            return finish_later({false, -1, "spawn: socketpair: " + errno_text(errno)});
        }
        boost::system::error_code ec;
        stdin_.assign(asio::local::stream_protocol(), fds[0], ec);
        output_.assign(asio::local::stream_protocol(), out[0], ec);
        int rc = spawn(argv, fds[1], out[1], pid_);
        ::close(fds[1]);
        ::close(out[1]);
        if (rc != 0) {
            pid_ = -1;
            return finish_later({false, -1, "spawn " + argv_0(argv) + ": " + errno_text(rc)});
        }
        watch_exit();
        read_output();
        timer_.expires_after(timeout_);
        timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
            if (wait_ec || self->pid_ < 0) return;
            self->killed_ = true;
            ::kill(self->pid_, SIGKILL);
        });
        asio::async_write(stdin_, asio::buffer(*body_),
                          [self = shared_from_this()](boost::system::error_code, std::size_t) {
                              // A child that exits without reading is judged by its exit status.
                              self->close_stdin();
                          });
    }

    void abort() override {
        aborted_ = true;
        timer_.cancel();
        if (poll_timer_) poll_timer_->cancel();
        close_stdin();
        boost::system::error_code ignored;
        exit_.close(ignored);
        output_.close(ignored);
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            reap_killed(pid_);
            pid_ = -1;
        }
    }

  private:
    // A killed child normally dies within a millisecond and is reaped here (so none is left
    // behind); one stuck in the kernel (hung NFS, FUSE) is handed to a detached thread after
    // 100 ms, so the network thread never waits on it longer.
    static void reap_killed(pid_t pid) {
        for (int i = 0; i < 100; ++i) {
            if (::waitpid(pid, nullptr, WNOHANG) != 0) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        std::thread([pid] {
            while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
            }
        }).detach();
    }

    static std::string argv_0(const std::vector<std::string>& argv) {
        return argv.empty() ? std::string("(empty argv)") : argv[0];
    }

    void watch_exit() {
        int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
        if (pidfd < 0) return poll_exit();
        exit_.assign(pidfd);
        wait_exit();
    }

    void wait_exit() {
        exit_.async_wait(asio::posix::descriptor_base::wait_read,
                         [self = shared_from_this()](boost::system::error_code ec) {
                             if (ec || self->aborted_) return;
                             if (!self->reap()) self->wait_exit();
                         });
    }

    void poll_exit() {
        poll_timer_.emplace(io_, kExitPoll);
        poll_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec || self->aborted_) return;
            if (!self->reap()) self->poll_exit();
        });
    }

    void read_output() {
        output_.async_read_some(
            asio::buffer(chunk_),
            [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                self->keep_output(n);
                if (!ec) return self->read_output();
                self->output_done_ = true;
                if (self->exited_) self->report();
            });
    }

    void keep_output(std::size_t n) {
        output_text_.append(chunk_.data(), std::min(n, kMaxOutput - output_text_.size()));
    }

    // What the child wrote, on one line, as the tail of a failure's detail.
    std::string output_tail() const {
        std::string text = output_text_;
        std::replace(text.begin(), text.end(), '\n', ' ');
        while (!text.empty() && text.back() == ' ') text.pop_back();
        return text.empty() ? "" : ": " + text;
    }

    // The child has ended: report once its output has ended too, or after kOutputGrace.
    void exited(HookOutcome outcome) {
        outcome_ = std::move(outcome);
        exited_ = true;
        if (output_done_) return report();
        timer_.expires_after(kOutputGrace);
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec && !self->output_done_) self->report();
        });
    }

    void report() {
        if (!done_) return;  // reported already
        if (!outcome_.ok) outcome_.detail += output_tail();
        boost::system::error_code ignored;
        output_.close(ignored);
        timer_.cancel();
        finish(std::move(outcome_));
    }

    // Reaps the child if it has ended and reports; false while it still runs.
    bool reap() {
        int status = 0;
        pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == 0) return false;
        pid_ = -1;
        timer_.cancel();
        close_stdin();
        boost::system::error_code ignored;
        exit_.close(ignored);
        if (r < 0) {
            exited({false, -1, "waitpid: " + errno_text(errno)});
        } else if (WIFEXITED(status)) {
            int code = WEXITSTATUS(status);
            exited({code == 0, code, "exit " + std::to_string(code)});
        } else if (killed_) {
            exited({false, -1, "killed after timeout " + std::to_string(timeout_.count()) + " ms"});
        } else {
            exited({false, -1, "killed by signal " + std::to_string(WTERMSIG(status))});
        }
        return true;
    }

    void close_stdin() {
        boost::system::error_code ignored;
        stdin_.close(ignored);
    }

    void finish_later(HookOutcome outcome) {
        asio::post(io_, [self = shared_from_this(), outcome = std::move(outcome)]() mutable {
            self->finish(std::move(outcome));
        });
    }

    void finish(HookOutcome outcome) {
        if (aborted_ || !done_) return;
        auto done = std::move(done_);
        done_ = nullptr;
        done(std::move(outcome));
    }

    asio::io_context& io_;
    asio::local::stream_protocol::socket stdin_;
    asio::local::stream_protocol::socket output_;  // the child's stdout and stderr
    std::array<char, 1024> chunk_{};
    std::string output_text_;  // the first kMaxOutput bytes of it
    bool output_done_ = false;
    bool exited_ = false;
    HookOutcome outcome_;  // waits here for the output to end
    asio::posix::stream_descriptor exit_;
    asio::steady_timer timer_;
    std::optional<asio::steady_timer> poll_timer_;
    std::chrono::milliseconds timeout_;
    std::shared_ptr<const std::string> body_;
    HookDone done_;
    pid_t pid_ = -1;
    bool killed_ = false;
    bool aborted_ = false;
};

}  // namespace

std::shared_ptr<HookCall> run_exec(asio::io_context& io, const ExecSpec& spec,
                                   std::shared_ptr<const std::string> body, HookDone done) {
    auto run = std::make_shared<ExecRun>(io, spec, std::move(body), std::move(done));
    run->start(spec.argv);
    return run;
}

}  // namespace octopus::server
