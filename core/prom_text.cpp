#include "core/prom_text.hpp"

#include <cstdio>

namespace octopus::core {

void PromText::family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ");
    out_.append(name).append(" ").append(type).append("\n");
}

void PromText::sample(std::string_view name, const Labels& labels, double value) {
    out_.append(name);
    if (!labels.empty()) {
        out_.push_back('{');
        bool first = true;
        for (const auto& [key, val] : labels) {
            if (!first) out_.push_back(',');
            first = false;
            out_.append(key).append("=\"");
            for (char c : val) {
                if (c == '\\' || c == '"') out_.push_back('\\');
                if (c == '\n') {
                    out_.append("\\n");
                    continue;
                }
                out_.push_back(c);
            }
            out_.push_back('"');
        }
        out_.push_back('}');
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, " %.17g\n", value);
    out_.append(buf);
}

}  // namespace octopus::core
