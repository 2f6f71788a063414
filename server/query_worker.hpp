// The read API's worker thread: GET /v1/crabs/NAME/records scans JSONL files, which can take
// long on a big workspace, so it runs here and never on the network thread, where it would stall
// every crab's acks meanwhile. Jobs run one at a time, in order, each with this thread's own
// decoder (the network thread's is not thread-safe); their answers go back to the network thread
// through asio::post. The queue is bounded: a job beyond kMaxQueued is refused at once (the
// caller answers 503 overloaded), so a flood of queries cannot grow memory without bound.
#pragma once

#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "protocol/decoder.hpp"

namespace octopus::server {

class QueryWorker {
  public:
    static constexpr std::size_t kMaxQueued = 64;
    // Runs on the worker thread with its decoder; what it returns then runs on the network thread.
    using Then = std::function<void()>;
    using Job = std::function<Then(protocol::Decoder& decoder)>;

    QueryWorker(boost::asio::io_context& io, protocol::Limits limits);

    // Any thread. False when the queue is full (the job is not run). When the job throws,
    // `failed(what)` is what runs on the network thread instead.
    bool submit(Job job, std::function<Then(const std::string& what)> failed);
    ~QueryWorker();
    QueryWorker(const QueryWorker&) = delete;
    QueryWorker& operator=(const QueryWorker&) = delete;

    // Ends the thread after the job in progress; queued jobs are dropped. Idempotent.
    void stop();

  private:
    void run();
    Then run_job(Job& job);

    boost::asio::io_context& io_;
    protocol::Decoder decoder_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::pair<Job, std::function<Then(const std::string&)>>> jobs_;
    std::function<Then(const std::string&)> failed_;  // of the job in progress (worker thread)
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace octopus::server
