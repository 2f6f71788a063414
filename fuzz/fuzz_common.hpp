// Helpers shared by the fuzz targets: the input as text, and FUZZ_CHECK, which reports a broken
// invariant (file, line, what) and aborts, so that libFuzzer saves the input as a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace octopus::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const std::string& what) {
    std::fprintf(stderr, "\n%s:%d: fuzz invariant broken: %s\n", file, line, what.c_str());
    std::fflush(stderr);
    std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace octopus::fuzz

// `what` is only evaluated when `cond` is false, so it may build a detailed message.
#define FUZZ_CHECK(cond, what)                                          \
    do {                                                                \
        if (!(cond)) ::octopus::fuzz::fail(__FILE__, __LINE__, (what)); \
    } while (0)
