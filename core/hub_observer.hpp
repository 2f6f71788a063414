// What the hub tells an observer about its crabs (the alert engine is one): every accepted
// snapshot and every lifecycle change, on the hub's thread, in order. An observer must not
// block and must not call back into the hub from these calls.
#pragma once

#include <cstdint>
#include <string>

#include "core/stored_snapshot.hpp"
#include "protocol/messages.hpp"

namespace octopus::core {

class HubObserver {
  public:
    virtual ~HubObserver() = default;
    // A crab found in the data dir at start-up; last_us is its newest record's receive time.
    virtual void known(const std::string& crab, std::int64_t last_us) = 0;
    virtual void accepted(const std::string& crab, const StoredSnapshot& stored,
                          const protocol::Snapshot& snap) = 0;
    virtual void online(const std::string& crab) = 0;
    virtual void offline(const std::string& crab) = 0;
};

}  // namespace octopus::core
