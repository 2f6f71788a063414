#include "server/auth/token_file.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>

#include "protocol/names.hpp"
#include "server/toml_fields.hpp"

namespace octopus::server {

namespace auth = core::auth;

namespace {

// A mistake at a place in the file; load_token_file prefixes the file name.
struct Located : std::runtime_error {
    Located(const toml::source_position& at, const std::string& what)
        : std::runtime_error(std::to_string(at.line) + ":" + std::to_string(at.column) + ": " +
                             what) {}
};

std::string required_string(const toml::table& t, const char* key) {
    const toml::node* node = t.get(key);
    if (!node) throw Located(t.source().begin, std::string(key) + " is required");
    auto v = node->value<std::string>();
    if (!v) throw Located(node->source().begin, std::string(key) + " must be a string");
    return *v;
}

auth::SystemTime to_system_time(const toml::date_time& dt) {
    using namespace std::chrono;
    auto days = sys_days{year{dt.date.year} / month{dt.date.month} / day{dt.date.day}};
    auto t = days + hours{dt.time.hour} + minutes{dt.time.minute} + seconds{dt.time.second};
    return time_point_cast<system_clock::duration>(t - minutes{dt.offset->minutes});
}

std::vector<auth::Scope> read_scopes(const toml::table& t) {
    const toml::node* node = t.get("scopes");
    if (!node) throw Located(t.source().begin, "scopes is required");
    const auto* list = node->as_array();
    if (!list || list->empty())
        throw Located(node->source().begin, "scopes must be a non-empty array of strings");
    std::vector<auth::Scope> scopes;
    for (const auto& item : *list) {
        auto text = item.value<std::string>();
        auto scope = text ? auth::parse_scope(*text) : std::nullopt;
        if (!scope) {
            throw Located(item.source().begin,
                          "a scope is push:GLOB, read:GLOB, collect:GLOB, admin or metrics");
        }
        scopes.push_back(*scope);
    }
    return scopes;
}

auth::Grant read_grant(const toml::table& t) {
    for (const auto& [key, node] : t) {
        static const std::set<std::string_view> known{"id", "hash", "scopes", "expires"};
        if (!known.count(key.str()))
            throw Located(key.source().begin, "unknown key \"" + std::string(key.str()) + "\"");
    }
    auth::Grant g;
    g.id = required_string(t, "id");
    if (!protocol::is_valid_crab_name(g.id))
        throw Located(t.get("id")->source().begin, "id must be 1..64 name characters");
    auto hash = auth::parse_digest(required_string(t, "hash"));
    if (!hash) throw Located(t.get("hash")->source().begin, "hash must be sha256:<64 hex digits>");
    g.hash = *hash;
    g.scopes = read_scopes(t);
    if (const toml::node* e = t.get("expires")) {
        auto dt = e->value<toml::date_time>();
        if (!dt || !dt->offset)
            throw Located(e->source().begin,
                          "expires must be a date-time with offset, e.g. "
                          "2027-01-06T12:00:00Z");
        // system_clock counts nanoseconds in int64: it ends in 2262 (a later year overflowed it,
        // fuzz/regressions/fuzz_token_file).
        if (dt->date.year < 1970 || dt->date.year > 2200)
            throw Located(e->source().begin, "expires must be a year from 1970 to 2200");
        g.expires = to_system_time(*dt);
    }
    return g;
}

auth::TokenSet read_tokens(const toml::table& root) {
    for (const auto& [key, node] : root) {
        if (key.str() != "token")
            throw Located(key.source().begin, "unknown key \"" + std::string(key.str()) +
                                                  "\" (only [[token]] tables belong here)");
    }
    auth::TokenSet set;
    const toml::node* node = root.get("token");
    if (!node) return set;
    const auto* list = node->as_array();
    if (!list || !list->is_array_of_tables())
        throw Located(node->source().begin, "token must be written [[token]]");
    std::set<std::string> ids;
    for (const auto& item : *list) {
        auto grant = read_grant(*item.as_table());
        if (!ids.insert(grant.id).second)
            throw Located(item.source().begin, "id \"" + grant.id + "\" appears twice");
        for (const auto& other : set.grants) {
            if (auth::digests_equal(other->hash, grant.hash))
                throw Located(item.source().begin, "the same hash as token \"" + other->id + "\"");
        }
        set.grants.push_back(std::make_shared<const auth::Grant>(std::move(grant)));
    }
    return set;
}

toml::table parse_located(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error(file.string() + ": cannot read it");
    std::stringstream text;
    text << in.rdbuf();
    try {
        return toml::parse(text.str(), file.string());
    } catch (const toml::parse_error& e) {
        throw std::runtime_error(file.string() + ":" + std::to_string(e.source().begin.line) + ":" +
                                 std::to_string(e.source().begin.column) + ": " +
                                 std::string(e.description()));
    }
}

std::string read_all(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Writes `text` to FILE.tmp (mode 0600), fsyncs it and renames it over `file`.
void replace_file(const std::filesystem::path& file, const std::string& text) {
    auto tmp = file;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text;
        out.flush();
        if (!out) throw std::runtime_error(tmp.string() + ": cannot write it");
    }
    ::chmod(tmp.c_str(), 0600);
    std::filesystem::rename(tmp, file);
}

std::string entry_text(const auth::Grant& g) {
    std::string text = "\n[[token]]\nid = \"" + g.id + "\"\nhash = \"" + auth::digest_text(g.hash) +
                       "\"\nscopes = [";
    for (std::size_t i = 0; i < g.scopes.size(); ++i)
        text += (i ? ", \"" : "\"") + auth::scope_text(g.scopes[i]) + "\"";
    text += "]\n";
    if (g.expires) text += "expires = " + utc_text(*g.expires) + "\n";
    return text;
}

// Removing lines is exact for files written as [[token]] tables, one per header line (what
// `token add` writes). For anything else (an inline array of tables, two entries on a line) the
// edited text must still hold every other entry, unchanged, or nothing is written.
void check_only_removed(const std::filesystem::path& file, const std::string& text,
                        const auth::TokenSet& before, const std::string& id) {
    auto entry = [](const auth::Grant& g) {
        std::string out = g.id + " " + auth::digest_text(g.hash);
        for (const auto& s : g.scopes) out += " " + auth::scope_text(s);
        return out + (g.expires ? " " + utc_text(*g.expires) : "");
    };
    std::vector<std::string> want, got;
    for (const auto& g : before.grants)
        if (g->id != id) want.push_back(entry(*g));
    try {
        for (const auto& g : read_tokens(toml::parse(text, file.string())).grants)
            got.push_back(entry(*g));
    } catch (const std::exception&) {
        got.clear();
        got.push_back("unreadable");
    }
    if (got != want)
        throw std::runtime_error(file.string() + ": token \"" + id +
                                 "\" is not a [[token]] table of its own; remove it by hand");
}

}  // namespace

auth::TokenSet load_token_file(const std::filesystem::path& file) {
    auto root = parse_located(file);
    try {
        return read_tokens(root);
    } catch (const Located& e) {
        throw std::runtime_error(file.string() + ":" + e.what());
    }
}

std::optional<std::chrono::seconds> parse_lifetime(std::string_view text) {
    if (text.size() < 2) return std::nullopt;
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, n);
    if (ec != std::errc() || end != text.data() + text.size() - 1 || n <= 0 || n > 100000)
        return std::nullopt;
    switch (text.back()) {
        case 's':
            return std::chrono::seconds(n);
        case 'm':
            return std::chrono::minutes(n);
        case 'h':
            return std::chrono::hours(n);
        case 'd':
            return std::chrono::hours(24 * n);
        default:
            return std::nullopt;
    }
}

std::string utc_text(auth::SystemTime t) {
    std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

void append_token(const std::filesystem::path& file, const auth::Grant& grant) {
    std::string text = std::filesystem::exists(file)
                           ? read_all(file)
                           : "# Octopus tokens: written by `octopus token add`; see "
                             "server/auth/token_file.hpp.\n";
    text += entry_text(grant);
    auto check = toml::parse(text, file.string());
    try {
        read_tokens(check);
    } catch (const Located& e) {
        throw std::runtime_error(file.string() + ": " + e.what());
    }
    replace_file(file, text);
}

// The entry of `id` runs from its [[token]] line to the line before the next [[token]] (or the
// end); comments and other entries stay as they were.
void revoke_token(const std::filesystem::path& file, const std::string& id) {
    auto root = parse_located(file);
    auto set = load_token_file(file);
    std::vector<std::size_t> starts;  // 1-based lines of every [[token]] header
    std::size_t target = 0;
    if (const auto* list = root["token"].as_array()) {
        for (const auto& item : *list) {
            auto line = static_cast<std::size_t>(item.source().begin.line);
            starts.push_back(line);
            if (item.as_table()->get("id")->value<std::string>() == id) target = line;
        }
    }
    if (!target) throw std::runtime_error(file.string() + ": no token with id \"" + id + "\"");
    std::sort(starts.begin(), starts.end());
    auto next = std::upper_bound(starts.begin(), starts.end(), target);
    std::size_t stop = next == starts.end() ? SIZE_MAX : *next;
    std::istringstream in(read_all(file));
    std::string line, text;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
        if (n >= target && n < stop) continue;
        text += line + "\n";
    }
    check_only_removed(file, text, set, id);
    replace_file(file, text);
}

void list_tokens(const std::filesystem::path& file, std::ostream& out) {
    auto set = load_token_file(file);
    for (const auto& g : set.grants) {
        out << g->id << "  ";
        for (std::size_t i = 0; i < g->scopes.size(); ++i)
            out << (i ? "," : "") << auth::scope_text(g->scopes[i]);
        out << "  " << (g->expires ? "expires " + utc_text(*g->expires) : "never expires") << "\n";
    }
}

}  // namespace octopus::server
