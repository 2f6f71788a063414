// Fixed-capacity FIFO that overwrites its oldest entry when full: the per-crab buffer behind
// get_buffer(). Not thread-safe; the hub owns it on its own thread.
#pragma once

#include <cstddef>
#include <vector>

namespace octopus::core {

template <typename T>
class RingBuffer {
  public:
    explicit RingBuffer(std::size_t capacity) : slots_(capacity ? capacity : 1) {}

    void push(T value) {
        slots_[(head_ + size_) % slots_.size()] = std::move(value);
        if (size_ < slots_.size()) {
            ++size_;
        } else {
            head_ = (head_ + 1) % slots_.size();
        }
    }

    std::size_t size() const { return size_; }
    std::size_t capacity() const { return slots_.size(); }
    bool empty() const { return size_ == 0; }

    // i = 0 is the oldest entry.
    const T& at(std::size_t i) const { return slots_[(head_ + i) % slots_.size()]; }
    const T& newest() const { return at(size_ - 1); }

    // Oldest first.
    std::vector<T> items() const {
        std::vector<T> out;
        out.reserve(size_);
        for (std::size_t i = 0; i < size_; ++i) out.push_back(at(i));
        return out;
    }

  private:
    std::vector<T> slots_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

}  // namespace octopus::core
