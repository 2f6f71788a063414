// nats_client: libnats status checks, shared connection options and the bounded shutdown.
#include "bench/nats_client.hpp"

#include <stdexcept>

namespace octopus::bench {

namespace {

constexpr std::int64_t kConnectTimeoutMs = 10000;   // a loaded box accepts 1000 connections slowly
constexpr std::int64_t kShutdownTimeoutMs = 10000;  // libnats' threads end well within this

}  // namespace

void nats_check(natsStatus s, const std::string& what) {
    if (s == NATS_OK) return;
    std::string text = what + ": " + natsStatus_GetText(s);
    natsStatus ignored;
    const char* last = nats_GetLastError(&ignored);
    if (last && *last) text += std::string(" (") + last + ")";
    throw std::runtime_error(text);
}

NatsPtr<natsOptions> nats_options(const std::string& url, const std::string& name, bool send_asap) {
    natsOptions* raw = nullptr;
    nats_check(natsOptions_Create(&raw), "natsOptions_Create");
    NatsPtr<natsOptions> options(raw);
    nats_check(natsOptions_SetURL(raw, url.c_str()), "natsOptions_SetURL");
    nats_check(natsOptions_SetName(raw, name.c_str()), "natsOptions_SetName");
    nats_check(natsOptions_SetTimeout(raw, kConnectTimeoutMs), "natsOptions_SetTimeout");
    nats_check(natsOptions_SetAllowReconnect(raw, false), "natsOptions_SetAllowReconnect");
    nats_check(natsOptions_SetSendAsap(raw, send_asap), "natsOptions_SetSendAsap");
    return options;
}

NatsPtr<natsConnection> nats_connect(natsOptions* options) {
    natsConnection* raw = nullptr;
    nats_check(natsConnection_Connect(&raw, options), "connect to NATS");
    return NatsPtr<natsConnection>(raw);
}

std::string nats_shutdown() {
    natsStatus s = nats_CloseAndWait(kShutdownTimeoutMs);
    return s == NATS_OK ? "" : std::string("libnats did not shut down: ") + natsStatus_GetText(s);
}

}  // namespace octopus::bench
