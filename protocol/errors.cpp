#include "protocol/errors.hpp"

#include <array>

namespace octopus::protocol {

namespace {
struct CodeInfo {
    std::string_view name;
    unsigned status;
};

constexpr std::array<CodeInfo, error_code_count> kCodes{{
    {"bad_json", 400},
    {"bad_message", 400},
    {"bad_snapshot", 400},
    {"bad_name", 400},
    {"not_hello", 400},
    {"already_hello", 400},
    {"duplicate_crab", 409},
    {"too_large", 413},
    {"seq_regression", 409},
    {"unknown_crab", 404},
    {"not_found", 404},
    {"method_not_allowed", 405},
    {"overloaded", 503},
    {"crab_offline", 409},
    {"timeout", 504},
    {"bad_config", 422},
    {"too_many_subscriptions", 409},
    {"disk_full", 507},
    {"crab_online", 409},
    {"forbidden", 403},
    {"unauthorized", 401},
    {"rate_limited", 429},
}};
}  // namespace

std::string_view to_string(ErrorCode code) {
    return kCodes.at(static_cast<std::size_t>(code)).name;
}

unsigned http_status(ErrorCode code) {
    return kCodes.at(static_cast<std::size_t>(code)).status;
}

}  // namespace octopus::protocol
