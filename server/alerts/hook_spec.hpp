// What an alert hook is (a webhook URL or a program to run), what one delivery attempt reports,
// and the narrow seam between the dispatcher and the two ways of delivering (HookCall).
// Plain data and one URL parser: nothing here does I/O. Durations are per attempt; retry
// backoff doubles from `backoff` and never exceeds `max_backoff`. Exec never goes through a
// shell: argv[0] is run as given, with argv as the argument list.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace octopus::server {

struct WebhookSpec {
    // http://HOST:PORT/PATH (http only; https refused at parse with a clear message)
    std::string url;
    std::string host;  // filled by parse_webhook_url
    std::uint16_t port = 80;
    std::string target = "/";
    std::chrono::milliseconds timeout{5000};  // per attempt: connect + write + read
    int max_attempts = 4;                     // first try + retries
    std::chrono::milliseconds backoff{500};   // before retry k (k=1..): backoff * 2^(k-1), capped
    std::chrono::milliseconds max_backoff{30000};
    std::size_t max_queue = 1000;  // notifications waiting for this hook beyond the one in flight
    std::map<std::string, std::string> headers;  // extra request headers
};

struct ExecSpec {
    std::vector<std::string> argv;             // argv[0] is the program path; no shell, ever
    std::chrono::milliseconds timeout{10000};  // then SIGKILL, recorded as a failure
    std::size_t max_queue = 100;
    int max_attempts = 1;  // a failing program is not run again unless asked; same backoff rules
    std::chrono::milliseconds backoff{500};
    std::chrono::milliseconds max_backoff{30000};
};

struct HookSpec {
    std::string name;
    std::variant<WebhookSpec, ExecSpec> kind;
};

// "http://127.0.0.1:9000/alerts" -> host/port/target; returns an error message on failure
// (nullopt = ok).
std::optional<std::string> parse_webhook_url(WebhookSpec& spec);

// The wait before retry k (k = 1 for the second attempt): backoff * 2^(k-1), at most max_backoff.
std::chrono::milliseconds retry_delay(int retry, std::chrono::milliseconds backoff,
                                      std::chrono::milliseconds max_backoff);

struct DeliveryAttempt {
    std::string hook;             // hook name
    std::string kind;             // "webhook" | "exec"
    std::uint64_t alert_seq = 0;  // which notification
    int attempt = 1;              // 1-based; for a drop, the attempt that was running or due
    bool ok = false;
    bool final = false;  // no further attempt will follow (success, or gave up / dropped)
    int status = -1;     // HTTP status, or exit status for exec; -1 when none
    // "HTTP 200", "HTTP 500", "connect: Connection refused", "timeout after 2000 ms", "exit 0",
    // "exit 3", "killed after timeout 1000 ms", "queue full (1000 waiting)", "hook removed"
    std::string detail;
    std::int64_t at_us = 0;  // wall clock when the attempt ended
    double duration_ms = 0;
};

// How one attempt ended, as a webhook call or a program run reports it.
struct HookOutcome {
    bool ok = false;
    int status = -1;
    std::string detail;
};
using HookDone = std::function<void(HookOutcome)>;

// One attempt in flight. Its HookDone is called exactly once, later, on the io thread, unless
// abort() came first: then it is never called, and abort() has already released everything
// (socket closed, child killed and reaped) by the time it returns.
class HookCall {
  public:
    virtual ~HookCall() = default;
    virtual void abort() = 0;
};

}  // namespace octopus::server
