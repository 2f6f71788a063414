#include "protocol/names.hpp"

#include <string>

#include "protocol/limits.hpp"

namespace octopus::protocol {

namespace {
bool is_alnum(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
}  // namespace

bool is_valid_crab_name(std::string_view name) {
    if (name.empty() || name.size() > max_name_bytes || !is_alnum(name.front())) return false;
    for (char c : name) {
        if (!is_alnum(c) && c != '.' && c != '_' && c != '-') return false;
    }
    return true;
}

Error bad_name_error() {
    return {ErrorCode::bad_name, "crab name must match " + std::string(crab_name_pattern)};
}

}  // namespace octopus::protocol
