#include "server/http_routes.hpp"

#include "protocol/names.hpp"

namespace octopus::server {

namespace {
constexpr std::string_view kCrab = "{crab}";
constexpr std::string_view kFile = "{file}";  // any one non-empty segment; the handler checks it

// "/a/b/" -> {"a", "b", ""}.
std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    path.remove_prefix(1);
    for (;;) {
        auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) return out;
        path.remove_prefix(slash + 1);
    }
}
}  // namespace

bool match_route(std::string_view pattern, std::string_view path, RouteMatch& match) {
    if (path.empty() || path[0] != '/') return false;
    auto want = segments(pattern);
    auto got = segments(path);
    if (want.size() != got.size()) return false;
    for (std::size_t i = 0; i < want.size(); ++i) {
        if (want[i] == kCrab) {
            match.crab.assign(got[i]);
        } else if (want[i] == kFile) {
            if (got[i].empty()) return false;
        } else if (want[i] != got[i]) {
            return false;
        }
    }
    return true;
}

bool route_crab_valid(const RouteMatch& match, std::string_view pattern) {
    return pattern.find(kCrab) == std::string_view::npos ||
           protocol::is_valid_crab_name(match.crab);
}

}  // namespace octopus::server
