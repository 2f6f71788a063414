// A temporary directory under the system temp dir with a unique name, removed with everything
// in it when its owner goes, on success and failure alike: a test or bench run never leaves data
// behind, and runs side by side never collide.
#pragma once

#include <filesystem>
#include <string>

namespace octopus::harness {

class TempDir {
  public:
    // <tmp>/PREFIX-XXXXXX; throws std::runtime_error when it cannot be made.
    explicit TempDir(const std::string& prefix = "octopus-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

}  // namespace octopus::harness
