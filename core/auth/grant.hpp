// What a token may do. A token carries scopes; each is a right and, for rights over crabs, a
// crab-name glob:
//   push:GLOB     say hello and push as a crab whose name matches
//   read:GLOB     subscribe to, list and read matching crabs (buffers, records, alerts)
//   collect:GLOB  ask matching crabs for fresh snapshots
//   admin         reload and token administration
//   metrics       GET /metrics
// A Grant is one token's entry of the token file, shared read-only by the sessions it
// authenticated: a reload builds new Grants and sessions look theirs up again by digest.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/token_hash.hpp"

namespace octopus::core::auth {

enum class Right : std::uint8_t { push, read, collect, admin, metrics };

std::string_view to_string(Right right);
// True for the rights that name crabs (push, read, collect).
bool names_crabs(Right right);

struct Scope {
    Right right;
    std::string glob;  // empty for admin and metrics
};

// "push:GLOB", "read:GLOB", "collect:GLOB", "admin" or "metrics"; nullopt otherwise (the glob
// must be a valid crab glob: name characters, * and ?).
std::optional<Scope> parse_scope(std::string_view text);
std::string scope_text(const Scope& scope);

using SystemTime = std::chrono::system_clock::time_point;

struct Grant {
    std::string id;
    Digest hash{};
    std::vector<Scope> scopes;
    std::optional<SystemTime> expires;

    bool expired(SystemTime now) const { return expires && *expires <= now; }
    // Holds `right` for crab `crab` (ignored for admin and metrics).
    bool allows(Right right, std::string_view crab) const;
    // Holds `right` for every crab that glob `glob` can match.
    bool covers(Right right, std::string_view glob) const;
    // Holds `right` for at least one crab.
    bool holds(Right right) const;
};

using GrantPtr = std::shared_ptr<const Grant>;

// Every token of the token file.
struct TokenSet {
    std::vector<GrantPtr> grants;

    // The unexpired grant whose digest is `digest`, or null. Compares against every entry in
    // constant time, whatever matches.
    GrantPtr find(const Digest& digest, SystemTime now) const;
};

}  // namespace octopus::core::auth
