// Shell-style name matching for crab names in config and subscriptions: `*` matches any run of
// bytes (including none), `?` matches exactly one byte, every other byte matches itself. There
// is no escaping and no character class; crab names never contain `*` or `?`, so none is needed.
// Matching is byte-wise and iterative (one backtrack point, the last `*`): O(len(pattern) *
// len(name)) in the worst case, never recursive, so a hostile pattern such as "a*a*a*a*b" cannot
// blow the stack or go exponential.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace octopus::core {

bool glob_match(std::string_view pattern, std::string_view name);

// True if every name `inner` matches is matched by `outer` too (both globs): what a scope
// `read:edge-*` needs to allow a subscription to `edge-1?`. Sound: true only when it holds. It
// may say false for a few equivalent spellings (`a?*` covers `a*?`, yet the answer is false),
// which refuses a request that could have been allowed, never the reverse.
bool glob_covers(std::string_view outer, std::string_view inner);

// True if any of `patterns` matches `name`.
bool glob_match_any(const std::vector<std::string>& patterns, std::string_view name);

// True if `pattern` contains `*` or `?` (false means it names exactly one crab).
bool glob_has_wildcard(std::string_view pattern);

}  // namespace octopus::core
