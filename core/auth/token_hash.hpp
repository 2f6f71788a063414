// Tokens and their digests. A token is "oct_" followed by 64 hex digits: 32 bytes from the
// operating system's CSPRNG (OpenSSL RAND_bytes), 256 bits, so a stored SHA-256 digest is as good
// as the token for checking and useless for guessing it (no salt or slow hash is needed for a
// random secret of that size, unlike a password). The hub stores and compares digests only;
// comparisons run in constant time (CRYPTO_memcmp) so response timing says nothing about how
// much of a guess was right.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace octopus::core::auth {

using Digest = std::array<std::uint8_t, 32>;

Digest sha256(std::string_view data);

// "sha256:" followed by 64 lower-case hex digits: how a digest is written in the token file.
std::string digest_text(const Digest& d);
std::optional<Digest> parse_digest(std::string_view text);

bool digests_equal(const Digest& a, const Digest& b);

// A fresh token; throws std::runtime_error if the CSPRNG fails.
std::string new_token();

}  // namespace octopus::core::auth
