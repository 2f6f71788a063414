#include "server/hub_server.hpp"

#include <sys/resource.h>

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fstream>
#include <functional>

#include "core/poll_scheduler.hpp"
#include "core/storage/file_lock.hpp"
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

// The running hub. Members are declared in start order, so they are destroyed in stop order;
// run() starts them (an exit code when a step fails) and stop() is the explicit drain. The
// writer's durability reports reach the hub and the alert service through set_on_durable once
// both exist, so nothing is late-bound through a pointer.
class HubRuntime {
  public:
    explicit HubRuntime(const Config& config) : config_(config) {
        writer_.set_on_durable([this](std::uint64_t hub_seq) {
            executor_.post([this, hub_seq] {
                hub_.on_durable(hub_seq);
                alerts_.hub_durable(hub_seq);
            });
        });
        poller_.on_silent = [this](const std::string& crab) {
            const core::PollRule* rule = poller_.rule_for(crab);
            spdlog::warn("crab \"{}\" is silent: {} polls in a row unanswered", crab,
                         rule ? rule->heartbeat_misses : 0);
            hub_.mark_silent(crab);
        };
    }

    // Starts everything, serves until SIGINT/SIGTERM, drains; the process exit code.
    int run() {
        if (int code = recover()) return code;
        if (int code = listen()) return code;
        start_serving();
        ioc_.run();
        stop();
        return 0;
    }

  private:
    // Tokens and alert rules first (a bad file stops the hub, exit 2), then every workspace.
    int recover() {
        try {
            auth_.load();
            tls_.load();
        } catch (const std::exception& e) {
            spdlog::critical("{}", e.what());
            return 2;
        }
        try {
            alerts_.load();
        } catch (const std::exception& e) {
            spdlog::critical("alert rules: {}", e.what());
            return 2;
        }
        hub_.set_observer(&alerts_.observer());
        try {
            hub_.recover(ctx_.decoder);
        } catch (const std::exception& e) {
            spdlog::critical("recovery of {} failed: {}", config_.data_dir.string(), e.what());
            return 1;
        }
        alerts_.hub_durable(hub_.hub_seq());  // everything recovered is on disk
        writer_.start();
        return 0;
    }

    // The main listener (TLS when [tls] is set) and, with [tls] plain_listen, a plaintext one.
    int listen() {
        std::shared_ptr<Listener> plain;
        try {
            listener_ = open_listener(config_.listen_host, config_.listen_port, tls_.enabled());
            if (tls_.enabled() && tls_.config().plain_listen) {
                Config where;
                parse_listen(*tls_.config().plain_listen, where);
                plain = open_listener(where.listen_host, where.listen_port, false);
            }
        } catch (const std::exception& e) {
            spdlog::critical("cannot listen: {}", e.what());
            writer_.stop();
            return 1;
        }
        auto ep = listener_->local_endpoint();
        spdlog::info("octopus listening on {}:{} ({}, data {}, fsync {})", ep.address().to_string(),
                     ep.port(), tls_.enabled() ? "TLS" : "plaintext", config_.data_dir.string(),
                     config_.writer.policy == core::FsyncPolicy::always     ? "always"
                     : config_.writer.policy == core::FsyncPolicy::interval ? "interval"
                                                                            : "never");
        listener_->run();
        if (plain) {
            auto pe = plain->local_endpoint();
            spdlog::info("octopus plaintext listener on {}:{} (tls.plain_listen)",
                         pe.address().to_string(), pe.port());
            plain->run();
            plain_ = plain;
        }
        return 0;
    }

    std::shared_ptr<Listener> open_listener(const std::string& host, std::uint16_t port, bool tls) {
        try {
            auto address = asio::ip::make_address(host);
            return std::make_shared<Listener>(ioc_, asio::ip::tcp::endpoint(address, port), ctx_,
                                              tls);
        } catch (const std::exception& e) {
            throw std::runtime_error(host + ":" + std::to_string(port) + ": " + e.what());
        }
    }

    void start_serving() {
        if (config_.local_crab) {
            local_ = std::make_shared<LocalCrab>(ioc_, hub_, config_.local_crab_name,
                                                 config_.local_crab_interval);
            if (!local_->start()) local_.reset();
        }
        if (!config_.polling.empty()) poller_.start();
        ctx_.poller = &poller_;
        alerts_.start();
        auth_.start([this] { ctx_.recheck_access(); });
        wait_hangup();
        ctx_.on_drained = [this] { drain_.cancel(); };
        signals_.async_wait([this](boost::system::error_code ec, int sig) {
            if (ec) return;
            spdlog::info("signal {} received", sig);
            poller_.stop();
            hub_.set_observer(nullptr);
            alerts_.stop_evaluating();
            auth_.stop();
            hangup_.cancel();
            if (plain_) plain_->stop();
            begin_shutdown(ctx_, *listener_, local_, drain_, ioc_);
        });
    }

    void wait_hangup() {
        hangup_.async_wait([this](boost::system::error_code ec, int) {
            if (ec) return;
            spdlog::info("SIGHUP: reloading alert rules, tokens and the TLS certificate");
            alerts_.reload();
            auth_.reload();
            tls_.reload();
            wait_hangup();
        });
    }

    // The network thread has returned: the rest drains in dependency order.
    void stop() {
        queries_.stop();
        alerts_.stop();
        ioc_.drop_pending_handlers();
        hub_.flush_writes();
        writer_.stop();
        hub_.end_runs();
        spdlog::info("octopus stopped cleanly at hub_seq {}", hub_.hub_seq());
    }

    const Config& config_;
    HubIoContext ioc_{1};
    AsioExecutor executor_{ioc_};
    core::Metrics metrics_;
    core::SystemClock clock_;
    core::DiskWriter writer_{config_.writer, metrics_};
    core::Hub hub_{hub_options(config_), executor_, writer_, metrics_, clock_};
    AlertService alerts_{ioc_, executor_, writer_, clock_, config_.data_dir, config_.alerts_file};
    QueryWorker queries_{ioc_, config_.limits};
    AuthService auth_{ioc_, config_.tokens_file};
    TlsService tls_{config_.tls};
    ServerContext ctx_{.config = config_,
                       .hub = hub_,
                       .metrics = metrics_,
                       .decoder = protocol::Decoder(config_.limits),
                       .alerts = &alerts_,
                       .queries = &queries_,
                       .auth = &auth_,
                       .tls = &tls_,
                       .guard = {.loopback_only_hosts = is_loopback_host(config_.listen_host),
                                 .allowed_origins = config_.allowed_origins}};
    core::PollScheduler poller_{hub_, executor_, config_.polling};
    std::shared_ptr<Listener> listener_;
    std::shared_ptr<Listener> plain_;  // [tls] plain_listen
    std::shared_ptr<LocalCrab> local_;
    asio::signal_set hangup_{ioc_, SIGHUP};
    asio::steady_timer drain_{ioc_};
    asio::signal_set signals_{ioc_, SIGINT, SIGTERM};
};

}  // namespace

// Protected mode: with no authentication, only loopback peers may reach the hub. A listen address
// that is not loopback stops the start unless --insecure says the operator means it.
bool protected_mode_allows(const Config& config) {
    if (is_loopback_host(config.listen_host) || config.tokens_file) return true;
    if (!config.insecure) {
        spdlog::critical(
            "refusing to listen on {}:{}: this hub has no authentication, so anyone who can "
            "reach that address could push as any crab, read every crab and reload the rules. "
            "Create a token (octopus token add --id ID --scope SCOPE --file tokens.toml) and set "
            "[auth] tokens in the config, listen on a loopback address (127.0.0.1 or ::1), or "
            "start with --insecure if every peer that can reach it is trusted.",
            config.listen_host, config.listen_port);
        return false;
    }
    spdlog::warn(
        "INSECURE: listening on {}:{} with no authentication (--insecure); anyone who "
        "can reach it can push, read and reload",
        config.listen_host, config.listen_port);
    return true;
}

int run_hub(const Config& config) {
    if (!protected_mode_allows(config)) return 2;
    std::filesystem::create_directories(config.data_dir);
    std::unique_ptr<core::FileLock> lock;
    try {
        lock = std::make_unique<core::FileLock>(config.data_dir / ".octopus.lock");
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    raise_fd_limit();
    HubRuntime runtime(config);
    return runtime.run();
}

}  // namespace octopus::server
