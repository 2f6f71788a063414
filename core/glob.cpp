#include "core/glob.hpp"

namespace octopus::core {

namespace {

// glob_match, and glob_covers when `name` is itself a glob: then a `?` of the pattern matches one
// byte of the name that is not a `*` (which may stand for any number of bytes), and only a `*` of
// the pattern may swallow the name's `*`. Literal bytes match themselves either way.
bool match(std::string_view pattern, std::string_view name, bool name_is_glob) {
    std::size_t p = 0, n = 0;
    // Where to resume after the most recent `*`: the pattern just past it, and the name position
    // it has swallowed up to. Only the last star matters: an earlier one can never do better.
    std::size_t star = std::string_view::npos, star_n = 0;
    while (n < name.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            star_n = n;
        } else if (p < pattern.size() &&
                   ((pattern[p] == '?' && !(name_is_glob && name[n] == '*')) ||
                    pattern[p] == name[n])) {
            ++p;
            ++n;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            n = ++star_n;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view name) {
    return match(pattern, name, false);
}

bool glob_covers(std::string_view outer, std::string_view inner) {
    return match(outer, inner, true);
}

bool glob_has_wildcard(std::string_view pattern) {
    return pattern.find_first_of("*?") != std::string_view::npos;
}

bool glob_match_any(const std::vector<std::string>& patterns, std::string_view name) {
    for (const auto& p : patterns) {
        if (glob_match(p, name)) return true;
    }
    return false;
}

}  // namespace octopus::core
