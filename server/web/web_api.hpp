// The three small JSON answers the Web Bell needs beyond the read API (protocol/README.md,
// "Web Bell"):
// - GET /v1/hub/stats (metrics): the counters behind /metrics as one JSON object, with the ack
//   latency histogram's raw buckets, so the page turns two polls into rates and a p99 of the
//   interval between them (a p99 since start would hide what is happening now);
// - GET /v1/latest (read): the newest stored envelope of every crab the caller may read, byte
//   for byte, so the crab list fills in one request instead of one per crab;
// - GET /v1/whoami (read): whether tokens are on and the caller's scopes, so the page
//   subscribes to exactly the crab globs its token may read.
// Network thread only, like every handler.
#pragma once

#include <string>

#include "server/auth/auth_service.hpp"
#include "server/server_context.hpp"

namespace octopus::server::web {

std::string hub_stats_json(ServerContext& ctx);
std::string latest_json(const ServerContext& ctx, const Caller& who);
std::string whoami_json(const ServerContext& ctx, const Caller& who);

}  // namespace octopus::server::web
