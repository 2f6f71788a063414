// Unit: the pieces of authentication that need no socket: token digests, scopes and globs
// covering globs, grants, the failed-authentication limiter (with explicit times) and the token
// file (its errors name FILE:LINE:COLUMN; revoke keeps the other entries and comments).
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "core/auth/failure_limiter.hpp"
#include "core/auth/grant.hpp"
#include "core/glob.hpp"
#include "harness/temp_dir.hpp"
#include "server/auth/token_file.hpp"

using namespace octopus;
using core::auth::Right;

TEST_CASE("sha256 digests match the standard vectors and parse back") {
    auto d = core::auth::sha256("abc");
    auto text = core::auth::digest_text(d);
    CHECK(text == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(core::auth::parse_digest(text) == d);
    CHECK_FALSE(core::auth::parse_digest("sha256:BA78"));
    CHECK_FALSE(core::auth::parse_digest(text.substr(7)));
    auto a = core::auth::new_token(), b = core::auth::new_token();
    CHECK(a.size() == 68);
    CHECK(a.rfind("oct_", 0) == 0);
    CHECK(a != b);
}

TEST_CASE("glob_covers is true only when every name of the inner glob matches the outer") {
    struct Row {
        const char* outer;
        const char* inner;
        bool covers;
    };
    for (auto r : std::vector<Row>{{"*", "*", true},
                                   {"*", "edge-?", true},
                                   {"edge-*", "edge-1", true},
                                   {"edge-*", "edge-1*", true},
                                   {"edge-*", "edge*", false},
                                   {"edge-?", "edge-1", true},
                                   {"edge-?", "edge-?", true},
                                   {"edge-?", "edge-*", false},
                                   {"a?c", "a*c", false},
                                   {"edge-1", "edge-1", true},
                                   {"edge-1", "edge-?", false},
                                   {"edge-1", "*", false},
                                   {"*-1", "edge-*", false}}) {
        CAPTURE(r.outer);
        CAPTURE(r.inner);
        CHECK(core::glob_covers(r.outer, r.inner) == r.covers);
    }
}

TEST_CASE("scopes parse, print and decide what a grant allows") {
    for (const char* bad : {"push", "push:", "admin:x", "read:a/b", "write:x", "", "metrics:*"}) {
        CAPTURE(bad);
        CHECK_FALSE(core::auth::parse_scope(bad));
    }
    core::auth::Grant g;
    for (const char* s : {"push:edge-1", "read:edge-*", "metrics"})
        g.scopes.push_back(*core::auth::parse_scope(s));
    CHECK(core::auth::scope_text(g.scopes[1]) == "read:edge-*");
    CHECK(g.allows(Right::push, "edge-1"));
    CHECK_FALSE(g.allows(Right::push, "edge-2"));
    CHECK(g.allows(Right::read, "edge-2"));
    CHECK(g.covers(Right::read, "edge-?"));
    CHECK_FALSE(g.covers(Right::read, "*"));
    CHECK(g.allows(Right::metrics, ""));
    CHECK_FALSE(g.holds(Right::admin));
    CHECK_FALSE(g.holds(Right::collect));
}

TEST_CASE("the failure limiter blocks an address after max_failures in the window") {
    core::auth::FailureLimiter limiter({.max_failures = 3,
                                        .window = std::chrono::seconds(10),
                                        .block = std::chrono::seconds(30),
                                        .max_peers = 2});
    core::auth::FailureLimiter::Time t0{};
    using std::chrono::seconds;
    CHECK_FALSE(limiter.record_failure("a", t0));
    CHECK_FALSE(limiter.record_failure("a", t0 + seconds(1)));
    CHECK_FALSE(limiter.blocked("a", t0 + seconds(1)));
    CHECK(limiter.record_failure("a", t0 + seconds(2)));
    CHECK(limiter.blocked("a", t0 + seconds(3)));
    CHECK_FALSE(limiter.blocked("b", t0 + seconds(3)));
    CHECK_FALSE(limiter.blocked("a", t0 + seconds(33)));
    // Failures spread wider than the window never block.
    for (int i = 0; i < 10; ++i) CHECK_FALSE(limiter.record_failure("b", t0 + seconds(11 * i)));
    // The table is bounded: a third address evicts the stalest.
    limiter.record_failure("c", t0 + seconds(200));
    CHECK(limiter.peers() == 2);
}

namespace {
std::filesystem::path write(const harness::TempDir& dir, const std::string& text) {
    auto p = dir.path() / "tokens.toml";
    std::ofstream(p) << text;
    return p;
}

const std::string kHash = "sha256:" + std::string(64, 'a');
}  // namespace

TEST_CASE("a token file with a mistake is refused with FILE:LINE:COLUMN") {
    harness::TempDir dir;
    struct Row {
        std::string text;
        std::string where;
        std::string what;
    };
    std::string ok = "[[token]]\nid = \"a\"\nhash = \"" + kHash + "\"\n";
    for (const auto& r : std::vector<Row>{
             {ok + "scopes = [\"push:a\", \"write:x\"]\n", ":4:21: ", "a scope is"},
             {ok + "scopes = []\n", ":4:10: ", "non-empty"},
             {ok, ":1:1: ", "scopes is required"},
             {ok + "scopes = [\"admin\"]\nexpires = 2027-01-01\n", ":5:11: ", "date-time"},
             {ok + "scopes = [\"admin\"]\ncolour = 1\n", ":5:1: ", "unknown key \"colour\""},
             {ok + "scopes = [\"admin\"]\n" + ok + "scopes = [\"admin\"]\n", ":5:1: ", "twice"},
             {"[[token]]\nid = \"a b\"\n", ":2:6: ", "id must be"},
             {"[[token]]\nid = \"a\"\nhash = \"md5:00\"\n", ":3:8: ", "hash must be"},
             {"[[token]\n", ":1:", ""},
             {"user = \"x\"\n", ":1:1: ", "only [[token]]"}}) {
        CAPTURE(r.text);
        auto file = write(dir, r.text);
        std::string message;
        try {
            server::load_token_file(file);
        } catch (const std::runtime_error& e) {
            message = e.what();
        }
        CHECK(message.find(file.string() + r.where) == 0);
        CHECK(message.find(r.what) != std::string::npos);
    }
}

TEST_CASE("append, list and revoke keep the file loadable and the other entries intact") {
    harness::TempDir dir;
    auto file = dir.path() / "tokens.toml";
    auto grant = [](const char* id, const char* scope) {
        core::auth::Grant g;
        g.id = id;
        g.hash = core::auth::sha256(id);
        g.scopes.push_back(*core::auth::parse_scope(scope));
        return g;
    };
    server::append_token(file, grant("one", "push:edge-1"));
    auto two = grant("two", "read:*");
    two.expires = std::chrono::system_clock::from_time_t(1798761600);  // 2027-01-01T00:00:00Z
    server::append_token(file, two);
    server::append_token(file, grant("three", "admin"));
    CHECK_THROWS_WITH_AS(server::append_token(file, grant("two", "admin")),
                         doctest::Contains("appears twice"), std::runtime_error);
    std::ostringstream listing;
    server::list_tokens(file, listing);
    CHECK(listing.str() ==
          "one  push:edge-1  never expires\n"
          "two  read:*  expires 2027-01-01T00:00:00Z\n"
          "three  admin  never expires\n");
    CHECK(listing.str().find("sha256") == std::string::npos);
    server::revoke_token(file, "two");
    auto set = server::load_token_file(file);
    REQUIRE(set.grants.size() == 2);
    CHECK(set.grants[0]->id == "one");
    CHECK(set.grants[1]->id == "three");
    CHECK(set.find(core::auth::sha256("three"), std::chrono::system_clock::now()));
    CHECK_FALSE(set.find(core::auth::sha256("two"), std::chrono::system_clock::now()));
    CHECK_THROWS_WITH_AS(server::revoke_token(file, "two"), doctest::Contains("no token"),
                         std::runtime_error);
    CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::others_read) ==
          std::filesystem::perms::none);
}

TEST_CASE("revoke refuses a file it cannot edit by lines, and leaves it as it was") {
    harness::TempDir dir;
    std::string a = "{id = \"a\", hash = \"" + kHash + "\", scopes = [\"admin\"]}";
    std::string b =
        "{id = \"b\", hash = \"sha256:" + std::string(64, 'b') + "\", scopes = [\"metrics\"]}";
    std::string text = "token = [" + a + ", " + b + "]\n";
    auto file = write(dir, text);
    REQUIRE(server::load_token_file(file).grants.size() == 2);
    CHECK_THROWS_WITH_AS(server::revoke_token(file, "a"), doctest::Contains("remove it by hand"),
                         std::runtime_error);
    std::ifstream in(file);
    CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == text);
}

TEST_CASE("an expired grant is not found") {
    core::auth::TokenSet set;
    core::auth::Grant g;
    g.id = "old";
    g.hash = core::auth::sha256("t");
    g.scopes.push_back(*core::auth::parse_scope("admin"));
    g.expires = std::chrono::system_clock::now() - std::chrono::seconds(1);
    set.grants.push_back(std::make_shared<const core::auth::Grant>(g));
    CHECK_FALSE(set.find(core::auth::sha256("t"), std::chrono::system_clock::now()));
}
