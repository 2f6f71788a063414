#include "core/auth/grant.hpp"

#include <array>

#include "core/glob.hpp"
#include "protocol/subscriber_messages.hpp"

namespace octopus::core::auth {

namespace {
constexpr std::array<std::pair<Right, std::string_view>, 5> kRights = {
    {{Right::push, "push"},
     {Right::read, "read"},
     {Right::collect, "collect"},
     {Right::admin, "admin"},
     {Right::metrics, "metrics"}}};
}  // namespace

std::string_view to_string(Right right) {
    for (auto [r, name] : kRights)
        if (r == right) return name;
    return "?";
}

bool names_crabs(Right right) {
    return right == Right::push || right == Right::read || right == Right::collect;
}

std::optional<Scope> parse_scope(std::string_view text) {
    auto colon = text.find(':');
    auto name = text.substr(0, colon);
    for (auto [right, word] : kRights) {
        if (name != word) continue;
        if (!names_crabs(right)) {
            if (colon != std::string_view::npos) return std::nullopt;
            return Scope{right, {}};
        }
        if (colon == std::string_view::npos) return std::nullopt;
        auto glob = text.substr(colon + 1);
        if (!protocol::is_valid_crab_glob(glob)) return std::nullopt;
        return Scope{right, std::string(glob)};
    }
    return std::nullopt;
}

std::string scope_text(const Scope& scope) {
    std::string text(to_string(scope.right));
    if (names_crabs(scope.right)) text += ":" + scope.glob;
    return text;
}

bool Grant::allows(Right right, std::string_view crab) const {
    for (const auto& s : scopes) {
        if (s.right != right) continue;
        if (!names_crabs(right) || glob_match(s.glob, crab)) return true;
    }
    return false;
}

bool Grant::covers(Right right, std::string_view glob) const {
    for (const auto& s : scopes) {
        if (s.right == right && glob_covers(s.glob, glob)) return true;
    }
    return false;
}

bool Grant::holds(Right right) const {
    for (const auto& s : scopes)
        if (s.right == right) return true;
    return false;
}

GrantPtr TokenSet::find(const Digest& digest, SystemTime now) const {
    GrantPtr found;
    for (const auto& g : grants) {
        if (digests_equal(g->hash, digest)) found = g;
    }
    if (found && found->expired(now)) return nullptr;
    return found;
}

}  // namespace octopus::core::auth
