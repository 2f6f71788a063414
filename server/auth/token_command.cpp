#include "server/auth/token_command.hpp"

#include <ostream>

#include "protocol/names.hpp"
#include "server/auth/token_file.hpp"

namespace octopus::server {

namespace auth = core::auth;

namespace {

int add(const TokenArgs& a, std::ostream& out, std::ostream& err) {
    if (!a.id || !protocol::is_valid_crab_name(*a.id)) {
        err << "octopus token add: --id ID is required (1..64 of A-Z a-z 0-9 . _ -)\n";
        return 2;
    }
    if (a.scopes.empty()) {
        err << "octopus token add: give at least one --scope (push:GLOB, read:GLOB, "
               "collect:GLOB, admin, metrics)\n";
        return 2;
    }
    auth::Grant g;
    g.id = *a.id;
    for (const auto& text : a.scopes) {
        auto scope = auth::parse_scope(text);
        if (!scope) {
            err << "octopus token add: \"" << text
                << "\" is not a scope (push:GLOB, read:GLOB, collect:GLOB, admin, metrics)\n";
            return 2;
        }
        g.scopes.push_back(*scope);
    }
    if (a.expires) {
        auto life = parse_lifetime(*a.expires);
        if (!life) {
            err << "octopus token add: --expires takes a lifetime such as 30d, 12h, 15m\n";
            return 2;
        }
        g.expires = std::chrono::time_point_cast<std::chrono::seconds>(
            std::chrono::system_clock::now() + *life);
    }
    std::string token = auth::new_token();
    g.hash = auth::sha256(token);
    append_token(a.file, g);
    out << token << "\n";
    err << "token \"" << g.id << "\" added to " << a.file.string()
        << "; it is shown only now (the file keeps its SHA-256)\n";
    return 0;
}

}  // namespace

int token_command(const TokenArgs& a, std::ostream& out, std::ostream& err) {
    try {
        if (a.action == "add") return add(a, out, err);
        if (a.action == "list") {
            list_tokens(a.file, out);
            return 0;
        }
        if (a.action == "revoke") {
            if (a.words.size() != 1) {
                err << "octopus token revoke: give one token ID\n";
                return 2;
            }
            revoke_token(a.file, a.words[0]);
            err << "token \"" << a.words[0] << "\" revoked in " << a.file.string() << "\n";
            return 0;
        }
    } catch (const std::exception& e) {
        err << "octopus token " << a.action << ": " << e.what() << "\n";
        return 1;
    }
    err << "octopus token: unknown action \"" << a.action << "\" (add, list, revoke)\n";
    return 2;
}

}  // namespace octopus::server
