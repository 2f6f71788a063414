// run_dir: the scratch directory of one bench run (a harness::TempDir): the server's data dir
// (data/, created empty; the hub's --data or nats-server's JetStream store) and room beside it for
// files the run writes (a hub config). It is made under the system temp dir with a unique name, so
// runs side by side never collide, and removed with everything in it when the owner goes, on
// success and failure alike: a bench run never leaves data behind.
#pragma once

#include "harness/temp_dir.hpp"

#include <filesystem>
#include <string>

namespace octopus::bench {

class RunDir {
  public:
    RunDir();  // throws std::runtime_error when it cannot be made

    // <root>/data, for the hub's --data; a second hub started on it finds what the first stored.
    std::string data() const { return (root_ / "data").string(); }
    // <root>/NAME: a file of this run, beside (never inside) the data dir.
    std::string file(const std::string& name) const { return (root_ / name).string(); }

  private:
    harness::TempDir dir_{"octopus-bench"};
    const std::filesystem::path& root_ = dir_.path();
};

}  // namespace octopus::bench
