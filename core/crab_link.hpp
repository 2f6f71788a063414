// A live crab as the hub sees it: a WebSocket session or an in-process sampler. The hub asks a
// link for a fresh snapshot (the answer comes back through Hub::ingest with reply_to set) or
// tells it to go away when heartbeat polling finds it silent. Links are called on the hub's
// thread and must not block.
#pragma once

#include <string>

namespace octopus::core {

class CrabLink {
  public:
    virtual ~CrabLink() = default;
    virtual void request_snapshot(const std::string& request_id) = 0;
    // Ends the connection; the link unregisters itself when it is gone.
    virtual void disconnect(const std::string& reason) = 0;
};

}  // namespace octopus::core
