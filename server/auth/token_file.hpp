// The token file ([auth] tokens in octopus.toml): one [[token]] table per token,
//   [[token]]
//   id = "edge-1"                  # 1..64 name characters, unique
//   hash = "sha256:<64 hex>"       # SHA-256 of the token; the token itself is never stored
//   scopes = ["push:edge-1"]       # see core/auth/grant.hpp
//   expires = 2027-01-06T12:00:00Z # optional, a TOML date-time with its offset
// Loading is all or nothing: any mistake throws std::runtime_error "FILE:LINE:COLUMN: what", and
// the caller keeps the tokens it had. `octopus token add/list/revoke` edit the file through the
// functions below, which write a new file next to it and rename it into place, so the hub's
// watcher never reads a half-written file.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/auth/grant.hpp"

namespace octopus::server {

core::auth::TokenSet load_token_file(const std::filesystem::path& file);

// "30d", "12h", "15m", "90s": a lifetime for `token add --expires`; nullopt if malformed.
std::optional<std::chrono::seconds> parse_lifetime(std::string_view text);

// "2027-01-06T12:00:00Z".
std::string utc_text(core::auth::SystemTime t);

// Appends an entry (creating the file with mode 0600 if needed) after checking that the result
// still loads. Throws std::runtime_error naming the problem (a duplicate id, say).
void append_token(const std::filesystem::path& file, const core::auth::Grant& grant);

// Removes the entry with `id`, keeping every other line of the file as it was. Throws if there is
// no such id or the file does not load.
void revoke_token(const std::filesystem::path& file, const std::string& id);

// One line per token: id, scopes, expiry; never the hash.
void list_tokens(const std::filesystem::path& file, std::ostream& out);

}  // namespace octopus::server
