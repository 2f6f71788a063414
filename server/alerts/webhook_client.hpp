// One webhook attempt: a Beast HTTP/1.1 POST of an alert's JSON to a parsed WebhookSpec, on
// the caller's io_context, all asynchronous (resolve, connect, write, read). One connection per
// attempt, closed after the answer. It must never block the io thread nor outlive its deadline:
// the whole attempt (resolve + connect + write + read) fits in spec.timeout. 2xx is success;
// any other status, a socket error or the deadline is a failed attempt. No retries here: the
// dispatcher decides.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "server/alerts/hook_spec.hpp"

namespace octopus::server {

// Starts the POST; `done` is called once on the io thread (see HookCall for abort()).
std::shared_ptr<HookCall> post_webhook(boost::asio::io_context& io, const WebhookSpec& spec,
                                       std::shared_ptr<const std::string> body, HookDone done);

}  // namespace octopus::server
