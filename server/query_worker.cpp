#include "server/query_worker.hpp"

#include <boost/asio/post.hpp>

namespace octopus::server {

QueryWorker::QueryWorker(boost::asio::io_context& io, protocol::Limits limits)
    : io_(io), decoder_(limits), thread_([this] { run(); }) {}

QueryWorker::~QueryWorker() {
    stop();
}

bool QueryWorker::submit(Job job) {
    {
        std::lock_guard lock(mu_);
        if (stopping_ || jobs_.size() >= kMaxQueued) return false;
        jobs_.push_back(std::move(job));
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

void QueryWorker::run() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (stopping_) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        boost::asio::post(io_, job(decoder_));
    }
}

}  // namespace octopus::server
