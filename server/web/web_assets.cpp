#include "server/web/web_assets.hpp"

#include <cstdlib>
#include <string>

namespace octopus::server::web {

namespace http = boost::beast::http;

namespace {

constexpr const char* kPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// True when Accept-Encoding allows gzip: listed (any case) with no q parameter, or q above 0.
// Beast's ext_list splits the list and its parameters (RFC 7230 token lists).
bool accepts_gzip(boost::beast::string_view header) {
    for (const auto& [coding, params] : http::ext_list{header}) {
        if (!boost::beast::iequals(coding, "gzip")) continue;
        for (const auto& [name, value] : params) {
            if (boost::beast::iequals(name, "q"))
                return std::strtod(std::string(value).c_str(), nullptr) > 0;
        }
        return true;
    }
    return false;
}

}  // namespace

const Asset* find_asset(std::string_view url) {
    for (const auto& a : assets()) {
        if (a.url == url) return &a;
    }
    return nullptr;
}

Response asset_response(const Asset& asset, const Request& req) {
    auto none_match = req[http::field::if_none_match];
    bool fresh = none_match.find({asset.etag.data(), asset.etag.size()}) !=
                     boost::beast::string_view::npos ||
                 none_match == "*";
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
    if (accepts_gzip(req[http::field::accept_encoding])) {
        res.set(http::field::content_encoding, "gzip");
        res.body().assign(asset.gzip);
    } else {
        res.body().assign(asset.body);
    }
    return res;
}

}  // namespace octopus::server::web
