// run_dir: a TempDir with data/ inside (see the header).
#include "bench/run_dir.hpp"

namespace octopus::bench {

RunDir::RunDir() {
    std::filesystem::create_directory(data());
}

}  // namespace octopus::bench
