#include "server/http_query.hpp"

#include <algorithm>
#include <charconv>

namespace octopus::server {

using protocol::Error;
using protocol::ErrorCode;

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        unsigned char byte = 0;
        auto hex = text.substr(i + 1, 2);
        auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), byte, 16);
        if (hex.size() != 2 || ec != std::errc() || end != hex.data() + 2) return std::nullopt;
        out += static_cast<char>(byte);
        i += 2;
    }
    return out;
}

protocol::Result<std::map<std::string, std::string>> query_params(std::string_view target) {
    std::map<std::string, std::string> params;
    auto q = target.find('?');
    if (q == std::string_view::npos) return params;
    for (auto rest = target.substr(q + 1); !rest.empty();) {
        auto pair = rest.substr(0, rest.find('&'));
        rest.remove_prefix(std::min(rest.size(), pair.size() + 1));
        if (pair.empty()) continue;
        auto eq = std::min(pair.find('='), pair.size());
        auto name = percent_decode(pair.substr(0, eq));
        auto value = percent_decode(pair.substr(std::min(eq + 1, pair.size())));
        if (!name || !value) return Error{ErrorCode::bad_message, "malformed %-escape in query"};
        if (!params.emplace(*name, *value).second)
            return Error{ErrorCode::bad_message, "query parameter \"" + *name + "\" repeated"};
    }
    return params;
}

}  // namespace octopus::server
