// Reading a stored envelope's text without parsing it into a tree. Envelopes are compact and
// their `values` is a flat object of number tokens, true/false and strings, with keys escaped
// by append_json_string (protocol/envelope.cpp writes them). Reading that text directly keeps
// every token byte for byte: the one projection (`keys`) for subscribers and the read API.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace octopus::protocol {

// One past the closing quote of the string starting at s[i] (npos if unterminated).
std::size_t string_end(std::string_view s, std::size_t i);

// Where the values object starts ('{'), or npos. The fields before it (hub_seq, crab, seq,
// received_at, timestamp) cannot contain `"values":{`, so the first match is the field.
std::size_t values_begin(std::string_view line);

// Calls fn(quoted_key, token) for each member of the flat object at s[begin] == '{'; returns
// one past its closing brace, or npos if the text is not such an object.
template <typename Fn>
std::size_t for_each_member(std::string_view s, std::size_t begin, Fn&& fn) {
    constexpr auto npos = std::string_view::npos;
    std::size_t i = begin + 1;
    if (i < s.size() && s[i] == '}') return i + 1;
    while (i < s.size() && s[i] == '"') {
        auto key_end = string_end(s, i);
        if (key_end >= s.size() || s[key_end] != ':') return npos;
        auto end = key_end + 1 < s.size() && s[key_end + 1] == '"'
                       ? string_end(s, key_end + 1)
                       : s.find_first_of(",}", key_end + 1);
        if (end >= s.size()) return npos;
        fn(s.substr(i, key_end - i), s.substr(key_end + 1, end - key_end - 1));
        if (s[end] == '}') return end + 1;
        if (s[end] != ',') return npos;
        i = end + 1;
    }
    return npos;
}

// The requested value keys in their stored (quoted, escaped) form; empty means every key.
class KeyFilter {
  public:
    KeyFilter() = default;
    explicit KeyFilter(const std::vector<std::string>& keys);
    bool wants(std::string_view quoted_key) const {
        return quoted_.empty() || quoted_.find(quoted_key) != quoted_.end();
    }
    bool all() const { return quoted_.empty(); }

  private:
    std::set<std::string, std::less<>> quoted_;
};

// The envelope with only the wanted members left in `values`, in their stored order; every
// other byte, and every kept token, unchanged.
std::string project_envelope(std::string_view line, const KeyFilter& keys);

}  // namespace octopus::protocol
