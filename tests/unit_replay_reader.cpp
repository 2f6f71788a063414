// Unit: ReplayReader's chunk reads against real record files: positioned by binary search on
// hub_seq, merged across crabs and months in hub_seq order, never past the limit, and past a
// damaged line or a half-written tail without losing an event.
#include <doctest/doctest.h>

#include <fstream>

#include "core/storage/replay_reader.hpp"
#include "harness/temp_dir.hpp"
#include "protocol/envelope.hpp"
#include "support/records.hpp"

using namespace octopus;
using namespace octopus::core;
namespace fs = std::filesystem;
using octopus::test::seq_range;

namespace {

void append_line(const fs::path& file, std::uint64_t hub_seq, const std::string& crab) {
    protocol::Snapshot s;
    s.values_json = R"({"cpu":12.5,"memory":63.7,"disk":41.0,"padding":"xxxxxxxxxxxxxxxxxxxx"})";
    s.tags_json = "{}";
    std::string line;
    protocol::append_envelope_line(line, {hub_seq, crab, hub_seq, 1732778016781000}, s);
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::app) << line;
}

fs::path records(const fs::path& root, const std::string& month) {
    return root / "records" / ("month=" + month) / "detail.jsonl";
}

// Crab a holds the odd hub_seqs (1..2n-1) split over two months, crab b the even ones, with a
// damaged line in b's middle and a half-written line at its end.
struct TwoCrabs {
    harness::TempDir dir;
    fs::path a = dir.path() / "a", b = dir.path() / "b";
    explicit TwoCrabs(std::uint64_t n) {
        for (std::uint64_t i = 1; i <= n; ++i) {
            append_line(records(a, i <= n / 2 ? "2026-10" : "2026-11"), 2 * i - 1, "a");
            append_line(records(b, "2026-11"), 2 * i, "b");
            if (i == n / 3) std::ofstream(records(b, "2026-11"), std::ios::app) << "garbage\n";
        }
        std::ofstream(records(b, "2026-11"), std::ios::app) << R"({"hub_seq":999999,"cr)";
    }
};

std::vector<std::uint64_t> seqs(const ReplayChunk& c) {
    std::vector<std::uint64_t> out;
    for (const auto& s : c.events) out.push_back(s->hub_seq);
    return out;
}

}  // namespace

TEST_CASE("replay chunks: positioned, merged in hub_seq order, bounded by the limit") {
    TwoCrabs t(10000);  // ~1.3 MB per crab: binary search, not a scan
    REQUIRE(fs::file_size(records(t.b, "2026-11")) > 1000000);

    auto mid = read_replay_chunk({{t.a, t.b}, 12345, 20000, std::nullopt, 1000});
    CHECK(seqs(mid) == seq_range(12346, 13345));
    CHECK_FALSE(mid.reached_limit);
    CHECK(mid.events.front()->month == "2026-11");

    auto tail = read_replay_chunk({{t.a, t.b}, 19000, 19500, std::nullopt, 4096});
    CHECK(seqs(tail) == seq_range(19001, 19500));
    CHECK(tail.reached_limit);

    auto whole = read_replay_chunk({{t.a, t.b}, 0, 20000, std::nullopt, 50000});
    CHECK(seqs(whole) == seq_range(1, 20000));  // the damaged line and the torn tail are skipped
    CHECK(whole.reached_limit);

    auto one = read_replay_chunk({{t.b}, 9990, 20000, std::nullopt, 3});
    CHECK(seqs(one) == std::vector<std::uint64_t>{9992, 9994, 9996});

    auto none =
        read_replay_chunk({{t.a, t.b, t.dir.path() / "missing"}, 20000, 20000, std::nullopt, 10});
    CHECK(none.events.empty());
    CHECK(none.reached_limit);
}
