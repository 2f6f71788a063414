// A live crab as the hub sees it: a WebSocket session or an in-process sampler. The hub only
// ever asks a link for a fresh snapshot; the answer comes back through Hub::ingest with
// reply_to set. Links are called on the hub's thread and must not block.
#pragma once

#include <string>

namespace octopus::core {

class CrabLink {
  public:
    virtual ~CrabLink() = default;
    virtual void request_snapshot(const std::string& request_id) = 0;
};

}  // namespace octopus::core
