#include "core/auth/token_hash.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace octopus::core::auth {

namespace {
constexpr std::string_view kDigestPrefix = "sha256:";
constexpr std::string_view kTokenPrefix = "oct_";
constexpr char kHex[] = "0123456789abcdef";

std::string hex(const std::uint8_t* data, std::size_t n) {
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out += kHex[data[i] >> 4];
        out += kHex[data[i] & 0xf];
    }
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}
}  // namespace

Digest sha256(std::string_view data) {
    Digest d{};
    unsigned int n = 0;
    if (!EVP_Digest(data.data(), data.size(), d.data(), &n, EVP_sha256(), nullptr) || n != d.size())
        throw std::runtime_error("SHA-256 failed");
    return d;
}

std::string digest_text(const Digest& d) {
    return std::string(kDigestPrefix) + hex(d.data(), d.size());
}

std::optional<Digest> parse_digest(std::string_view text) {
    if (text.substr(0, kDigestPrefix.size()) != kDigestPrefix) return std::nullopt;
    text.remove_prefix(kDigestPrefix.size());
    Digest d{};
    if (text.size() != d.size() * 2) return std::nullopt;
    for (std::size_t i = 0; i < d.size(); ++i) {
        int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        d[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return d;
}

bool digests_equal(const Digest& a, const Digest& b) {
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string new_token() {
    std::array<std::uint8_t, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw std::runtime_error("the system's random number generator failed");
    return std::string(kTokenPrefix) + hex(bytes.data(), bytes.size());
}

}  // namespace octopus::core::auth
