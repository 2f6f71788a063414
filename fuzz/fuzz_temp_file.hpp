// A per-process scratch file for fuzz targets whose code under test takes a path: each input is
// written to it before the call and removed after. It lives in /dev/shm when that is writable
// (no disk writes per input), else in $TMPDIR or /tmp, and is named with the target and the pid,
// so parallel fuzz processes never share one. A process that crashed mid-input leaves its file
// behind; the next process of the same target removes it.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "fuzz_common.hpp"

namespace octopus::fuzz {

inline std::filesystem::path scratch_dir() {
    if (access("/dev/shm", W_OK) == 0) return "/dev/shm";
    const char* tmp = std::getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

// Removes PREFIX<pid>.toml files in `dir` whose process no longer exists.
inline void remove_stale(const std::filesystem::path& dir, const std::string& prefix) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        std::string name = entry.path().filename().string();
        if (!name.starts_with(prefix)) continue;
        int pid = std::atoi(name.c_str() + prefix.size());
        if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove(entry, ec);
    }
}

class TempFile {
  public:
    explicit TempFile(std::string_view target) {
        std::string prefix = "octopus-" + std::string(target) + "-";
        remove_stale(scratch_dir(), prefix);
        path_ = scratch_dir() / (prefix + std::to_string(getpid()) + ".toml");
    }

    // Replaces the file's contents with `bytes`.
    const std::filesystem::path& write(std::string_view bytes) {
        std::ofstream out(path_, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.close();
        FUZZ_CHECK(out.good(), "cannot write the scratch file " + path_.string());
        return path_;
    }

    void remove() {
        std::error_code ignored;
        std::filesystem::remove(path_, ignored);
    }

  private:
    std::filesystem::path path_;
};

}  // namespace octopus::fuzz
