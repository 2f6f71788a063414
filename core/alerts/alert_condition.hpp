// Alert conditions: the small language of an alert rule's `condition`, e.g.
// `cpu > 90 and not absent(mem)`. This file owns the lexer, the recursive-descent parser, the
// immutable AST (shared by every copy of a Condition) and its evaluator. It never throws on the
// parse path: a bad condition is a ConditionError value with the 1-based column (in bytes) and a
// message saying what was expected and what was found, so a rule author can fix the text from
// the message alone. It never reads a clock, a socket or the hub: values, time, liveness and
// rates all come in through EvalContext, which keeps evaluation pure and testable.
//
// Grammar (the lines are longer than 100 columns, hence clang-format off):
// clang-format off
//   expr       := or_expr
//   or_expr    := and_expr ("or" and_expr)*
//   and_expr   := unary ("and" unary)*
//   unary      := "not" unary | primary
//   primary    := "(" expr ")" | "absent" "(" key ")" | "silent" duration | "offline" | comparison
//   comparison := operand op literal
//   operand    := key | "rate" "(" key "," duration ")"
//   op         := ">" | ">=" | "<" | "<=" | "==" | "!="
//   literal    := number | "true" | "false" | string        (string: double-quoted, \" and \\ escapes)
//   duration   := number unit, unit one of ms s m h, no space (e.g. 500ms 30s 5m 1h); must be > 0
//   key        := [A-Za-z_][A-Za-z0-9_.-]*  or a double-quoted string (for keys with other characters)
//   number     := JSON-like number incl. exponent: -12, 3.5, 1e6, 2.5E-3
// clang-format on
//
// Keywords (and or not absent silent offline rate true false) are case-sensitive lowercase; a key
// spelled like a keyword must be quoted ("rate" > 1). Numbers compare with > >= < <= == !=; true,
// false and strings only with == and != (`cpu > true` is a parse error); rate(...) only with
// numbers. Parentheses and `not` nest at most kMaxConditionDepth deep.
//
// Semantics: a comparison whose key is missing (or values is null), or whose value has another
// type than the literal, is false, whatever the operator: so `cpu != 5` is false and
// `not (cpu > 90)` is true when cpu is missing; use absent(cpu) to say "missing" on purpose.
// Numbers compare as doubles; == and != on doubles are exact. absent(k) is true when values is
// null or lacks k. `silent D` is true when the crab was never seen (last_snapshot_us == 0) or its
// last snapshot is at least D old. `offline` is !online. A rate comparison is false when
// ctx.rate is empty or has no answer (nullopt) for that key and window.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace octopus::core {

// Nesting bound for "(" and "not": keeps the recursive parser and evaluator off deep stacks.
inline constexpr std::size_t kMaxConditionDepth = 64;

using AlertValue = std::variant<double, bool, std::string>;
using AlertValues = std::unordered_map<std::string, AlertValue>;  // one snapshot's values

struct ConditionError {
    std::size_t column;  // 1-based, in the condition text
    std::string message;
};

struct RateTerm {
    std::string key;
    std::chrono::milliseconds window;
    bool operator==(const RateTerm&) const = default;
};

struct EvalContext {
    const AlertValues* values = nullptr;  // the crab's latest snapshot values; nullptr = none yet
    // Per second; nullopt = not enough points.
    std::function<std::optional<double>(const std::string& key, std::chrono::milliseconds window)>
        rate;
    std::int64_t now_us = 0;
    std::int64_t last_snapshot_us = 0;  // 0 = never seen
    bool online = false;
};

struct ConditionAst;  // the parsed tree, defined in alert_condition.cpp

class Condition {
  public:
    // Parses; on failure returns the error (column + message such as
    // `expected a comparison operator after "cpu", found "90"`).
    static std::variant<Condition, ConditionError> parse(std::string_view text);

    bool eval(const EvalContext& ctx) const;
    const std::string& text() const { return text_; }  // the source text
    // Distinct (key, window) pairs used by rate(), in order of first use.
    const std::vector<RateTerm>& rate_terms() const { return rate_terms_; }
    // Every distinct value key referenced (comparisons, absent, rate), in order of first use.
    const std::vector<std::string>& keys() const { return keys_; }
    // Uses silent or offline: must be re-evaluated on a timer, not only on new snapshots.
    bool time_dependent() const { return time_dependent_; }
    std::chrono::milliseconds max_rate_window() const;  // 0 if none

    // The empty condition: never holds (a rule's placeholder until one is parsed).
    Condition() = default;

  private:
    std::string text_;
    std::shared_ptr<const ConditionAst> ast_;  // immutable, shared by copies
    std::vector<RateTerm> rate_terms_;
    std::vector<std::string> keys_;
    bool time_dependent_ = false;
};

// "30s", "500ms", "5m", "1h" (also "1.5s", "2e3ms") -> duration, rounded to whole milliseconds;
// nullopt if malformed, not > 0, under 1ms or over 100000h. No white space is allowed around it.
// Used by the rule loader for `for = "30s"` too.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace octopus::core
