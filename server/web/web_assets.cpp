#include "server/web/web_assets.hpp"

#include <algorithm>

namespace octopus::server::web {

namespace http = boost::beast::http;

namespace {

constexpr const char* kPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// True when a comma-separated header list names `token` (case-insensitive), with no q=0.
bool header_lists(std::string_view header, std::string_view token) {
    while (!header.empty()) {
        auto comma = header.find(',');
        auto item = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        auto semi = item.find(';');
        auto name = item.substr(0, semi);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        bool same = std::equal(name.begin(), name.end(), token.begin(), token.end(),
                               [](char a, char b) { return std::tolower(a) == std::tolower(b); });
        if (!same) continue;
        auto params = semi == std::string_view::npos ? std::string_view{} : item.substr(semi);
        return params.find("q=0") == std::string_view::npos ||
               params.find("q=0.") != std::string_view::npos;
    }
    return false;
}

std::string_view field(const Request& req, http::field name) {
    auto it = req.find(name);
    return it == req.end() ? std::string_view{}
                           : std::string_view(it->value().data(), it->value().size());
}

}  // namespace

const Asset* find_asset(std::string_view url) {
    for (const auto& a : assets()) {
        if (a.url == url) return &a;
    }
    return nullptr;
}

Response asset_response(const Asset& asset, const Request& req) {
    auto none_match = field(req, http::field::if_none_match);
    bool fresh = none_match.find(asset.etag) != std::string_view::npos || none_match == "*";
    Response res{fresh ? http::status::not_modified : http::status::ok, req.version()};
    res.set(http::field::server, "octopus");
    res.set(http::field::etag, {asset.etag.data(), asset.etag.size()});
    res.set(http::field::cache_control, "no-cache");
    res.set(http::field::vary, "Accept-Encoding");
    res.set("Content-Security-Policy", kPolicy);
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    if (fresh) return res;
    res.set(http::field::content_type, {asset.content_type.data(), asset.content_type.size()});
    if (header_lists(field(req, http::field::accept_encoding), "gzip")) {
        res.set(http::field::content_encoding, "gzip");
        res.body().assign(asset.gzip);
    } else {
        res.body().assign(asset.body);
    }
    return res;
}

}  // namespace octopus::server::web
