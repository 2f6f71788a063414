// run_dir: mkdtemp and data/ on the way in, remove_all on the way out (see the header).
#include "bench/run_dir.hpp"

#include <stdlib.h>

#include <stdexcept>

namespace octopus::bench {

RunDir::RunDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "octopus-bench-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    root_ = pattern;
    std::filesystem::create_directory(data());
}

RunDir::~RunDir() {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
}

}  // namespace octopus::bench
