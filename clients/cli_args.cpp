// cli_args implementation. "--flag=value" is split at the first '='; a word that does not start
// with "--" is never an option, so "x=1" is reported as a stray argument.
#include "clients/cli_args.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>

namespace octopus::clients {

std::string quoted(std::string_view s) {
    return "'" + std::string(s) + "'";
}

std::optional<std::uint64_t> whole_number(std::string_view text) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

bool for_each_option(const std::vector<std::string_view>& argv,
                     const std::vector<std::string_view>& switches, const OptionHandler& on_option,
                     const WordHandler& on_word) {
    for (std::size_t i = 0; i < argv.size(); ++i) {
        std::string_view flag = argv[i];
        if (flag == "-h" || flag == "--help") return false;
        if (std::find(switches.begin(), switches.end(), flag) != switches.end()) {
            on_option(flag, std::nullopt);
            continue;
        }
        if (on_word && !flag.starts_with("--")) {
            on_word(flag);
            continue;
        }
        std::string_view value;
        if (const auto eq = flag.find('=');
            eq != std::string_view::npos && flag.starts_with("--")) {
            value = flag.substr(eq + 1);
            flag = flag.substr(0, eq);
        } else if (flag.starts_with("--") && i + 1 < argv.size()) {
            value = argv[++i];
        } else {
            throw UsageError(flag.starts_with("--") ? std::string(flag) + " needs a value"
                                                    : "unexpected argument " + quoted(flag));
        }
        on_option(flag, value);
    }
    return true;
}

std::optional<int> parse_command_line(
    int argc, char** argv, std::string_view program, std::string_view usage,
    const std::function<bool(const std::vector<std::string_view>&)>& parse) {
    bool help = false;
    try {
        help = parse(std::vector<std::string_view>(argv + 1, argv + argc));
    } catch (const UsageError& e) {
        std::cerr << program << ": " << e.what() << "\n" << usage;
        return 2;
    }
    if (help) {
        std::cout << usage;
        return EXIT_SUCCESS;
    }
    return std::nullopt;
}

}  // namespace octopus::clients
