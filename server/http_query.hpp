// Query strings of HTTP targets: the parameters after '?', %XX-decoded. What a parameter means
// is the handler's business; this only splits and decodes, refusing what is ambiguous.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/result.hpp"

namespace octopus::server {

// %XX-decodes a query-string component; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

// The parameters after '?': name=value pairs joined by '&'. A pair without '=' has an empty
// value; a malformed escape or a repeated name is bad_message.
protocol::Result<std::map<std::string, std::string>> query_params(std::string_view target);

}  // namespace octopus::server
