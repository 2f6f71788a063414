// nats_client: the thin layer between the NATS scenarios and libnats (the C client): owning
// pointers for its objects, a status check that throws with libnats' own error text, and the
// connection options every bench connection shares. It never hides a libnats thread: callbacks
// run on libnats' threads, and only nats_shutdown() guarantees that none runs any more.
#pragma once

#include <nats/nats.h>

#include <memory>
#include <string>

namespace octopus::bench {

struct NatsFree {
    void operator()(natsConnection* p) const { natsConnection_Destroy(p); }
    void operator()(natsOptions* p) const { natsOptions_Destroy(p); }
    void operator()(natsSubscription* p) const { natsSubscription_Destroy(p); }
    void operator()(jsCtx* p) const { jsCtx_Destroy(p); }
    void operator()(natsMsg* p) const { natsMsg_Destroy(p); }
};
template <class T>
using NatsPtr = std::unique_ptr<T, NatsFree>;

// Throws std::runtime_error("what: status (libnats' last error)") unless `s` is NATS_OK.
void nats_check(natsStatus s, const std::string& what);

// Options for one bench connection to `url`: a bounded connect timeout and no reconnect (a
// silent reconnect would hide lost messages; a disconnect must fail the run instead).
// `send_asap` writes every publish to the socket at once; without it libnats buffers publishes
// and its flusher thread waits 1 ms to gather more before it writes: fewer syscalls, but up to
// 1 ms more latency per message.
NatsPtr<natsOptions> nats_options(const std::string& url, const std::string& name, bool send_asap);
NatsPtr<natsConnection> nats_connect(natsOptions* options);

// After every connection is destroyed: waits (bounded) until libnats' threads have ended, so no
// callback can touch the scenario's state any more. Returns an error text, empty on success.
std::string nats_shutdown();

}  // namespace octopus::bench
