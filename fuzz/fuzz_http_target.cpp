// Fuzz target: an HTTP request target as the hub's HTTP API takes it apart: the path against the
// route table (server::match_route, route_crab_valid), the query string
// (server::query_params, percent_decode) and the read API's parameters (core::parse_records_query).
// Invariants checked beyond "does not crash":
//  - a matched route gives the path back when its {crab} segment is put into the pattern, and a
//    {crab} that route_crab_valid accepts is a valid crab name (never "..", never with a '/');
//  - percent_decode undoes percent-encoding (of any bytes), and query_params of a target
//    rebuilt from accepted parameters (percent-encoded) gives the same parameters;
//  - an accepted records query keeps its rules (until >= since, step >= 1 with agg, non-empty
//    keys, at most kMaxRecordsRows buckets), and written back as a query string it parses to
//    the identical query.
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "core/storage/records_query.hpp"
#include "fuzz_common.hpp"
#include "protocol/names.hpp"
#include "server/http_query.hpp"
#include "server/http_routes.hpp"

namespace {

using namespace octopus;
using Params = std::map<std::string, std::string>;

// The route patterns of server/http_api.cpp's route_table() (server::http_routes() lists them,
// but linking http_api.cpp would bring in the whole server): keep in step with it.
constexpr std::string_view kPatterns[] = {
    "/healthz",
    "/",
    "/assets/{file}",
    "/licenses",
    "/licenses/{file}",
    "/v1/hub/stats",
    "/v1/latest",
    "/v1/whoami",
    "/metrics",
    "/v1/crabs",
    "/v1/crabs/{crab}",
    "/v1/crabs/{crab}/buffer",
    "/v1/crabs/{crab}/snapshots",
    "/v1/crabs/{crab}/collect",
    "/v1/crabs/{crab}/records",
    "/v1/collect",
    "/v1/alerts",
    "/v1/admin/reload",
    "/v1/admin/crabs/{crab}/reset-seq",
};

std::string percent_encode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~';
        if (plain) {
            out += ch;
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        }
    }
    return out;
}

void check_routes(std::string_view path) {
    for (auto pattern : kPatterns) {
        server::RouteMatch match;
        if (!server::match_route(pattern, path, match)) continue;
        std::string rebuilt(pattern);
        if (auto at = rebuilt.find("{crab}"); at != std::string::npos) {
            rebuilt.replace(at, 6, match.crab);
        }
        FUZZ_CHECK(rebuilt == path, "route " + std::string(pattern) + " matched " +
                                        std::string(path) + " but rebuilds " + rebuilt);
        if (server::route_crab_valid(match, pattern) && !match.crab.empty()) {
            FUZZ_CHECK(protocol::is_valid_crab_name(match.crab) && match.crab != ".." &&
                           match.crab.find('/') == std::string::npos,
                       "route_crab_valid accepted crab " + match.crab);
        }
    }
}

std::string to_target(const Params& params) {
    std::string target = "/v1/crabs/a/records";
    char sep = '?';
    for (const auto& [name, value] : params) {
        target += sep + percent_encode(name) + "=" + percent_encode(value);
        sep = '&';
    }
    return target;
}

void check_query(std::string_view target, const Params& params) {
    for (const auto& [name, value] : params) {
        auto back = server::percent_decode(percent_encode(value));
        FUZZ_CHECK(back && *back == value, "percent_decode does not undo percent-encoding");
    }
    auto again = server::query_params(to_target(params));
    FUZZ_CHECK(again.ok() && again.value() == params,
               "query parameters do not survive re-encoding: " + std::string(target));
}

std::string number_text(double v) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, end);
}

// The query written back as URL parameters (numbers in their shortest exact form).
Params to_params(const core::RecordsQuery& q) {
    static constexpr const char* kAgg[] = {"avg", "min", "max", "last"};
    Params p;
    if (q.since) p["since"] = number_text(*q.since);
    if (q.until) p["until"] = number_text(*q.until);
    if (q.step) p["step"] = std::to_string(q.step);
    if (q.step) p["agg"] = kAgg[static_cast<int>(q.agg)];
    std::string keys;
    for (const auto& k : q.keys) keys += (keys.empty() ? "" : ",") + k;
    if (!q.keys.empty()) p["keys"] = keys;
    return p;
}

bool same(const core::RecordsQuery& a, const core::RecordsQuery& b) {
    return a.since == b.since && a.until == b.until && a.step == b.step &&
           (a.agg == b.agg || !a.step) && a.keys == b.keys;
}

// At most kMaxRecordsRows step-wide buckets between since and until (when all three are given).
bool within_bucket_cap(const core::RecordsQuery& q) {
    if (!q.step || !q.since || !q.until) return true;
    double step = static_cast<double>(q.step);
    double buckets = std::ceil(*q.until / step) - std::floor(*q.since / step);
    return buckets <= static_cast<double>(core::kMaxRecordsRows);
}

void check_records_query(const Params& params) {
    auto parsed = core::parse_records_query(params);
    if (!parsed) {
        FUZZ_CHECK(!parsed.error().message.empty(), "error without a message");
        return;
    }
    const auto& q = parsed.value();
    FUZZ_CHECK(!q.since || !q.until || *q.until >= *q.since, "until before since accepted");
    FUZZ_CHECK(!params.count("agg") || q.step >= 1, "agg without step accepted");
    FUZZ_CHECK(within_bucket_cap(q), "window over the bucket cap accepted");
    for (const auto& k : q.keys) FUZZ_CHECK(!k.empty(), "empty key accepted");
    auto again = core::parse_records_query(to_params(q));
    FUZZ_CHECK(again.ok() && same(q, again.value()),
               "records query does not survive re-encoding: " + to_target(to_params(q)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto target = fuzz::as_text(data, size);
    check_routes(target.substr(0, target.find('?')));
    auto params = server::query_params(target);
    if (!params) return 0;
    check_query(target, params.value());
    check_records_query(params.value());
    return 0;
}
