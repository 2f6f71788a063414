// A real HTTP/1.1 server for tests (Beast, 127.0.0.1:0, its own thread) that records every
// request and answers by a script: 200 by default, `fail_next(n, status)` for the next n, or
// nothing at all while `hang(true)`. Tests await requests with wait_for_requests() instead of
// sleeping. The destructor stops the thread promptly, whatever the clients are doing.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace octopus::test {

class HttpReceiver {
  public:
    struct Request {
        std::string method;
        std::string target;
        std::map<std::string, std::string> headers;  // names in lower case
        std::string body;
    };

    HttpReceiver();
    ~HttpReceiver();
    HttpReceiver(const HttpReceiver&) = delete;
    HttpReceiver& operator=(const HttpReceiver&) = delete;

    std::uint16_t port() const;
    // The next `count` requests are answered with `status` (then 200 again).
    void fail_next(std::size_t count, unsigned status);
    // While on, requests are recorded and never answered; turning it off answers the held ones
    // by the script.
    void hang(bool on);
    // True once at least n requests have been recorded; false after `timeout`.
    bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout);
    std::vector<Request> requests() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace octopus::test
