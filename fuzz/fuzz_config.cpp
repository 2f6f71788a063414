// Fuzz target: server::load_config, the hub's TOML configuration (config/octopus.toml), from the
// TOML parser (toml++, compiled in with coverage) to every section reader. The input is written
// to a per-process scratch file and loaded. std::runtime_error is the expected refusal; any
// other exception is a finding. Invariants checked beyond "does not crash":
//  - loading is deterministic: the same file loads to the same config or the same message twice;
//  - a refusal message names the file;
//  - a loaded config satisfies what the readers promise (server/config.cpp): a positive buffer
//    and per-crab overrides with valid names, a valid local crab name and interval, positive
//    fsync and checkpoint intervals, positive subscriber bounds, polling rules with a glob, a
//    positive interval and timeout and at most 1000000 heartbeat misses;
//  - every duration of a loaded config can be added to steady_clock::now() (nanoseconds)
//    without overflow, as the disk writer, the poll scheduler and the timers do.
#include <chrono>
#include <exception>
#include <stdexcept>
#include <typeinfo>

#include "fuzz_temp_file.hpp"
#include "protocol/names.hpp"
#include "server/config.hpp"
#include "server/toml_fields.hpp"

namespace {

using namespace octopus::server;

// The fields of a Config as one comparable line.
std::string describe(const Config& c) {
    std::string out =
        c.listen_host + ":" + std::to_string(c.listen_port) + " " + c.data_dir.string() + " " +
        std::to_string(c.max_connections) + " " + std::to_string(c.buffer_size) + " " +
        c.local_crab_name + " " + std::to_string(c.local_crab_interval.count()) + " " +
        std::to_string(c.ws_idle_timeout.count()) + " " +
        std::to_string(c.writer.fsync_interval.count()) + " " +
        std::to_string(c.limits.max_frame_bytes) + " " + std::to_string(c.max_subscriptions) + " " +
        (c.alerts_file ? c.alerts_file->string() : "-");
    for (const auto& o : c.allowed_origins) out += " origin=" + o;
    for (const auto& [name, size] : c.buffer_overrides)
        out += " " + name + "=" + std::to_string(size);
    for (const auto& r : c.polling)
        out += " poll=" + r.crabs + "/" + std::to_string(r.interval.count());
    return out;
}

// A duration the hub adds to steady_clock::now() or turns into a timer (nanoseconds, e.g.
// core/storage/disk_writer.cpp: Clock::now() + fsync_interval) must not overflow there.
template <typename Duration>
void check_clock_fits(Duration d, const char* what) {
    auto limit = std::chrono::duration_cast<Duration>(std::chrono::nanoseconds::max() / 2);
    FUZZ_CHECK(d <= limit, std::string(what) + " = " + std::to_string(d.count()) +
                               " accepted: overflows steady_clock nanoseconds");
}

void check_durations(const Config& c) {
    check_clock_fits(c.writer.fsync_interval, "storage.fsync_interval_ms");
    check_clock_fits(c.writer.checkpoint_interval, "storage.checkpoint_interval_ms");
    check_clock_fits(c.ws_idle_timeout, "websocket.idle_timeout_s");
    check_clock_fits(c.local_crab_interval, "local_crab.interval_ms");
    for (const auto& r : c.polling) {
        check_clock_fits(r.interval, "polling.interval_ms");
        check_clock_fits(r.min_delay, "polling.min_delay_ms");
        check_clock_fits(r.timeout, "polling.timeout_ms");
    }
}

void check_polling(const Config& c) {
    for (const auto& r : c.polling) {
        FUZZ_CHECK(is_crab_glob(r.crabs), "polling glob accepted: " + r.crabs);
        FUZZ_CHECK(r.interval.count() > 0 && r.timeout.count() > 0, "polling interval/timeout");
        FUZZ_CHECK(r.min_delay.count() >= 0, "polling min_delay negative");
        FUZZ_CHECK(r.heartbeat_misses <= 1000000, "heartbeat_misses too large");
    }
}

void check_config(const Config& c) {
    FUZZ_CHECK(c.buffer_size > 0, "buffer.size 0 accepted");
    for (const auto& [name, size] : c.buffer_overrides) {
        FUZZ_CHECK(octopus::protocol::is_valid_crab_name(name) && size > 0,
                   "buffer.crabs override accepted: " + name);
    }
    FUZZ_CHECK(octopus::protocol::is_valid_crab_name(c.local_crab_name),
               "local_crab.name accepted: " + c.local_crab_name);
    FUZZ_CHECK(c.local_crab_interval.count() > 0, "local_crab.interval_ms not positive");
    FUZZ_CHECK(c.writer.fsync_interval.count() > 0 && c.writer.checkpoint_interval.count() > 0,
               "storage intervals not positive");
    FUZZ_CHECK(c.ws_idle_timeout.count() >= 0, "websocket.idle_timeout_s negative");
    FUZZ_CHECK(
        c.subscriber_queue_messages > 0 && c.subscriber_queue_bytes > 0 && c.max_subscriptions > 0,
        "subscriber bounds not positive");
    for (const auto& o : c.allowed_origins) FUZZ_CHECK(!o.empty(), "empty allowed origin");
    check_polling(c);
    check_durations(c);
}

// The outcome of one load: "ok <config>" or "error <message>".
std::string load(const std::filesystem::path& path, bool check) {
    try {
        Config c = load_config(path);
        if (check) check_config(c);
        return "ok " + describe(c);
    } catch (const std::runtime_error& e) {
        std::string what = e.what();
        FUZZ_CHECK(what.find(path.string()) != std::string::npos,
                   "message lacks the file: " + what);
        return "error " + what;
    } catch (const std::exception& e) {
        octopus::fuzz::fail(__FILE__, __LINE__,
                            std::string("load_config threw ") + typeid(e).name() + ": " + e.what());
    } catch (...) {
        octopus::fuzz::fail(__FILE__, __LINE__, "load_config threw a non-std exception");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static octopus::fuzz::TempFile file("fuzz_config");
    const auto& path = file.write(octopus::fuzz::as_text(data, size));
    std::string first = load(path, true);
    FUZZ_CHECK(first == load(path, false), "loading is not deterministic: " + first);
    file.remove();
    return 0;
}
