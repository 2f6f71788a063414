// octopus-bell: a live view of the hub. It subscribes on /v1/subscribe (from the ring buffers, so
// a table appears at once) and shows one row per crab: on a terminal a table redrawn in place,
// when piped one plain line per event, with --json every hub message verbatim. This file parses
// the command line and decides what to print; SubscriberClient speaks the protocol and BellTable
// renders. One thread, one io_context: handlers never block.
// Exit codes: 0 after --iterations updates or on SIGINT/SIGTERM, 1 when the hub cannot be reached
// (or refuses the subscription), 2 on bad usage. After a lost connection it reconnects and
// resumes after the last hub_seq it showed.
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>  // before Boost 1.74's asio, which needs std::exchange
#include <vector>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "clients/bell_table.hpp"
#include "clients/cli_args.hpp"
#include "clients/hub_address.hpp"
#include "clients/subscriber_client.hpp"
#include "clients/tls_client.hpp"
#include "protocol/subscriber_messages.hpp"

namespace {

namespace asio = boost::asio;
using namespace octopus::clients;

const std::string usage_text =
    "usage: octopus-bell --hub ws[s]://HOST[:PORT] [--crab NAME|GLOB]... [--keys K1,K2]\n"
    "                    [--iterations N] [--json]\n"
    "  --hub         hub address (port 8765 when omitted); bell subscribes on /v1/subscribe\n"
    "  --crab        crabs to show: a name or a glob (* any run, ? one character); repeatable;\n"
    "                default every crab\n"
    "  --keys        value keys to show, comma-separated, in this column order (default: every\n"
    "                key seen, by unit (%, B/s, bytes, load, other), then natural order)\n"
    "  --iterations  exit 0 after N updates (one update = one snapshot); default: run until\n"
    "                SIGINT/SIGTERM\n"
    "  --json        print every hub message verbatim, one per line; a \"snapshots\" batch is\n"
    "                printed as one \"snapshot\" message per item\n"
    "On a terminal the table is redrawn in place; piped, each snapshot is one line:\n"
    "  <crab> seq=<seq> age=<seconds>s key=value ...\n"
    "and lifecycle events and gaps are lines of their own (\"<crab> offline\", \"gap: missed N\n"
    "(hub_seq A..B)\").\n" +
    std::string(security_usage);

constexpr auto redraw_interval = std::chrono::seconds(1);  // keeps the age column moving
constexpr std::string_view subscription_id = "bell";

struct Args {
    SubscriberOptions options;
    SecurityArgs security;
    bool tls = false;
    std::optional<std::uint64_t> iterations;
    bool json = false;
};

std::uint64_t parse_count(std::string_view text, std::string_view what) {
    const auto v = whole_number(text);
    if (!v || *v == 0) {
        throw UsageError(std::string(what) + " must be a whole number of at least 1, got " +
                         quoted(text));
    }
    return *v;
}

void parse_hub(std::string_view url, SubscriberOptions& options) {
    const HubAddress hub = parse_hub_address(url);
    const auto bad = [&](std::string_view why) {
        return UsageError("--hub " + quoted(url) + ": " + std::string(why));
    };
    switch (hub.error) {
        case HubAddressError::none:
            break;
        case HubAddressError::bad_scheme:
            throw bad("must start with ws:// or wss://");
        case HubAddressError::has_path:
            throw bad("takes no path");
        case HubAddressError::bad_brackets:
            throw bad("bad address");
        case HubAddressError::no_host:
            throw bad("has no host");
        case HubAddressError::port_not_number:
        case HubAddressError::port_out_of_range:
            throw bad("port must be 1..65535");
    }
    options.host = hub.host;
    if (hub.port) options.port = *hub.port;
}

std::vector<std::string> parse_keys(std::string_view list) {
    std::vector<std::string> keys;
    for (std::size_t start = 0; start <= list.size();) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        const std::string_view key = list.substr(start, comma - start);
        if (key.empty() || key.size() > 128) {
            throw UsageError("--keys takes 1-128 byte names separated by commas, got " +
                             quoted(list));
        }
        keys.emplace_back(key);
        start = comma + 1;
    }
    if (keys.size() > 256) throw UsageError("--keys takes at most 256 keys");
    return keys;
}

void apply_option(Args& args, std::string_view flag, std::optional<std::string_view> value,
                  bool& crab_given) {
    if (!value) {  // --json, the only switch ("--json=..." is an unknown option)
        args.json = true;
    } else if (apply_security_option(args.security, flag, *value)) {
        return;
    } else if (flag == "--hub") {
        parse_hub(*value, args.options);
        args.tls = value->starts_with("wss://");
    } else if (flag == "--crab") {
        if (!octopus::protocol::is_valid_crab_glob(*value)) {
            throw UsageError("invalid --crab " + quoted(*value) +
                             ": use 1-64 of [A-Za-z0-9._-] and the wildcards * and ?");
        }
        if (!crab_given) args.options.crabs.clear();
        crab_given = true;
        if (args.options.crabs.size() == 256) throw UsageError("--crab: at most 256 of them");
        args.options.crabs.emplace_back(*value);
    } else if (flag == "--keys") {
        args.options.keys = parse_keys(*value);
    } else if (flag == "--iterations") {
        args.iterations = parse_count(*value, "--iterations");
    } else {
        throw UsageError("unknown option " + quoted(flag));
    }
}

// --json is a switch, every other option takes a value. False when help was asked for.
bool parse_args(const std::vector<std::string_view>& argv, Args& args) {
    bool have_hub = false;
    bool crab_given = false;
    const bool go_on = for_each_option(
        argv, {"--json"}, [&](std::string_view flag, std::optional<std::string_view> value) {
            apply_option(args, flag, value, crab_given);
            have_hub = have_hub || flag == "--hub";
        });
    if (!go_on) return false;
    if (!have_hub) throw UsageError("--hub is required");
    return true;
}

double now_seconds() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

// What octopus-bell prints, in one of three modes, and when it stops.
class Bell {
  public:
    enum class Mode { table, plain, json };

    Bell(asio::io_context& io, const Args& args, Mode mode)
        : io_(io),
          args_(args),
          mode_(mode),
          table_(args.options.keys),
          client_(std::make_shared<SubscriberClient>(io, args.options)),
          signals_(io, SIGINT, SIGTERM),
          redraw_timer_(io) {}

    int run() {
        client_->set_on_event([this](const SubscriberEvent& e) { on_event(e); });
        client_->set_on_down([this](const std::string& why, bool ever) { on_down(why, ever); });
        signals_.async_wait([this](const boost::system::error_code& ec, int) {
            if (!ec) finish(EXIT_SUCCESS);
        });
        if (mode_ == Mode::table) {
            write("\x1b[2J");
            draw();
            tick();
        }
        client_->start();
        io_.run();
        return exit_code_;
    }

  private:
    void on_event(const SubscriberEvent& event) {
        if (done_) return;
        if (mode_ == Mode::json) write(event.text + "\n");
        if (const auto* s = std::get_if<SnapshotEvent>(&event.body)) return on_snapshot(*s);
        if (const auto* sub = std::get_if<Subscribed>(&event.body)) return on_subscribed(*sub);
        if (const auto* c = std::get_if<CrabEvent>(&event.body)) {
            table_.crab_event(c->crab, c->event);
            if (mode_ == Mode::plain && (c->event == "online" || c->event == "offline")) {
                write(c->crab + " " + c->event + "\n");
            }
        } else if (const auto* g = std::get_if<GapEvent>(&event.body)) {
            table_.gap(g->from_hub_seq, g->to_hub_seq, g->missed);
            if (mode_ == Mode::plain)
                write(gap_line(g->from_hub_seq, g->to_hub_seq, g->missed) + "\n");
        } else if (const auto* err = std::get_if<HubError>(&event.body)) {
            on_hub_error(*err);
        }
        schedule_draw();
    }

    void on_snapshot(const SnapshotEvent& s) {
        const BellUpdate update = make_update(s.crab, s.seq, s.received_at, s.values);
        table_.apply(update);
        if (mode_ == Mode::plain)
            write(plain_line(update, args_.options.keys, now_seconds()) + "\n");
        if (args_.iterations && table_.updates() >= *args_.iterations) return finish(EXIT_SUCCESS);
        schedule_draw();
    }

    void on_subscribed(const Subscribed&) {
        if (lost_ && mode_ != Mode::table) std::cerr << "octopus-bell: subscribed again\n";
        lost_ = false;
        table_.set_status({});
        schedule_draw();
        if (mode_ == Mode::json) return;
        // Crabs already online when bell subscribed send no lifecycle event: ask once.
        const std::uint64_t asked_at = table_.lifecycle_events();
        client_->http_get("/v1/crabs", [this, asked_at](std::optional<std::string> body) {
            if (!body || done_) return;
            const auto crabs = nlohmann::json::parse(*body, nullptr, false);
            if (!crabs.is_array()) return;
            std::map<std::string, bool> online;
            for (const auto& c : crabs) {
                if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) continue;
                const bool up =
                    c.contains("online") && c["online"].is_boolean() && c["online"].get<bool>();
                online[c["name"].get<std::string>()] = up;
            }
            table_.seed(online, asked_at);
            schedule_draw();
        });
    }

    void on_hub_error(const HubError& err) {
        const std::string text = "hub error " + err.code + ": " + err.message;
        if (!client_->ever_subscribed()) {
            return finish(EXIT_FAILURE, "the hub refused the subscription: " + text);
        }
        if (mode_ == Mode::table) {
            table_.set_status(text);
        } else {
            std::cerr << "octopus-bell: " << text << "\n";
        }
    }

    void on_down(const std::string& why, bool ever_subscribed) {
        if (done_) return;
        if (!ever_subscribed) {
            return finish(EXIT_FAILURE, std::string(args_.tls ? "cannot subscribe at wss://"
                                                              : "cannot subscribe at ws://") +
                                            args_.options.host + ":" + args_.options.port +
                                            "/v1/subscribe: " + why);
        }
        if (mode_ == Mode::table) {
            table_.set_status("hub lost: " + why + "; reconnecting");
            schedule_draw();
        } else if (!lost_) {  // once per outage, not once per attempt
            std::cerr << "octopus-bell: hub lost: " << why << "; reconnecting\n";
        }
        lost_ = true;
    }

    // Stops everything so run() returns `code`; `why` goes to stderr, after the final table.
    void finish(int code, const std::string& why = {}) {
        if (done_) return;
        done_ = true;
        exit_code_ = code;
        if (mode_ == Mode::table) draw();
        if (!why.empty()) std::cerr << "octopus-bell: " << why << "\n";
        client_->stop();
        signals_.cancel();
        redraw_timer_.cancel();
    }

    // Redraws once after the current hub message is handled, however many events it held.
    void schedule_draw() {
        if (mode_ != Mode::table || draw_posted_) return;
        draw_posted_ = true;
        asio::post(io_, [this] {
            draw_posted_ = false;
            if (!done_) draw();
        });
    }

    void tick() {
        redraw_timer_.expires_after(redraw_interval);
        redraw_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec || done_) return;
            draw();
            tick();
        });
    }

    // Home, each line cleared to its end, then everything below cleared: no flicker.
    void draw() {
        std::string frame = "\x1b[H";
        ScreenSize screen;
        if (winsize size{}; ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0) {
            screen = {size.ws_col,
                      size.ws_row > 1 ? size.ws_row - 1u : 0u};  // keep the cursor line
        }
        for (const std::string& line : table_.render(now_seconds(), screen)) {
            frame += line + "\x1b[K\n";
        }
        frame += "\x1b[J";
        write(frame);
    }

    static void write(const std::string& text) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
    }

    asio::io_context& io_;
    const Args& args_;
    Mode mode_;
    BellTable table_;
    std::shared_ptr<SubscriberClient> client_;
    asio::signal_set signals_;
    asio::steady_timer redraw_timer_;
    bool draw_posted_ = false;
    bool lost_ = false;  // the connection is down, reconnecting
    bool done_ = false;
    int exit_code_ = EXIT_SUCCESS;
};

}  // namespace

int main(int argc, char** argv) {
    Args args;
    const auto stop_now = parse_command_line(
        argc, argv, "octopus-bell", usage_text,
        [&](const std::vector<std::string_view>& words) { return !parse_args(words, args); });
    if (stop_now) return *stop_now;
    args.options.id = std::string(subscription_id);
    args.options.from = "buffer";
    try {
        auto security = load_security(args.security, args.tls);
        args.options.tls = security.tls;
        args.options.token = security.token;
    } catch (const std::exception& e) {
        std::cerr << "octopus-bell: " << e.what() << "\n";
        return 2;
    }
    const Bell::Mode mode = args.json                 ? Bell::Mode::json
                            : ::isatty(STDOUT_FILENO) ? Bell::Mode::table
                                                      : Bell::Mode::plain;
    try {
        asio::io_context io;
        Bell bell(io, args, mode);
        return bell.run();
    } catch (const std::exception& e) {
        std::cerr << "octopus-bell: " << e.what() << "\n";
        return EXIT_FAILURE;
    }
}
