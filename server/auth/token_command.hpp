// `octopus token add|list|revoke`: token administration on the token file, offline (the hub
// reloads the file by itself when it changes). `add` prints the new token once, on stdout, and
// stores only its digest.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace octopus::server {

struct TokenArgs {
    std::string action;               // add, list, revoke
    std::vector<std::string> words;   // revoke: the id
    std::optional<std::string> id;    // add
    std::vector<std::string> scopes;  // add
    std::optional<std::string> expires;
    std::filesystem::path file;
};

// The process exit code: 0 done, 1 the file could not be changed, 2 a usage mistake.
int token_command(const TokenArgs& args, std::ostream& out, std::ostream& err);

}  // namespace octopus::server
