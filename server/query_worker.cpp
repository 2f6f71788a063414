#include "server/query_worker.hpp"

#include <boost/asio/post.hpp>

namespace octopus::server {

QueryWorker::QueryWorker(boost::asio::io_context& io, protocol::Limits limits)
    : io_(io), decoder_(limits), thread_([this] { run(); }) {}

QueryWorker::~QueryWorker() {
    stop();
}

bool QueryWorker::submit(Job job, std::function<Then(const std::string&)> failed) {
    {
        std::lock_guard lock(mu_);
        if (stopping_ || jobs_.size() >= kMaxQueued) return false;
        jobs_.emplace_back(std::move(job), std::move(failed));
    }
    cv_.notify_one();
    return true;
}

void QueryWorker::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
        jobs_.clear();
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
}

// A job that throws (out of memory, a file system error) answers 500 instead of ending the hub.
QueryWorker::Then QueryWorker::run_job(Job& job) {
    try {
        return job(decoder_);
    } catch (const std::exception& e) {
        return failed_(e.what());
    }
}

void QueryWorker::run() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (stopping_) return;
            job = std::move(jobs_.front().first);
            failed_ = std::move(jobs_.front().second);
            jobs_.pop_front();
        }
        Then then = run_job(job);
        job = nullptr;  // its captures (an HTTP session) must end on the network thread, in then
        failed_ = nullptr;
        boost::asio::post(io_, std::move(then));
    }
}

}  // namespace octopus::server
