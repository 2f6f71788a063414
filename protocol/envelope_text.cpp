#include "protocol/envelope_text.hpp"

#include "protocol/json_text.hpp"

namespace octopus::protocol {

namespace {
constexpr auto npos = std::string_view::npos;
}  // namespace

std::size_t string_end(std::string_view s, std::size_t i) {
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
        } else if (s[i] == '"') {
            return i + 1;
        }
    }
    return npos;
}

std::size_t values_begin(std::string_view line) {
    constexpr std::string_view field = "\"values\":{";
    auto at = line.find(field);
    return at == npos ? npos : at + field.size() - 1;
}

KeyFilter::KeyFilter(const std::vector<std::string>& keys) {
    for (const auto& k : keys) {
        std::string quoted;
        append_json_string(quoted, k);
        quoted_.insert(std::move(quoted));
    }
}

std::string project_envelope(std::string_view line, const KeyFilter& keys) {
    auto begin = keys.all() ? npos : values_begin(line);
    if (begin == npos) return std::string(line);
    std::string members;
    auto end = for_each_member(line, begin, [&](std::string_view key, std::string_view token) {
        if (!keys.wants(key)) return;
        if (!members.empty()) members += ',';
        members.append(key).append(":").append(token);
    });
    if (end == npos) return std::string(line);
    std::string out(line.substr(0, begin));
    out.append("{").append(members).append("}").append(line.substr(end));
    return out;
}

}  // namespace octopus::protocol
