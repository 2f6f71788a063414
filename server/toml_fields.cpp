#include "server/toml_fields.hpp"

namespace octopus::server {

std::string at_line(const toml::node& node) {
    return " (line " + std::to_string(node.source().begin.line) + ")";
}

void check_keys(const toml::table& table, const std::string& section,
                const std::set<std::string>& known) {
    for (const auto& [key, node] : table) {
        if (!known.count(std::string(key.str()))) {
            config_fail("unknown key \"" + section + (section.empty() ? "" : ".") +
                        std::string(key.str()) + "\" at line " +
                        std::to_string(node.source().begin.line));
        }
    }
}

bool is_crab_glob(const std::string& glob) {
    if (glob.empty() || glob.size() > 256) return false;
    for (char ch : glob) {
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-' || ch == '*' ||
                  ch == '?';
        if (!ok) return false;
    }
    return true;
}

}  // namespace octopus::server
