// SyncPool: parallel jobs for one group commit (see the header).
#include "core/storage/sync_pool.hpp"

namespace octopus::core {

SyncPool::SyncPool(std::size_t threads) {
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

SyncPool::~SyncPool() {
    {
        std::lock_guard lk(mu_);
        stopping_ = true;
    }
    start_.notify_all();
    for (auto& t : threads_) t.join();
}

void SyncPool::run(std::size_t count, const std::function<void(std::size_t)>& job) {
    if (count == 0) return;
    std::uint64_t round = 0;
    {
        std::lock_guard lk(mu_);
        job_ = &job;
        count_ = left_ = count;
        next_ = 0;
        round = ++round_;
    }
    if (count > 1) start_.notify_all();
    for (std::size_t i; take(round, i);) {
        job(i);
        finished();
    }
    std::unique_lock lk(mu_);
    done_.wait(lk, [this] { return left_ == 0; });
    job_ = nullptr;
}

// The next job index of `round`; false once that round has none left (or has ended).
bool SyncPool::take(std::uint64_t round, std::size_t& index) {
    std::lock_guard lk(mu_);
    if (!job_ || round != round_ || next_ >= count_) return false;
    index = next_++;
    return true;
}

void SyncPool::finished() {
    std::lock_guard lk(mu_);
    if (--left_ == 0) done_.notify_all();
}

void SyncPool::work() {
    std::uint64_t seen = 0;
    for (;;) {
        const std::function<void(std::size_t)>* job;
        {
            std::unique_lock lk(mu_);
            start_.wait(lk,
                        [&] { return stopping_ || (job_ && round_ != seen && next_ < count_); });
            if (stopping_) return;
            seen = round_;
            job = job_;
        }
        for (std::size_t i; take(seen, i);) {
            (*job)(i);
            finished();
        }
    }
}

}  // namespace octopus::core
