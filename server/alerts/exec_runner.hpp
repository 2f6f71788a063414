// One exec attempt: runs spec.argv (posix_spawn, never a shell) with the alert JSON on its
// stdin, then stdin closed; stdout and stderr share one socketpair whose first 4 KiB end a
// failure's detail (the rest is drained, so a chatty child never blocks). Exit 0 is success;
// another exit status, a signal or the timeout (then SIGKILL) is a failure. Everything is
// asynchronous on the caller's io_context, so the io thread never waits on a child: stdin is
// written through an Asio socket, the exit is awaited on a pidfd (Linux 5.3+; a 20 ms waitpid poll
// otherwise). Every child is reaped (no zombies) and inherits only fds 0-2 (no descriptor leaks).
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "server/alerts/hook_spec.hpp"

namespace octopus::server {

// Starts the program; `done` is called once on the io thread (see HookCall for abort()).
std::shared_ptr<HookCall> run_exec(boost::asio::io_context& io, const ExecSpec& spec,
                                   std::shared_ptr<const std::string> body, HookDone done);

}  // namespace octopus::server
