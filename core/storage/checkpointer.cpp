// Checkpointer: state.db writes off the disk writer's path (see the header).
#include "core/storage/checkpointer.hpp"

#include <spdlog/spdlog.h>

namespace octopus::core {

Checkpointer::Checkpointer(Metrics& metrics) : metrics_(metrics) {}

Checkpointer::~Checkpointer() {
    stop();
}

void Checkpointer::start() {
    thread_ = std::thread([this] { run(); });
}

void Checkpointer::submit(Workspace* ws, std::vector<Checkpoint> checkpoints) {
    {
        std::lock_guard lk(mu_);
        auto [it, added] = waiting_.try_emplace(ws);
        it->second = std::move(checkpoints);
        if (added) order_.push_back(ws);
    }
    cv_.notify_one();
}

void Checkpointer::stop(std::chrono::milliseconds bound) {
    {
        std::lock_guard lk(mu_);
        if (stopping_) return;
        stopping_ = true;
        give_up_ = std::chrono::steady_clock::now() + bound;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void Checkpointer::run() {
    for (;;) {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [this] { return stopping_ || !order_.empty(); });
        if (order_.empty()) return;
        if (stopping_ && std::chrono::steady_clock::now() >= give_up_) {
            spdlog::warn("stopping: {} workspace checkpoints not saved (recovery rescans them)",
                         order_.size());
            return;
        }
        Workspace* ws = order_.front();
        order_.pop_front();
        auto checkpoints = std::move(waiting_[ws]);
        waiting_.erase(ws);
        lk.unlock();
        save(*ws, checkpoints);
    }
}

void Checkpointer::save(Workspace& ws, const std::vector<Checkpoint>& checkpoints) {
    try {
        ws.state().save_checkpoints(checkpoints);
        ws.close_state();
        bump(metrics_.checkpoints_saved);
    } catch (const std::exception& e) {
        spdlog::warn("checkpoint for {} not saved: {}", ws.crab(), e.what());
    }
}

}  // namespace octopus::core
