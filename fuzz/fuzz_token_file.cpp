// Fuzz target: server::load_token_file, the [auth] token file (server/auth/token_file.hpp), from
// the TOML parser (toml++, compiled in with coverage) to the entry reader, and the revocation
// that edits the file by lines. The input is written to a per-process scratch file. A
// std::runtime_error is the expected refusal. Invariants checked beyond "does not crash":
//  - loading is deterministic and a refusal names the file as FILE:LINE:COLUMN (or FILE: for a
//    file that cannot be read);
//  - a loaded set holds unique ids, each a valid name with at least one scope, and unique
//    digests; every grant finds itself by its digest unless it has expired;
//  - revoking the first id leaves a file that loads to the same set minus that entry, or is
//    refused and leaves the file as it was.
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <typeinfo>

#include "fuzz_temp_file.hpp"
#include "protocol/names.hpp"
#include "server/auth/token_file.hpp"

namespace {

using namespace octopus;

std::string describe(const core::auth::TokenSet& set) {
    std::string out;
    for (const auto& g : set.grants) {
        out += g->id + "=" + core::auth::digest_text(g->hash);
        for (const auto& s : g->scopes) out += "," + core::auth::scope_text(s);
        out += ";";
    }
    return out;
}

void check_set(const core::auth::TokenSet& set) {
    std::set<std::string> ids;
    auto now = std::chrono::system_clock::now();
    for (const auto& g : set.grants) {
        FUZZ_CHECK(protocol::is_valid_crab_name(g->id), "bad id accepted: " + g->id);
        FUZZ_CHECK(!g->scopes.empty(), "a token without scopes: " + g->id);
        FUZZ_CHECK(ids.insert(g->id).second, "duplicate id accepted: " + g->id);
        auto found = set.find(g->hash, now);
        FUZZ_CHECK(g->expired(now) ? !found : found == g, "digest lookup wrong for " + g->id);
    }
}

// "ok <set>" or "error <message>".
std::string load(const std::filesystem::path& path) {
    try {
        auto set = server::load_token_file(path);
        check_set(set);
        return "ok " + describe(set);
    } catch (const std::runtime_error& e) {
        std::string what = e.what();
        FUZZ_CHECK(what.rfind(path.string() + ":", 0) == 0, "message lacks the file: " + what);
        return "error " + what;
    } catch (const std::exception& e) {
        fuzz::fail(__FILE__, __LINE__, std::string("threw ") + typeid(e).name() + ": " + e.what());
    }
}

std::string contents(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void check_revoke(const std::filesystem::path& path) {
    auto before = server::load_token_file(path);
    if (before.grants.empty()) return;
    auto text = contents(path);
    try {
        server::revoke_token(path, before.grants.front()->id);
    } catch (const std::runtime_error&) {  // not removable by lines: nothing may change
        FUZZ_CHECK(contents(path) == text, "a refused revoke changed the file");
        return;
    }
    auto after = server::load_token_file(path);
    before.grants.erase(before.grants.begin());
    FUZZ_CHECK(describe(after) == describe(before), "revoke changed other entries");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fuzz::TempFile file("fuzz_token_file");
    const auto& path = file.write(fuzz::as_text(data, size));
    std::string first = load(path);
    FUZZ_CHECK(first == load(path), "loading is not deterministic: " + first);
    if (first.starts_with("ok ")) check_revoke(path);
    file.remove();
    return 0;
}
