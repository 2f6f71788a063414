// Crab names: ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$. A name becomes a directory under the data dir,
// so this check is what keeps "../x", "", "a/b" and unicode look-alikes away from the disk.
#pragma once

#include <string_view>

namespace octopus::protocol {

bool is_valid_crab_name(std::string_view name);

}  // namespace octopus::protocol
