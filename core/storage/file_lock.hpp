// An exclusive, non-blocking flock on a file, held for the object's lifetime. The kernel drops
// it when the process dies (even by kill -9), so a crashed hub never leaves a stale lock.
#pragma once

#include <filesystem>
#include <string>

namespace octopus::core {

class FileLock {
  public:
    // Throws std::runtime_error naming the path when another process holds the lock.
    explicit FileLock(const std::filesystem::path& path);
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

  private:
    int fd_ = -1;
};

}  // namespace octopus::core
