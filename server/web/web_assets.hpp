// The Web Bell's files, compiled into the binary by web/embed.cmake (web/CMakeLists.txt), and
// how the hub serves them. Every asset is public (it holds no data; the page asks for a token
// before it reads anything) and is answered from memory:
// - an ETag (the file's SHA-256 prefix) and `Cache-Control: no-cache`, so a reload revalidates
//   every file and gets 304 with no body while the binary is unchanged, and a new binary is
//   never mixed with cached files of the old one;
// - the gzip copy made at build time when the request's Accept-Encoding allows it;
// - a Content-Security-Policy that lets the page reach its own origin only (no CDN, no inline
//   script), so "the page makes no request outside the hub" is enforced by the browser too.
#pragma once

#include <boost/beast/http.hpp>
#include <string_view>
#include <vector>

namespace octopus::server::web {

struct Asset {
    std::string_view url;           // "/", "/assets/app.js", "/licenses"
    std::string_view content_type;  // with charset for text
    std::string_view body;
    std::string_view gzip;  // gzip -9 -n of body
    std::string_view etag;  // quoted, as sent
};

// Every embedded asset (generated: build/web/web_assets_data.cpp).
const std::vector<Asset>& assets();

// The asset served at `url`, or null.
const Asset* find_asset(std::string_view url);

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// 200 with the asset (gzip when accepted), or 304 when If-None-Match names its ETag.
Response asset_response(const Asset& asset, const Request& req);

}  // namespace octopus::server::web
