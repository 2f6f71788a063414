// Crab names: ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$. A name becomes a directory under the data dir,
// so this check is what keeps "../x", "", "a/b" and unicode look-alikes away from the disk.
#pragma once

#include <string_view>

#include "protocol/errors.hpp"

namespace octopus::protocol {

inline constexpr std::string_view crab_name_pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";

bool is_valid_crab_name(std::string_view name);

// The bad_name error every refusal of a crab name sends.
Error bad_name_error();

}  // namespace octopus::protocol
