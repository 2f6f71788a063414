// cli_args: the command-line conventions every Octopus program shares (octopus, octopus-crab,
// octopus-bell, octopus-bench; its own small library, octopus_cli). Options are
// "--flag value" or "--flag=value"; switches (e.g. --json) take no value; -h/--help prints the
// usage on stdout and exits 0; any usage error prints "PROGRAM: why" and the usage on stderr and
// exits 2. What each flag means stays in the tool's own main file. Nothing here logs or touches
// the network, and options are applied strictly in argv order, so the first bad one is reported.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace octopus::clients {

// Thrown by option parsing; main() turns it into exit code 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// 'text', for error messages.
std::string quoted(std::string_view s);

// The whole text as a decimal number, or none (empty, a sign, trailing junk, too large).
std::optional<std::uint64_t> whole_number(std::string_view text);

// Called once per option, in argv order: `value` is none for a switch.
using OptionHandler =
    std::function<void(std::string_view flag, std::optional<std::string_view> value)>;

// Called for each word that is not an option (a positional argument), in argv order.
using WordHandler = std::function<void(std::string_view word)>;

// Walks argv (without the program name). Returns false as soon as -h or --help is seen (help
// wanted), true after the last option. Throws UsageError for a missing value, or for a stray
// word when there is no `on_word`.
bool for_each_option(const std::vector<std::string_view>& argv,
                     const std::vector<std::string_view>& switches, const OptionHandler& on_option,
                     const WordHandler& on_word = nullptr);

// Runs `parse` on argv; it returns true when help was asked for. Returns the exit code when the
// program should stop now (0 after printing the usage for help, 2 after a UsageError), or none
// to go on.
std::optional<int> parse_command_line(
    int argc, char** argv, std::string_view program, std::string_view usage,
    const std::function<bool(const std::vector<std::string_view>&)>& parse);

}  // namespace octopus::clients
