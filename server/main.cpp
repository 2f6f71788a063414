// octopus: the hub executable. Its commands (kUsage below is the full text):
//   serve          runs the hub (server/hub_server.cpp)
//   rebuild-state  recreates every state.db from the JSONL records, offline
//   records        prints a crab's envelopes in hub_seq order, offline
//   token          adds, lists and revokes tokens in the token file (server/auth/token_command)
#include <spdlog/spdlog.h>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "clients/cli_args.hpp"
#include "server/admin_commands.hpp"
#include "server/auth/token_command.hpp"
#include "server/config.hpp"
#include "server/hub_server.hpp"

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  octopus serve [--config FILE] [--listen HOST:PORT] [--data DIR] [--fsync "
    "always|interval|never]\n"
    "                [--no-local-crab] [--alerts RULES_FILE] [--tokens TOKEN_FILE] [--insecure]\n"
    "  octopus rebuild-state --data DIR\n"
    "  octopus records --data DIR NAME [--since UNIX_SECONDS] [--until UNIX_SECONDS]\n"
    "  octopus token add --id ID --scope SCOPE [--scope SCOPE...] [--expires 30d] [--file F]\n"
    "  octopus token list [--file F]\n"
    "  octopus token revoke ID [--file F]\n"
    "    SCOPE: push:GLOB read:GLOB collect:GLOB admin metrics. F: --file, else [auth] tokens\n"
    "    of --config FILE, else config/tokens.toml\n";

int usage(const std::string& problem) {
    std::cerr << "octopus: " << problem << "\n" << kUsage;
    return 2;
}

struct Args {
    std::vector<std::string> positional;
    std::optional<std::string> config, listen, data, fsync, since, until, alerts, tokens;
    std::optional<std::string> id, expires, file;  // token
    std::vector<std::string> scopes;               // token add: --scope, repeatable
    bool no_local_crab = false;
    bool insecure = false;
};

// Reads the options after the command (clients/cli_args conventions: "--flag value" or
// "--flag=value"); returns an error message or empty.
std::string parse(int argc, char** argv, Args& a) {
    std::map<std::string_view, std::optional<std::string>*> values = {
        {"--config", &a.config},   {"--listen", &a.listen}, {"--data", &a.data},
        {"--fsync", &a.fsync},     {"--alerts", &a.alerts}, {"--since", &a.since},
        {"--until", &a.until},     {"--tokens", &a.tokens}, {"--id", &a.id},
        {"--expires", &a.expires}, {"--file", &a.file}};
    try {
        octopus::clients::for_each_option(
            std::vector<std::string_view>(argv + 2, argv + argc), {"--no-local-crab", "--insecure"},
            [&](std::string_view flag, std::optional<std::string_view> value) {
                if (!value) {
                    (flag == "--insecure" ? a.insecure : a.no_local_crab) = true;
                } else if (flag == "--scope") {
                    a.scopes.emplace_back(*value);
                } else if (auto it = values.find(flag); it != values.end()) {
                    *it->second = std::string(*value);
                } else {
                    throw octopus::clients::UsageError("unknown option " + std::string(flag));
                }
            },
            [&](std::string_view word) { a.positional.emplace_back(word); });
    } catch (const octopus::clients::UsageError& e) {
        return e.what();
    }
    return {};
}

int serve(const Args& a) {
    octopus::server::Config config;
    try {
        if (a.config) config = octopus::server::load_config(*a.config);
        if (a.listen) octopus::server::parse_listen(*a.listen, config);
        if (a.data) config.data_dir = *a.data;
        if (a.fsync && !octopus::core::parse_fsync_policy(*a.fsync, config.writer.policy)) {
            return usage("--fsync must be always, interval or never");
        }
        if (a.no_local_crab) config.local_crab = false;
        if (a.insecure) config.insecure = true;
        if (a.alerts) config.alerts_file = *a.alerts;
        if (a.tokens) config.tokens_file = *a.tokens;
    } catch (const std::exception& e) {
        std::cerr << "octopus: " << e.what() << "\n";
        return 2;
    }
    return octopus::server::run_hub(config);
}

// The token file: --file, else [auth] tokens of --config, else config/tokens.toml.
int token(const Args& a) {
    octopus::server::TokenArgs t;
    t.action = a.positional.empty() ? "" : a.positional[0];
    t.words.assign(a.positional.begin() + (a.positional.empty() ? 0 : 1), a.positional.end());
    t.id = a.id;
    t.scopes = a.scopes;
    t.expires = a.expires;
    t.file = "config/tokens.toml";
    try {
        if (a.file) {
            t.file = *a.file;
        } else if (a.config) {
            auto config = octopus::server::load_config(*a.config);
            if (config.tokens_file) t.file = *config.tokens_file;
        }
    } catch (const std::exception& e) {
        std::cerr << "octopus: " << e.what() << "\n";
        return 2;
    }
    return octopus::server::token_command(t, std::cout, std::cerr);
}

std::optional<double> seconds_arg(const std::optional<std::string>& s) {
    if (!s) return std::nullopt;
    return std::stod(*s);
}

}  // namespace

int main(int argc, char** argv) {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        std::cout << kUsage;
        return argc < 2 ? 2 : 0;
    }
    std::string command = argv[1];
    Args a;
    if (auto problem = parse(argc, argv, a); !problem.empty()) return usage(problem);
    if (command == "serve") {
        if (!a.positional.empty()) return usage("serve takes no positional arguments");
        return serve(a);
    }
    if (command == "token") return token(a);
    if (command == "rebuild-state") {
        if (!a.data) return usage("rebuild-state needs --data DIR");
        return octopus::server::rebuild_state(*a.data, std::cout);
    }
    if (command == "records") {
        if (!a.data || a.positional.size() != 1)
            return usage("records needs --data DIR and one crab NAME");
        try {
            return octopus::server::print_records(*a.data, a.positional[0], seconds_arg(a.since),
                                                  seconds_arg(a.until), std::cout);
        } catch (const std::invalid_argument&) {
            return usage("--since and --until take Unix seconds");
        }
    }
    return usage("unknown command " + command);
}
