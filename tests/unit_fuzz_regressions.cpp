// Unit: every input in fuzz/regressions/ (each once crashed a fuzz target or broke its
// invariant) goes through the same entry point in the normal build and is refused cleanly, so
// plain `ctest` keeps the fixes even where the fuzz build does not run. A new file in a known
// folder is picked up by itself; an unknown folder fails the test.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/storage/records_query.hpp"
#include "protocol/limits.hpp"
#include "protocol/subscriber_messages.hpp"
#include "server/alerts/alert_config.hpp"
#include "server/auth/token_file.hpp"
#include "server/config.hpp"
#include "server/http_query.hpp"

using namespace octopus;

namespace {

std::string contents(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// True when the input is refused (or accepted within the bounds its bug broke).
bool handled(const std::string& target, const std::filesystem::path& file) {
    auto text = contents(file);
    if (target == "fuzz_subscriber_messages") {
        auto msg = protocol::decode_subscriber_message(text);
        if (!msg) return true;
        auto* sub = std::get_if<protocol::Subscribe>(&msg.value());
        return !sub || sub->from.kind != protocol::From::Kind::since ||
               std::abs(sub->from.since) <= protocol::max_unix_seconds;
    }
    if (target == "fuzz_http_target") {
        auto params = server::query_params(text);
        return !params || !core::parse_records_query(params.value());
    }
    try {
        if (target == "fuzz_config") server::load_config(file);
        if (target == "fuzz_alert_config") server::load_alert_config(file);
        if (target == "fuzz_token_file") server::load_token_file(file);
    } catch (const std::runtime_error&) {
        return true;
    }
    return target != "fuzz_config" && target != "fuzz_alert_config" && target != "fuzz_token_file";
}

}  // namespace

TEST_CASE("every fuzz regression input is refused cleanly by the normal build") {
    auto root = std::filesystem::path(OCTOPUS_SOURCE_DIR) / "fuzz" / "regressions";
    std::size_t seen = 0;
    for (const auto& dir : std::filesystem::directory_iterator(root)) {
        auto target = dir.path().filename().string();
        CAPTURE(target);
        CHECK((target == "fuzz_subscriber_messages" || target == "fuzz_http_target" ||
               target == "fuzz_config" || target == "fuzz_alert_config" ||
               target == "fuzz_token_file"));
        for (const auto& file : std::filesystem::directory_iterator(dir.path())) {
            CAPTURE(file.path().filename().string());
            CHECK(handled(target, file.path()));
            ++seen;
        }
    }
    CHECK(seen >= 8);
}

TEST_CASE("a config integer too large for its field is refused, not truncated") {
    auto dir = std::filesystem::temp_directory_path() / "octopus-unit-fuzz-regressions";
    std::filesystem::create_directories(dir);
    auto file = dir / "alerts.toml";
    std::ofstream(file) << "[hooks.h]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9/x\"\n"
                           "max_attempts = 4294967297\n";
    CHECK_THROWS_WITH_AS(server::load_alert_config(file), doctest::Contains("too large"),
                         std::runtime_error);
    std::filesystem::remove_all(dir);
}
