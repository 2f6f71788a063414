#include "server/hub_server.hpp"

#include <sys/resource.h>

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fstream>
#include <functional>

#include "core/file_lock.hpp"
#include "core/poll_scheduler.hpp"
#include "server/asio_executor.hpp"
#include "server/listener.hpp"
#include "server/local_crab.hpp"

namespace octopus::server {

namespace asio = boost::asio;

namespace {

constexpr std::chrono::seconds kDrainTimeout{3};

// The hub's io_context, able to destroy the handlers it still holds (a session whose drain timed
// out, a records answer posted late) while the objects their destructors touch (the server
// context, metrics, the hub) still exist; a plain io_context only does so in its destructor,
// after them. shutdown() destroys pending handlers and leaves the services in place, so I/O
// objects destroyed later and posts made later stay valid (they are dropped, never run).
class HubIoContext : public asio::io_context {
  public:
    using asio::io_context::io_context;
    void drop_pending_handlers() { shutdown(); }
};

// Each connection is a descriptor, and each crab that has written holds a few more (its lock,
// its open record file, state.db and its WAL files), so the default soft limit (1024) is far
// too low. The soft limit goes up to the hard one; a hub allowed to (CAP_SYS_RESOURCE) also
// lifts the hard limit to the kernel's nr_open. The result is logged: it bounds the crab count.
void raise_fd_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    rlim_t nr_open = 0;
    if (std::ifstream("/proc/sys/fs/nr_open") >> nr_open && nr_open > lim.rlim_max) {
        rlimit wider{nr_open, nr_open};
        if (setrlimit(RLIMIT_NOFILE, &wider) == 0) lim = wider;
    }
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
    spdlog::info("file descriptor limit {}", static_cast<unsigned long long>(lim.rlim_cur));
}

core::HubOptions hub_options(const Config& c) {
    core::HubOptions o;
    o.data_dir = c.data_dir;
    o.buffer_size = c.buffer_size;
    o.buffer_overrides = c.buffer_overrides;
    return o;
}

void begin_shutdown(ServerContext& ctx, Listener& listener, const std::shared_ptr<LocalCrab>& local,
                    asio::steady_timer& drain, asio::io_context& ioc) {
    if (ctx.stopping) return;
    ctx.stopping = true;
    spdlog::info("stopping: closing {} sessions", ctx.sessions.size());
    listener.stop();
    if (local) local->stop();
    auto sessions = ctx.sessions;
    for (auto& [ptr, weak] : sessions) {
        if (auto s = weak.lock()) s->shut_down();
    }
    drain.expires_after(kDrainTimeout);
    drain.async_wait([&ioc](boost::system::error_code ec) {
        if (!ec) ioc.stop();
    });
    if (ctx.sessions.empty()) drain.cancel();
}

}  // namespace

int run_hub(const Config& config) {
    std::filesystem::create_directories(config.data_dir);
    std::unique_ptr<core::FileLock> lock;
    try {
        lock = std::make_unique<core::FileLock>(config.data_dir / ".octopus.lock");
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    raise_fd_limit();

    HubIoContext ioc(1);
    AsioExecutor executor(ioc);
    core::Metrics metrics;
    core::SystemClock clock;
    core::Hub* hub_ptr = nullptr;
    AlertService* alerts_ptr = nullptr;
    core::DiskWriter writer(config.writer, metrics, [&](std::uint64_t hub_seq) {
        executor.post([&hub_ptr, &alerts_ptr, hub_seq] {
            hub_ptr->on_durable(hub_seq);
            alerts_ptr->hub_durable(hub_seq);
        });
    });
    core::Hub hub(hub_options(config), executor, writer, metrics, clock);
    hub_ptr = &hub;
    AlertService alerts(ioc, executor, writer, clock, config.data_dir, config.alerts_file);
    alerts_ptr = &alerts;
    QueryWorker queries(ioc, config.limits);
    ServerContext ctx{config,  hub,      metrics, protocol::Decoder(config.limits),
                      &alerts, &queries, nullptr, {},
                      false,   {}};
    try {
        alerts.load();
    } catch (const std::exception& e) {
        spdlog::critical("alert rules: {}", e.what());
        return 2;
    }
    hub.set_observer(&alerts.observer());
    try {
        hub.recover(ctx.decoder);
    } catch (const std::exception& e) {
        spdlog::critical("recovery of {} failed: {}", config.data_dir.string(), e.what());
        return 1;
    }
    alerts.hub_durable(hub.hub_seq());  // everything recovered is on disk
    writer.start();

    std::shared_ptr<Listener> listener;
    try {
        auto address = asio::ip::make_address(config.listen_host);
        listener = std::make_shared<Listener>(
            ioc, asio::ip::tcp::endpoint(address, config.listen_port), ctx);
    } catch (const std::exception& e) {
        spdlog::critical("cannot listen on {}:{}: {}", config.listen_host, config.listen_port,
                         e.what());
        writer.stop();
        return 1;
    }
    auto ep = listener->local_endpoint();
    spdlog::info("octopus listening on {}:{} (data {}, fsync {})", ep.address().to_string(),
                 ep.port(), config.data_dir.string(),
                 config.writer.policy == core::FsyncPolicy::always     ? "always"
                 : config.writer.policy == core::FsyncPolicy::interval ? "interval"
                                                                       : "never");
    listener->run();

    std::shared_ptr<LocalCrab> local;
    if (config.local_crab) {
        local = std::make_shared<LocalCrab>(ioc, hub, config.local_crab_name,
                                            config.local_crab_interval);
        if (!local->start()) local.reset();
    }

    // [[polling]]: scheduled collects; heartbeat polling disconnects a silent crab (offline).
    core::PollScheduler poller(hub, executor, config.polling);
    poller.on_silent = [&poller, &hub](const std::string& crab) {
        const core::PollRule* rule = poller.rule_for(crab);
        spdlog::warn("crab \"{}\" is silent: {} polls in a row unanswered", crab,
                     rule ? rule->heartbeat_misses : 0);
        hub.mark_silent(crab);
    };
    if (!config.polling.empty()) poller.start();
    ctx.poller = &poller;
    alerts.start();
    asio::signal_set hangup(ioc, SIGHUP);
    std::function<void()> on_hangup = [&] {
        hangup.async_wait([&](boost::system::error_code ec, int) {
            if (ec) return;
            spdlog::info("SIGHUP: reloading alert rules");
            alerts.reload();
            on_hangup();
        });
    };
    on_hangup();

    asio::steady_timer drain(ioc);
    ctx.on_drained = [&drain] { drain.cancel(); };
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec) return;
        spdlog::info("signal {} received", sig);
        poller.stop();
        hub.set_observer(nullptr);
        alerts.stop_evaluating();
        hangup.cancel();
        begin_shutdown(ctx, *listener, local, drain, ioc);
    });
    ioc.run();

    queries.stop();
    alerts.stop();
    ioc.drop_pending_handlers();
    hub.flush_writes();
    writer.stop();
    hub.end_runs();
    spdlog::info("octopus stopped cleanly at hub_seq {}", hub.hub_seq());
    return 0;
}

}  // namespace octopus::server
