// Alert conditions: the lexer, the recursive-descent parser and the evaluator (grammar and
// semantics in alert_condition.hpp). The lexer is lazy, one token ahead of the parser, so the
// error reported is the first one in reading order, be it a stray character or a misplaced word.
// Parse functions record the first error and return std::nullopt; nothing throws. The tree is a
// flat vector of nodes addressed by index, leaves appended in source order, built once and then
// only read, so copies of a Condition share it and may evaluate it from any thread.
#include "core/alerts/alert_condition.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

namespace octopus::core {

namespace {

using std::chrono::milliseconds;

// The longest duration accepted (~11 years): far beyond any sensible window, and small enough
// that now_us arithmetic on it cannot overflow.
constexpr double kMaxDurationMs = 100000.0 * 3600 * 1000;
// Tokens longer than this are cut in error messages.
constexpr std::size_t kMaxQuotedToken = 40;

enum class CompareOp { gt, ge, lt, le, eq, ne };

using NodeId = std::uint32_t;
struct AnyOf {
    std::vector<NodeId> terms;
};
struct AllOf {
    std::vector<NodeId> terms;
};
struct Negate {
    NodeId operand;
};
struct Absent {
    std::string key;
};
struct Silent {
    milliseconds window;
};
struct Offline {};
struct Compare {
    std::string key;
    std::optional<milliseconds> rate_window;  // set: compares rate(key, window), not the value
    CompareOp op;
    AlertValue literal;
};
using Node = std::variant<AnyOf, AllOf, Negate, Absent, Silent, Offline, Compare>;

}  // namespace

struct ConditionAst {
    std::vector<Node> nodes;
    NodeId root = 0;
};

namespace {

// ---- lexer -------------------------------------------------------------------------------------

enum class Tok { end, word, string, number, lparen, rparen, comma, op, bad };

struct Token {
    Tok kind = Tok::end;
    std::size_t pos = 0;  // byte offset of the token in the text
    std::size_t len = 0;
    std::string value;      // word: the word; string: the unescaped contents; bad: the message
    std::size_t where = 0;  // bad: offset the message points at; number: where its unit starts
    double number = 0;
    CompareOp op = CompareOp::eq;

    std::size_t end() const { return pos + len; }
};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_key_start(char c) {
    return is_alpha(c) || c == '_';
}
bool is_key_char(char c) {
    return is_key_start(c) || is_digit(c) || c == '.' || c == '-';
}
bool is_unit_char(char c) {
    return is_alpha(c) || is_digit(c) || c == '_';
}

bool is_keyword(std::string_view w) {
    static constexpr std::string_view kKeywords[] = {"and",     "or",   "not",  "absent", "silent",
                                                     "offline", "rate", "true", "false"};
    return std::find(std::begin(kKeywords), std::end(kKeywords), w) != std::end(kKeywords);
}

Token bad_token(std::size_t pos, std::size_t where, std::string message) {
    Token t;
    t.kind = Tok::bad;
    t.pos = pos;
    t.where = where;
    t.value = std::move(message);
    return t;
}

std::string_view at_offset(std::string_view text, std::size_t pos, std::size_t len) {
    return text.substr(pos, len);
}

// A JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, then any unit suffix glued to it
// ("30s"). An "e" not followed by exponent digits starts the suffix ("5e" has unit "e").
Token lex_number(std::string_view text, std::size_t pos) {
    std::size_t i = pos;
    if (text[i] == '-') ++i;
    auto digits = [&] {
        while (i < text.size() && is_digit(text[i])) ++i;
    };
    if (text[i] == '0' && i + 1 < text.size() && is_digit(text[i + 1])) {
        digits();
        return bad_token(pos, pos,
                         "invalid number \"" + std::string(at_offset(text, pos, i - pos)) +
                             "\": leading zeros are not allowed");
    }
    digits();
    if (i < text.size() && text[i] == '.') {
        ++i;
        if (i >= text.size() || !is_digit(text[i])) {
            return bad_token(pos, i,
                             "invalid number \"" + std::string(at_offset(text, pos, i - pos)) +
                                 "\": expected a digit after \".\"");
        }
        digits();
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        std::size_t j = i + 1;
        if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
        if (j < text.size() && is_digit(text[j])) {
            i = j;
            digits();
        }
    }
    Token t;
    t.kind = Tok::number;
    t.pos = pos;
    t.where = i;
    const char* first = text.data() + pos;
    auto [ptr, ec] = std::from_chars(first, text.data() + i, t.number);
    if (ec != std::errc() || ptr != text.data() + i || !std::isfinite(t.number)) {
        return bad_token(
            pos, pos,
            "number out of range: \"" + std::string(at_offset(text, pos, i - pos)) + "\"");
    }
    while (i < text.size() && is_unit_char(text[i])) ++i;
    t.len = i - pos;
    return t;
}

// A double-quoted string with \" and \\ escapes.
Token lex_string(std::string_view text, std::size_t pos) {
    Token t;
    t.kind = Tok::string;
    t.pos = pos;
    for (std::size_t i = pos + 1; i < text.size(); ++i) {
        char c = text[i];
        if (c == '"') {
            t.len = i + 1 - pos;
            return t;
        }
        if (c == '\\') {
            if (i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
                t.value.push_back(text[++i]);
                continue;
            }
            std::string esc = i + 1 < text.size() ? std::string(1, text[i + 1]) : std::string();
            return bad_token(
                pos, i,
                "unknown escape \"\\" + esc + "\" in string (only \\\" and \\\\ are allowed)");
        }
        t.value.push_back(c);
    }
    return bad_token(pos, pos, "unterminated string (no closing quote)");
}

Token lex_operator(std::string_view text, std::size_t pos) {
    char c = text[pos];
    bool eq_next = pos + 1 < text.size() && text[pos + 1] == '=';
    Token t;
    t.kind = Tok::op;
    t.pos = pos;
    t.len = eq_next ? 2 : 1;
    switch (c) {
        case '>':
            t.op = eq_next ? CompareOp::ge : CompareOp::gt;
            return t;
        case '<':
            t.op = eq_next ? CompareOp::le : CompareOp::lt;
            return t;
        case '=':
            if (!eq_next) return bad_token(pos, pos, "unexpected \"=\" (use == to compare)");
            t.op = CompareOp::eq;
            return t;
        default:  // '!'
            if (!eq_next) return bad_token(pos, pos, "unexpected \"!\" (use != or not)");
            t.op = CompareOp::ne;
            return t;
    }
}

// The token starting at or after `pos` (after white space).
Token lex_at(std::string_view text, std::size_t pos) {
    while (pos < text.size() && is_space(text[pos])) ++pos;
    Token t;
    t.pos = pos;
    if (pos >= text.size()) return t;  // Tok::end
    char c = text[pos];
    if (is_key_start(c)) {
        std::size_t i = pos + 1;
        while (i < text.size() && is_key_char(text[i])) ++i;
        t.kind = Tok::word;
        t.len = i - pos;
        t.value.assign(at_offset(text, pos, t.len));
        return t;
    }
    if (is_digit(c) || (c == '-' && pos + 1 < text.size() && is_digit(text[pos + 1]))) {
        return lex_number(text, pos);
    }
    if (c == '"') return lex_string(text, pos);
    if (c == '>' || c == '<' || c == '=' || c == '!') return lex_operator(text, pos);
    t.len = 1;
    if (c == '(') t.kind = Tok::lparen;
    if (c == ')') t.kind = Tok::rparen;
    if (c == ',') t.kind = Tok::comma;
    if (t.kind != Tok::end) return t;
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) {
        static constexpr char kHex[] = "0123456789ABCDEF";
        return bad_token(pos, pos,
                         std::string("unexpected byte 0x") + kHex[byte >> 4] + kHex[byte & 0xf]);
    }
    return bad_token(pos, pos, "unexpected character \"" + std::string(1, c) + "\"");
}

// ---- durations ---------------------------------------------------------------------------------

std::optional<std::int64_t> unit_ms(std::string_view unit) {
    if (unit == "ms") return 1;
    if (unit == "s") return 1000;
    if (unit == "m") return 60 * 1000;
    if (unit == "h") return 3600 * 1000;
    return std::nullopt;
}

// Why a token is not what was wanted: a 0-based offset and the message.
struct Problem {
    std::size_t pos;
    std::string message;
};

// A number token with a unit -> milliseconds (rounded to whole ones), or why it is not a
// duration.
std::variant<milliseconds, Problem> token_duration(std::string_view text, const Token& t) {
    std::string_view unit = text.substr(t.where, t.end() - t.where);
    std::string raw(at_offset(text, t.pos, t.len));
    if (unit.empty()) {
        return Problem{t.pos, "duration \"" + raw +
                                  "\" needs a unit right after the number (ms, s, m or "
                                  "h, e.g. 30s)"};
    }
    auto factor = unit_ms(unit);
    if (!factor) {
        return Problem{t.where,
                       "unknown duration unit \"" + std::string(unit) + "\" (use ms, s, m or h)"};
    }
    double ms = t.number * static_cast<double>(*factor);
    if (!(ms > 0)) return Problem{t.pos, "duration must be greater than 0, found \"" + raw + "\""};
    if (ms < 1) return Problem{t.pos, "duration must be at least 1ms, found \"" + raw + "\""};
    if (ms > kMaxDurationMs) {
        return Problem{t.pos, "duration too long, found \"" + raw + "\" (at most 100000h)"};
    }
    return milliseconds(std::llround(ms));
}

// ---- parser ------------------------------------------------------------------------------------

std::string quoted(std::string_view raw) {
    if (raw.size() > kMaxQuotedToken)
        return "\"" + std::string(raw.substr(0, kMaxQuotedToken)) + "...\"";
    return "\"" + std::string(raw) + "\"";
}

bool is_ordering(CompareOp op) {
    return op != CompareOp::eq && op != CompareOp::ne;
}

class Parser {
  public:
    explicit Parser(std::string_view text) : text_(text) { cur_ = lex_at(text_, 0); }

    std::variant<ConditionAst, ConditionError> run() {
        auto root = or_expr(0);
        if (root && cur_.kind != Tok::end) {
            if (cur_.kind == Tok::rparen) {
                fail(cur_.pos, "unmatched \")\" (no \"(\" before it is open)");
            } else {
                expected("\"and\", \"or\" or the end of the condition");
            }
        }
        if (error_) return std::move(*error_);
        ast_.root = *root;
        return std::move(ast_);
    }

  private:
    std::optional<NodeId> or_expr(std::size_t depth) { return chain<AnyOf>("or", depth); }
    std::optional<NodeId> and_expr(std::size_t depth) { return chain<AllOf>("and", depth); }

    // term (keyword term)*: and_expr's terms for "or", unary's for "and". One term is itself.
    template <typename Join>
    std::optional<NodeId> chain(std::string_view keyword, std::size_t depth) {
        auto term = [&] { return keyword == "or" ? and_expr(depth) : unary(depth); };
        auto first = term();
        if (!first || !at_word(keyword)) return first;
        Join join;
        join.terms.push_back(*first);
        while (at_word(keyword)) {
            advance();
            auto next = term();
            if (!next) return std::nullopt;
            join.terms.push_back(*next);
        }
        return add(std::move(join));
    }

    std::optional<NodeId> unary(std::size_t depth) {
        if (!at_word("not")) return primary(depth);
        if (depth >= kMaxConditionDepth) return too_deep();
        advance();
        auto operand = unary(depth + 1);
        if (!operand) return std::nullopt;
        return add(Negate{*operand});
    }

    std::optional<NodeId> primary(std::size_t depth) {
        if (cur_.kind == Tok::lparen) {
            if (depth >= kMaxConditionDepth) return too_deep();
            std::size_t open = cur_.pos;
            advance();
            auto inner = or_expr(depth + 1);
            if (!inner) return std::nullopt;
            if (cur_.kind != Tok::rparen) {
                return expected("\")\" to close the \"(\" at column " + std::to_string(open + 1));
            }
            advance();
            return inner;
        }
        if (cur_.kind == Tok::string) return comparison();
        if (cur_.kind != Tok::word) return expected("a condition");
        const std::string& w = cur_.value;
        if (w == "absent") return absent();
        if (w == "silent") {
            advance();
            auto d = duration("after \"silent\" (e.g. silent 5m)");
            if (!d) return std::nullopt;
            return add(Silent{*d});
        }
        if (w == "offline") {
            advance();
            return add(Offline{});
        }
        if (w == "rate") return comparison();
        if (is_keyword(w)) {
            return fail(cur_.pos, "expected a condition, found keyword \"" + w +
                                      "\" (quote a key spelled like a keyword: \"" + w + "\")");
        }
        if (lex_at(text_, cur_.end()).kind == Tok::lparen) {
            return fail(cur_.pos, "unknown function \"" + w + "\" (known: absent, rate)");
        }
        return comparison();
    }

    std::optional<NodeId> absent() {
        advance();
        if (!consume(Tok::lparen, "\"(\" after \"absent\" (a key named absent must be quoted)"))
            return std::nullopt;
        auto k = key("inside absent(...)");
        if (!k || !consume(Tok::rparen, "\")\" after the key in absent(...)")) return std::nullopt;
        return add(Absent{std::move(*k)});
    }

    std::optional<NodeId> comparison() {
        std::size_t start = cur_.pos;
        Compare cmp;
        if (at_word("rate")) {
            advance();
            if (!consume(Tok::lparen, "\"(\" after \"rate\" (a key named rate must be quoted)"))
                return std::nullopt;
            auto k = key("inside rate(...)");
            if (!k) return std::nullopt;
            cmp.key = std::move(*k);
            if (!consume(Tok::comma,
                         "\",\" and a window after the key (e.g. rate(" + cmp.key + ", 5m))")) {
                return std::nullopt;
            }
            cmp.rate_window = duration("as the window of rate(...) (e.g. 5m)");
            if (!cmp.rate_window || !consume(Tok::rparen, "\")\" after the window of rate(...)")) {
                return std::nullopt;
            }
        } else {
            auto k = key("");
            if (!k) return std::nullopt;
            cmp.key = std::move(*k);
        }
        std::string operand = quoted(at_offset(text_, start, prev_end_ - start));
        if (cur_.kind != Tok::op) return expected("a comparison operator after " + operand);
        cmp.op = cur_.op;
        std::string op_text(at_offset(text_, cur_.pos, cur_.len));
        advance();
        auto lit = literal(cmp.op, op_text, cmp.rate_window.has_value());
        if (!lit) return std::nullopt;
        cmp.literal = std::move(*lit);
        return add(std::move(cmp));
    }

    std::optional<AlertValue> literal(CompareOp op, const std::string& op_text, bool rate) {
        bool number_only = rate || is_ordering(op);
        std::string after = " after \"" + op_text + "\"";
        if (cur_.kind == Tok::number && cur_.where == cur_.end()) {
            double n = cur_.number;
            advance();
            return n;
        }
        AlertValue value;
        if (cur_.kind == Tok::string) {
            value = cur_.value;
        } else if (at_word("true") || at_word("false")) {
            value = cur_.value == "true";
        } else {
            return expected(number_only ? "a number" + after
                                        : "a number, true, false or a string" + after);
        }
        std::string raw = quoted(at_offset(text_, cur_.pos, cur_.len));
        if (rate) return fail(cur_.pos, "rate(...) compares only with numbers, found " + raw);
        if (number_only)
            return fail(cur_.pos, "operator " + op_text + " needs a number, found " + raw);
        advance();
        return value;
    }

    std::optional<std::string> key(const std::string& where) {
        std::string context = where.empty() ? "" : " " + where;
        if (cur_.kind == Tok::string) {
            if (cur_.value.empty()) return fail(cur_.pos, "empty key \"\"" + context);
            std::string k = std::move(cur_.value);
            advance();
            return k;
        }
        if (cur_.kind == Tok::word && is_keyword(cur_.value)) {
            return fail(cur_.pos, "expected a key" + context + ", found keyword \"" + cur_.value +
                                      "\" (quote a key spelled like a keyword: \"" + cur_.value +
                                      "\")");
        }
        if (cur_.kind != Tok::word) return expected("a key" + context);
        std::string k = std::move(cur_.value);
        advance();
        return k;
    }

    std::optional<milliseconds> duration(const std::string& where) {
        if (cur_.kind != Tok::number) return expected("a duration " + where);
        auto d = token_duration(text_, cur_);
        if (auto* p = std::get_if<Problem>(&d)) return fail(p->pos, std::move(p->message));
        advance();
        return std::get<milliseconds>(d);
    }

    // ---- helpers ----

    bool at_word(std::string_view w) const { return cur_.kind == Tok::word && cur_.value == w; }

    void advance() {
        prev_end_ = cur_.end();
        cur_ = lex_at(text_, prev_end_);
    }

    bool consume(Tok kind, const std::string& what) {
        if (cur_.kind != kind) {
            expected(what);
            return false;
        }
        advance();
        return true;
    }

    NodeId add(Node node) {
        ast_.nodes.push_back(std::move(node));
        return static_cast<NodeId>(ast_.nodes.size() - 1);
    }

    // Records the first error only; `pos` is a 0-based offset.
    std::nullopt_t fail(std::size_t pos, std::string message) {
        if (!error_) error_ = ConditionError{pos + 1, std::move(message)};
        return std::nullopt;
    }

    // The current token is not `what`: say what it is (a lexer error speaks for itself).
    std::nullopt_t expected(const std::string& what) {
        if (cur_.kind == Tok::bad) return fail(cur_.where, cur_.value);
        if (cur_.kind == Tok::end)
            return fail(cur_.pos, "unexpected end of condition, expected " + what);
        return fail(cur_.pos,
                    "expected " + what + ", found " + quoted(at_offset(text_, cur_.pos, cur_.len)));
    }

    std::nullopt_t too_deep() {
        return fail(cur_.pos, "condition nested too deeply (more than " +
                                  std::to_string(kMaxConditionDepth) + " levels of ( and not)");
    }

    std::string_view text_;
    Token cur_;
    std::size_t prev_end_ = 0;
    ConditionAst ast_;
    std::optional<ConditionError> error_;
};

// ---- evaluator ---------------------------------------------------------------------------------

bool compare_numbers(double a, CompareOp op, double b) {
    switch (op) {
        case CompareOp::gt:
            return a > b;
        case CompareOp::ge:
            return a >= b;
        case CompareOp::lt:
            return a < b;
        case CompareOp::le:
            return a <= b;
        case CompareOp::eq:
            return a == b;
        case CompareOp::ne:
            return a != b;
    }
    return false;
}

// A value of another type than the literal never matches (see the header).
bool compare_values(const AlertValue& v, CompareOp op, const AlertValue& literal) {
    if (v.index() != literal.index()) return false;
    if (auto* d = std::get_if<double>(&v))
        return compare_numbers(*d, op, std::get<double>(literal));
    if (op == CompareOp::eq) return v == literal;
    if (op == CompareOp::ne) return v != literal;
    return false;  // the parser allows only == and != here
}

class Evaluator {
  public:
    Evaluator(const ConditionAst& ast, const EvalContext& ctx) : ast_(ast), ctx_(ctx) {}

    bool node(NodeId id) const {
        return std::visit([this](const auto& n) { return eval(n); }, ast_.nodes[id]);
    }

  private:
    bool eval(const AnyOf& n) const {
        return std::any_of(n.terms.begin(), n.terms.end(), [this](NodeId t) { return node(t); });
    }
    bool eval(const AllOf& n) const {
        return std::all_of(n.terms.begin(), n.terms.end(), [this](NodeId t) { return node(t); });
    }
    bool eval(const Negate& n) const { return !node(n.operand); }
    bool eval(const Absent& n) const { return !ctx_.values || !ctx_.values->contains(n.key); }
    bool eval(const Silent& n) const {
        if (ctx_.last_snapshot_us == 0) return true;  // never seen
        auto window_us = std::chrono::duration_cast<std::chrono::microseconds>(n.window).count();
        return ctx_.now_us - ctx_.last_snapshot_us >= window_us;
    }
    bool eval(const Offline&) const { return !ctx_.online; }
    bool eval(const Compare& n) const {
        if (n.rate_window) {
            if (!ctx_.rate) return false;
            auto r = ctx_.rate(n.key, *n.rate_window);
            return r && compare_numbers(*r, n.op, std::get<double>(n.literal));
        }
        if (!ctx_.values) return false;
        auto it = ctx_.values->find(n.key);
        return it != ctx_.values->end() && compare_values(it->second, n.op, n.literal);
    }

    const ConditionAst& ast_;
    const EvalContext& ctx_;
};

void add_distinct(std::vector<std::string>& keys, const std::string& key) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
}

}  // namespace

std::variant<Condition, ConditionError> Condition::parse(std::string_view text) {
    auto parsed = Parser(text).run();
    if (auto* err = std::get_if<ConditionError>(&parsed)) return std::move(*err);
    Condition c;
    c.text_.assign(text);
    auto ast = std::make_shared<ConditionAst>(std::move(std::get<ConditionAst>(parsed)));
    // Leaves were appended in source order, so one pass lists keys in order of first use.
    for (const Node& node : ast->nodes) {
        if (auto* a = std::get_if<Absent>(&node)) add_distinct(c.keys_, a->key);
        if (std::holds_alternative<Silent>(node) || std::holds_alternative<Offline>(node)) {
            c.time_dependent_ = true;
        }
        auto* cmp = std::get_if<Compare>(&node);
        if (!cmp) continue;
        add_distinct(c.keys_, cmp->key);
        if (!cmp->rate_window) continue;
        RateTerm term{cmp->key, *cmp->rate_window};
        if (std::find(c.rate_terms_.begin(), c.rate_terms_.end(), term) == c.rate_terms_.end()) {
            c.rate_terms_.push_back(std::move(term));
        }
    }
    c.ast_ = std::move(ast);
    return c;
}

bool Condition::eval(const EvalContext& ctx) const {
    if (!ast_) return false;
    return Evaluator(*ast_, ctx).node(ast_->root);
}

std::chrono::milliseconds Condition::max_rate_window() const {
    std::chrono::milliseconds longest{0};
    for (const auto& term : rate_terms_) longest = std::max(longest, term.window);
    return longest;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    if (text.empty() || is_space(text.front())) return std::nullopt;
    Token t = lex_at(text, 0);
    if (t.kind != Tok::number || t.end() != text.size()) return std::nullopt;
    auto d = token_duration(text, t);
    if (auto* ms = std::get_if<milliseconds>(&d)) return *ms;
    return std::nullopt;
}

}  // namespace octopus::core
