// Integration: HookDispatcher on an io_context thread delivering to a real HTTP receiver
// (support/http_receiver) and running real programs. Tests await the on_attempt reports (a
// mutex + condition variable collector) and the receiver's request log; they never sleep to
// synchronise. Timing checks are lower bounds (backoff) or generous upper bounds (a hook that
// must not wait for another one).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "server/alerts/hook_dispatcher.hpp"
#include "support/http_receiver.hpp"
#include "support/hub_process.hpp"

using namespace octopus::server;
using namespace std::chrono_literals;
using octopus::test::HttpReceiver;
using octopus::test::TempDir;
using Clock = std::chrono::steady_clock;

namespace {

std::string alert(std::uint64_t seq) {
    return R"({"alert":"cpu_high","crab":"alpha","seq":)" + std::to_string(seq) + "}";
}

// Every DeliveryAttempt reported, with the moment it was seen.
class Collector {
  public:
    void add(const DeliveryAttempt& attempt) {
        std::lock_guard lock(mutex_);
        seen_.push_back({attempt, Clock::now()});
        changed_.notify_all();
    }

    // Waits until `hook` has `finals` final reports; returns all of its reports (fewer finals
    // on timeout, which the caller's checks then show).
    std::vector<DeliveryAttempt> wait_final(const std::string& hook, std::size_t finals,
                                            std::chrono::milliseconds timeout = 10s) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, timeout, [&] { return count_final(hook) >= finals; });
        std::vector<DeliveryAttempt> out;
        for (const auto& entry : seen_)
            if (entry.attempt.hook == hook) out.push_back(entry.attempt);
        return out;
    }

    // When the n-th (0-based) report of `hook` was seen.
    Clock::time_point seen_at(const std::string& hook, std::size_t n) {
        std::lock_guard lock(mutex_);
        for (const auto& entry : seen_)
            if (entry.attempt.hook == hook && n-- == 0) return entry.at;
        return Clock::time_point::max();
    }

  private:
    struct Entry {
        DeliveryAttempt attempt;
        Clock::time_point at;
    };

    std::size_t count_final(const std::string& hook) const {
        std::size_t n = 0;
        for (const auto& entry : seen_) n += entry.attempt.hook == hook && entry.attempt.final;
        return n;
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Entry> seen_;
};

// A HookDispatcher on its own io thread, reporting into a Collector.
struct Harness {
    boost::asio::io_context io;
    Collector reports;
    HookDispatcher hooks{io, [this](const DeliveryAttempt& a) { reports.add(a); }};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
        io.get_executor()};
    std::thread thread{[this] { io.run(); }};
    Clock::time_point started;

    // Runs `fn` on the io thread (the dispatcher's only thread) and returns its result.
    template <class Fn>
    auto on_io(Fn fn) {
        std::packaged_task<decltype(fn())()> task(std::move(fn));
        auto result = task.get_future();
        boost::asio::post(io, [&task] { task(); });
        if (result.wait_for(10s) != std::future_status::ready)
            throw std::runtime_error("io thread did not answer in 10 s");
        return result.get();
    }

    ~Harness() {
        try {
            on_io([this] { hooks.stop(); });
        } catch (const std::exception& e) {
            FAIL_CHECK(e.what());
        }
        work.reset();
        io.stop();
        thread.join();
    }

    // Configures `spec` as the only hook, enqueues alert `seq` to it at `started` and returns
    // its reports once the final one has come.
    std::vector<DeliveryAttempt> deliver_one(HookSpec spec, std::uint64_t seq = 1) {
        std::string name = spec.name;
        configure({std::move(spec)});
        started = Clock::now();
        CHECK(enqueue(name, seq, alert(seq)));
        return reports.wait_final(name, 1);
    }

    void configure(std::vector<HookSpec> specs) {
        on_io([&] { hooks.configure(std::move(specs)); });
    }

    bool enqueue(const std::string& hook, std::uint64_t seq, const std::string& body) {
        return on_io(
            [&] { return hooks.enqueue(hook, seq, std::make_shared<const std::string>(body)); });
    }
};

WebhookSpec webhook_to(std::uint16_t port, const std::string& path = "/alerts") {
    WebhookSpec spec;
    spec.url = "http://127.0.0.1:" + std::to_string(port) + path;
    REQUIRE_FALSE(parse_webhook_url(spec).has_value());
    spec.timeout = 2000ms;
    spec.backoff = 20ms;
    return spec;
}

ExecSpec exec_of(std::vector<std::string> argv) {
    ExecSpec spec;
    spec.argv = std::move(argv);
    spec.timeout = 5000ms;
    return spec;
}

// A port nothing listens on: bound by us, then closed.
std::uint16_t closed_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// No child of this process is left unreaped.
bool no_children() {
    return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
}

std::string url_error(const std::string& url) {
    WebhookSpec spec;
    spec.url = url;
    return parse_webhook_url(spec).value_or("");
}

}  // namespace

TEST_CASE("a webhook POSTs the alert JSON once and reports one final success") {
    HttpReceiver receiver;
    Harness h;
    auto spec = webhook_to(receiver.port());
    spec.headers["X-Alert-Source"] = "octopus-test";
    h.configure({{"web", spec}});
    CHECK(h.enqueue("web", 7, alert(7)));
    CHECK_FALSE(h.enqueue("nobody", 8, alert(8)));

    auto reports = h.reports.wait_final("web", 1);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].kind == "webhook");
    CHECK(reports[0].alert_seq == 7);
    CHECK(reports[0].attempt == 1);
    CHECK(reports[0].ok);
    CHECK(reports[0].final);
    CHECK(reports[0].status == 200);
    CHECK(reports[0].detail == "HTTP 200");
    CHECK(reports[0].at_us > 0);
    CHECK(h.reports.wait_final("nobody", 0).empty());

    auto requests = receiver.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].method == "POST");
    CHECK(requests[0].target == "/alerts");
    CHECK(requests[0].headers["content-type"] == "application/json");
    CHECK(requests[0].headers["user-agent"] == "octopus-hub");
    CHECK(requests[0].headers["x-alert-source"] == "octopus-test");
    CHECK(requests[0].body == alert(7));
}

TEST_CASE("a webhook that fails twice is retried after backoff and succeeds on attempt 3") {
    HttpReceiver receiver;
    receiver.fail_next(2, 500);
    Harness h;
    auto spec = webhook_to(receiver.port());
    spec.backoff = 100ms;
    auto reports = h.deliver_one({"web", spec});
    REQUIRE(reports.size() == 3);
    for (int i = 0; i < 2; ++i) {
        CHECK(reports[i].attempt == i + 1);
        CHECK_FALSE(reports[i].ok);
        CHECK_FALSE(reports[i].final);
        CHECK(reports[i].status == 500);
        CHECK(reports[i].detail == "HTTP 500");
    }
    CHECK(reports[2].attempt == 3);
    CHECK(reports[2].ok);
    CHECK(reports[2].final);
    // Retry 1 waits backoff, retry 2 twice that: attempt 3 cannot end before 300 ms.
    CHECK(h.reports.seen_at("web", 2) - h.started >= 300ms);
    CHECK(receiver.requests().size() == 3);
}

TEST_CASE("a webhook that always fails gives up after max_attempts with a final failure") {
    HttpReceiver receiver;
    receiver.fail_next(100, 503);
    Harness h;
    auto spec = webhook_to(receiver.port());
    spec.max_attempts = 3;
    auto reports = h.deliver_one({"web", spec});
    REQUIRE(reports.size() == 3);
    CHECK_FALSE(reports[1].final);
    CHECK(reports[2].attempt == 3);
    CHECK(reports[2].final);
    CHECK_FALSE(reports[2].ok);
    CHECK(reports[2].status == 503);
    CHECK(receiver.requests().size() == 3);
}

TEST_CASE("a refused connection is a failed attempt whose detail names connect") {
    Harness h;
    auto spec = webhook_to(closed_port());
    spec.max_attempts = 2;
    auto reports = h.deliver_one({"web", spec});
    REQUIRE(reports.size() == 2);
    for (const auto& report : reports) {
        CHECK_FALSE(report.ok);
        CHECK(report.status == -1);
        CHECK_MESSAGE(report.detail.find("connect") != std::string::npos, report.detail);
    }
    CHECK(reports[1].final);
}

TEST_CASE("a hanging webhook times out without delaying another hook") {
    HttpReceiver hanging;
    hanging.hang(true);
    HttpReceiver healthy;
    Harness h;
    auto slow = webhook_to(hanging.port());
    slow.timeout = 2000ms;
    slow.max_attempts = 1;
    h.configure({{"slow", slow}, {"fast", webhook_to(healthy.port())}});
    auto start = Clock::now();
    CHECK(h.enqueue("slow", 1, alert(1)));
    CHECK(h.enqueue("fast", 2, alert(2)));

    auto fast = h.reports.wait_final("fast", 1);
    REQUIRE(fast.size() == 1);
    CHECK(fast[0].ok);
    CHECK(h.reports.seen_at("fast", 0) - start < 1000ms);
    CHECK(hanging.wait_for_requests(1, 5s));

    auto stuck = h.reports.wait_final("slow", 1);
    REQUIRE(stuck.size() == 1);
    CHECK_FALSE(stuck[0].ok);
    CHECK(stuck[0].final);
    CHECK(stuck[0].status == -1);
    CHECK(stuck[0].detail == "timeout after 2000 ms");
    CHECK(h.reports.seen_at("slow", 0) - start >= 2000ms);
}

TEST_CASE("a full queue drops the new notification with a final report, the rest keep order") {
    HttpReceiver receiver;
    Harness h;
    auto spec = webhook_to(receiver.port());
    spec.max_queue = 2;
    h.configure({{"web", spec}});
    // All four on the io thread at once: 1 in flight, 2 and 3 waiting, no room for 4.
    auto [accepted, waiting] = h.on_io([&] {
        std::vector<bool> results;
        for (std::uint64_t seq = 1; seq <= 4; ++seq)
            results.push_back(
                h.hooks.enqueue("web", seq, std::make_shared<std::string>(alert(seq))));
        return std::pair(results, h.hooks.queued("web"));
    });
    CHECK(accepted == std::vector<bool>{true, true, true, false});
    CHECK(waiting == 2);

    auto reports = h.reports.wait_final("web", 4);
    REQUIRE(reports.size() == 4);
    CHECK(reports[0].alert_seq == 4);
    CHECK(reports[0].final);
    CHECK_FALSE(reports[0].ok);
    CHECK(reports[0].detail == "queue full (2 waiting)");
    for (std::uint64_t i = 1; i <= 3; ++i) {
        CHECK(reports[i].alert_seq == i);
        CHECK(reports[i].ok);
    }
    auto requests = receiver.requests();
    REQUIRE(requests.size() == 3);
    for (std::uint64_t i = 0; i < 3; ++i) CHECK(requests[i].body == alert(i + 1));
}

TEST_CASE("an exec hook gets the alert JSON on its stdin") {
    TempDir dir;
    auto file = dir.path() / "alert.json";
    Harness h;
    auto reports =
        h.deliver_one({"script", exec_of({"/bin/sh", "-c", "cat > \"$0\"", file.string()})}, 5);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].kind == "exec");
    CHECK(reports[0].ok);
    CHECK(reports[0].status == 0);
    CHECK(reports[0].detail == "exit 0");
    CHECK(read_file(file) == alert(5));
    CHECK(no_children());
}

TEST_CASE("an exec child does not inherit the hub's other descriptors") {
    // Fd 100, open without O_CLOEXEC on purpose: the spawn must close it in the child anyway.
    int leaky = ::fcntl(STDIN_FILENO, F_DUPFD, 100);
    REQUIRE(leaky >= 100);
    TempDir dir;
    auto file = dir.path() / "fds.txt";
    Harness h;
    // The shell lists its own descriptors (dash keeps a private one at 10) while ls runs.
    auto reports = h.deliver_one(
        {"fds", exec_of({"/bin/sh", "-c", "ls -1 /proc/$$/fd > \"$0\"; exit 0", file.string()})});
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].ok);
    std::vector<std::string> fds;
    std::istringstream listing(read_file(file));
    for (std::string fd; listing >> fd;) fds.push_back(fd);
    CHECK_MESSAGE(fds.size() >= 3, read_file(file));
    CHECK(std::count(fds.begin(), fds.end(), std::to_string(leaky)) == 0);
    ::close(leaky);
}

TEST_CASE("an exec hook that exits 3 fails with status 3 and its output, retried only when asked") {
    Harness h;
    auto twice = exec_of({"/bin/sh", "-c", "exit 3"});
    twice.max_attempts = 2;
    twice.backoff = 10ms;
    h.configure(
        {{"once", exec_of({"/bin/sh", "-c", "echo page failed; echo no route >&2; exit 3"})},
         {"twice", twice},
         {"missing", exec_of({"/nonexistent/octopus-hook"})}});
    CHECK(h.enqueue("once", 1, alert(1)));
    CHECK(h.enqueue("twice", 2, alert(2)));
    CHECK(h.enqueue("missing", 3, alert(3)));

    auto once = h.reports.wait_final("once", 1);
    REQUIRE(once.size() == 1);
    CHECK_FALSE(once[0].ok);
    CHECK(once[0].final);
    CHECK(once[0].status == 3);
    CHECK(once[0].detail == "exit 3: page failed no route");

    auto retried = h.reports.wait_final("twice", 1);
    REQUIRE(retried.size() == 2);
    CHECK_FALSE(retried[0].final);
    CHECK(retried[1].attempt == 2);
    CHECK(retried[1].final);
    CHECK(retried[1].status == 3);

    auto missing = h.reports.wait_final("missing", 1);
    REQUIRE(missing.size() == 1);
    CHECK_FALSE(missing[0].ok);
    CHECK(missing[0].status == -1);
    CHECK_MESSAGE(missing[0].detail.starts_with("spawn /nonexistent/octopus-hook: "),
                  missing[0].detail);
    CHECK(no_children());
}

TEST_CASE("an exec hook past its timeout is killed and reported promptly") {
    Harness h;
    auto spec = exec_of({"/bin/sleep", "10"});
    spec.timeout = 200ms;
    auto reports = h.deliver_one({"sleepy", spec});
    REQUIRE(reports.size() == 1);
    CHECK_FALSE(reports[0].ok);
    CHECK(reports[0].status == -1);
    CHECK(reports[0].detail == "killed after timeout 200 ms");
    CHECK(h.reports.seen_at("sleepy", 0) - h.started < 2s);
    CHECK(no_children());
}

TEST_CASE("stop() kills a running exec child at once and reports nothing more") {
    Harness h;
    h.configure({{"sleepy", exec_of({"/bin/sleep", "10"})}});
    CHECK(h.enqueue("sleepy", 1, alert(1)));
    CHECK(h.enqueue("sleepy", 2, alert(2)));
    auto start = Clock::now();
    h.on_io([&] { h.hooks.stop(); });
    CHECK(Clock::now() - start < 1s);
    CHECK(no_children());
    CHECK_FALSE(h.enqueue("sleepy", 3, alert(3)));
    CHECK(h.reports.wait_final("sleepy", 1, 100ms).empty());
}

TEST_CASE("configure() reports a removed hook's notifications, a kept hook keeps its queue") {
    HttpReceiver doomed_receiver;
    doomed_receiver.hang(true);
    HttpReceiver kept_receiver;
    kept_receiver.hang(true);
    Harness h;
    auto kept = webhook_to(kept_receiver.port());
    kept.timeout = 10s;
    auto doomed = webhook_to(doomed_receiver.port());
    doomed.timeout = 10s;
    h.configure({{"doomed", doomed}, {"kept", kept}});
    for (std::uint64_t seq = 1; seq <= 3; ++seq) CHECK(h.enqueue("doomed", seq, alert(seq)));
    CHECK(h.enqueue("kept", 11, alert(11)));
    CHECK(h.enqueue("kept", 12, alert(12)));
    REQUIRE(doomed_receiver.wait_for_requests(1, 5s));
    REQUIRE(kept_receiver.wait_for_requests(1, 5s));

    kept.headers["X-Config"] = "2";
    h.configure({{"kept", kept}});
    auto removed = h.reports.wait_final("doomed", 3);
    REQUIRE(removed.size() == 3);
    for (std::uint64_t i = 0; i < 3; ++i) {
        CHECK(removed[i].alert_seq == i + 1);
        CHECK(removed[i].final);
        CHECK_FALSE(removed[i].ok);
        CHECK(removed[i].detail == "hook removed");
    }
    CHECK_FALSE(h.enqueue("doomed", 4, alert(4)));
    CHECK(h.on_io([&] { return h.hooks.queued("kept"); }) == 1);

    // The delivery in flight survives the reload; the next one goes out with the new spec.
    kept_receiver.hang(false);
    auto delivered = h.reports.wait_final("kept", 2);
    REQUIRE(delivered.size() == 2);
    CHECK(delivered[0].alert_seq == 11);
    CHECK(delivered[0].ok);
    CHECK(delivered[1].alert_seq == 12);
    CHECK(delivered[1].ok);
    auto requests = kept_receiver.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].headers.count("x-config") == 0);
    CHECK(requests[1].headers["x-config"] == "2");
}

TEST_CASE("parse_webhook_url takes http://HOST[:PORT][/PATH] and refuses the rest") {
    WebhookSpec spec;
    spec.url = "http://127.0.0.1:9000/alerts";
    CHECK_FALSE(parse_webhook_url(spec).has_value());
    CHECK(spec.host == "127.0.0.1");
    CHECK(spec.port == 9000);
    CHECK(spec.target == "/alerts");

    spec.url = "http://alerts.example.com";
    CHECK_FALSE(parse_webhook_url(spec).has_value());
    CHECK(spec.host == "alerts.example.com");
    CHECK(spec.port == 80);
    CHECK(spec.target == "/");

    spec.url = "http://[::1]:8080/hook?team=ops";
    CHECK_FALSE(parse_webhook_url(spec).has_value());
    CHECK(spec.host == "::1");
    CHECK(spec.port == 8080);
    CHECK(spec.target == "/hook?team=ops");

    CHECK(url_error("https://alerts.example.com/x").find("https is not supported") !=
          std::string::npos);
    CHECK(url_error("ftp://alerts.example.com/x").find("must start with http://") !=
          std::string::npos);
    CHECK(url_error("http:///alerts").find("no host") != std::string::npos);
    CHECK(url_error("http://:9000/alerts").find("no host") != std::string::npos);
    for (const char* bad :
         {"http://h:0/", "http://h:65536/", "http://h:port/", "http://h:/x", "http://h:80x/"})
        CHECK_MESSAGE(url_error(bad).find("bad port") != std::string::npos, bad);
    CHECK(url_error("http://user:pw@h/").find("credentials") != std::string::npos);
}
