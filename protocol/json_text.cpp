#include "protocol/json_text.hpp"

#include <charconv>
#include <string>

#include "protocol/limits.hpp"

namespace octopus::protocol {

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out.push_back(kHex[c >> 4]);
                    out.push_back(kHex[c & 0xf]);
                } else {
                    out.push_back(ch);
                }
        }
    }
    out.push_back('"');
}

void append_uint(std::string& out, std::uint64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
}

void append_seconds_us(std::string& out, std::int64_t micros) {
    if (micros < 0) {
        out.push_back('-');
        micros = -micros;
    }
    append_uint(out, static_cast<std::uint64_t>(micros / 1000000));
    out.push_back('.');
    char frac[6];
    auto rest = micros % 1000000;
    for (int i = 5; i >= 0; --i) {
        frac[i] = static_cast<char>('0' + rest % 10);
        rest /= 10;
    }
    out.append(frac, 6);
}

bool parse_seconds_us(std::string_view text, std::int64_t& micros) {
    bool negative = !text.empty() && text.front() == '-';
    if (negative) text.remove_prefix(1);
    auto dot = text.find('.');
    auto whole = text.substr(0, dot);
    std::int64_t secs = 0;
    auto [p, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), secs);
    if (ec != std::errc{} || p != whole.data() + whole.size() || whole.empty()) return false;
    std::int64_t frac = 0;
    if (dot != std::string_view::npos) {
        auto digits = text.substr(dot + 1);
        if (digits.empty() || digits.size() > 6) return false;
        for (char c : digits) {
            if (c < '0' || c > '9') return false;
            frac = frac * 10 + (c - '0');
        }
        for (auto i = digits.size(); i < 6; ++i) frac *= 10;
    }
    micros = secs * 1000000 + frac;
    if (negative) micros = -micros;
    return true;
}

bool json_nesting_within(std::string_view text, std::size_t max_depth) {
    std::size_t depth = 0;
    const std::size_t n = text.size();
    for (std::size_t i = 0; i < n; ++i) {
        switch (text[i]) {
            case '"':
                // Skip the string: to its closing quote, stepping over escapes.
                for (++i; i < n && text[i] != '"'; ++i) {
                    if (text[i] == '\\') ++i;
                }
                break;
            case '[':
            case '{':
                if (++depth > max_depth) return false;
                break;
            case ']':
            case '}':
                if (depth > 0) --depth;
                break;
            default:
                break;
        }
    }
    return true;
}

Error too_deep_error() {
    return {ErrorCode::bad_json,
            "JSON nested deeper than " + std::to_string(max_json_depth) + " levels"};
}

void append_quoted_prefix(std::string& out, std::string_view s, std::size_t max_bytes) {
    bool cut = s.size() > max_bytes;
    if (cut) {
        s = s.substr(0, max_bytes);
        // Never end inside a UTF-8 sequence: drop continuation bytes and their lead.
        while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80)
            s.remove_suffix(1);
        if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.remove_suffix(1);
    }
    append_json_string(out, s);
    if (cut) out += "...";
}

}  // namespace octopus::protocol
