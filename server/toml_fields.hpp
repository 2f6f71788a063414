// Typed reads of TOML fields for the hub's config files (octopus.toml, alerts.toml). Every
// failure throws std::runtime_error naming the key and its line, so an operator can go straight
// to the mistake; an unknown key is an error too, so a typo never silently means a default.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "protocol/limits.hpp"

namespace octopus::server {

[[noreturn]] inline void config_fail(const std::string& what) {
    throw std::runtime_error(what);
}

// " (line N)" for messages about `node`.
std::string at_line(const toml::node& node);

// Refuses any key of `table` not in `known`; `section` prefixes the key in the message.
void check_keys(const toml::table& table, const std::string& section,
                const std::set<std::string>& known);

// Reads t[key] into `out` when present: a string, a bool, or a non-negative integer.
template <typename T>
void read(const toml::table& t, const char* key, T& out) {
    const toml::node* node = t.get(key);
    if (!node) return;
    if constexpr (std::is_same_v<T, std::string>) {
        auto v = node->value<std::string>();
        if (!v) config_fail(std::string(key) + " must be a string" + at_line(*node));
        out = *v;
    } else if constexpr (std::is_same_v<T, bool>) {
        auto v = node->value<bool>();
        if (!v) config_fail(std::string(key) + " must be true or false" + at_line(*node));
        out = *v;
    } else {
        auto v = node->value<std::int64_t>();
        if (!v || *v < 0)
            config_fail(std::string(key) + " must be a non-negative integer" + at_line(*node));
        if (static_cast<std::uint64_t>(*v) >
            static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
            config_fail(std::string(key) + " is too large" + at_line(*node));
        out = static_cast<T>(*v);
    }
}

// Reads t[key], a duration counted in units of `unit_ms` milliseconds, into `count` when present:
// non-negative and at most protocol::max_config_duration_ms (7 days), so no timer overflows.
inline void read_duration(const toml::table& t, const char* key, std::int64_t& count,
                          std::int64_t unit_ms = 1) {
    read(t, key, count);
    if (count > protocol::max_config_duration_ms / unit_ms)
        config_fail(std::string(key) + " must be at most 7 days" + at_line(*t.get(key)));
}

// A crab name or a glob of name characters, * and ?.
bool is_crab_glob(const std::string& glob);

}  // namespace octopus::server
