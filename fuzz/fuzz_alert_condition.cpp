// Fuzz target: the alert condition language, core::Condition::parse and core::parse_duration
// (core/alerts/alert_condition.hpp), the text of every rule's `when`, `clear` and `for`.
// Invariants checked beyond "does not crash":
//  - parsing is deterministic, and an error's column lies inside the text (1..size+1);
//  - an accepted condition keeps its text, evaluates the same way twice, and evaluates without
//    crashing under contexts with no values, values of every kind, and rates present or not;
//  - `not (TEXT)` of an accepted TEXT parses too (unless that exceeds the nesting bound) and
//    always evaluates to the opposite: grouping and `not` cannot change what TEXT means;
//  - an accepted duration is 1 ms .. 100000 h, and `silent DURATION` is an accepted condition.
#include <array>
#include <string>

#include "core/alerts/alert_condition.hpp"
#include "fuzz_common.hpp"

namespace {

using namespace octopus::core;
using std::chrono::milliseconds;

constexpr std::int64_t kNowUs = 1'732'778'016'000'000;

// Every key the condition names set to one kind of value (none, a number, a bool, a string).
AlertValues values_for(const Condition& c, int variant) {
    AlertValues values;
    for (const auto& key : c.keys()) {
        if (variant == 1) values[key] = 90.0;
        if (variant == 2) values[key] = true;
        if (variant == 3) values[key] = std::string("ok");
        if (variant == 4) values[key] = -0.5;
    }
    return values;
}

EvalContext context_for(const AlertValues* values, int variant) {
    EvalContext ctx;
    ctx.values = values;
    ctx.now_us = kNowUs;
    ctx.last_snapshot_us = variant % 2 ? kNowUs - 45'000'000 : 0;
    ctx.online = variant % 3 == 0;
    if (variant % 2) {
        ctx.rate = [](const std::string& key, milliseconds window) -> std::optional<double> {
            if (key.size() % 3 == 0) return std::nullopt;
            return static_cast<double>(window.count() % 1000) - 500.0;
        };
    }
    return ctx;
}

// Evaluates `c` (and, when given, its negation `negated`) under every context variant.
void check_eval(const Condition& c, const Condition* negated) {
    for (int v = 0; v < 5; ++v) {
        AlertValues values = values_for(c, v);
        for (int w = 0; w < 4; ++w) {
            EvalContext ctx = context_for(v == 0 && w < 2 ? nullptr : &values, w);
            bool result = c.eval(ctx);
            FUZZ_CHECK(result == c.eval(ctx), "evaluation is not deterministic: " + c.text());
            if (negated) {
                FUZZ_CHECK(negated->eval(ctx) == !result,
                           "not (...) does not negate: " + c.text() + " -> " + negated->text());
            }
        }
    }
}

void check_negation(const Condition& c) {
    std::string wrapped = "not (" + c.text() + ")";
    auto parsed = Condition::parse(wrapped);
    if (auto* err = std::get_if<ConditionError>(&parsed)) {
        bool too_deep = err->message.find("nested too deeply") != std::string::npos;
        FUZZ_CHECK(too_deep,
                   "not (...) of an accepted condition refused: " + wrapped + ": " + err->message);
        return check_eval(c, nullptr);
    }
    const auto& negated = std::get<Condition>(parsed);
    FUZZ_CHECK(negated.keys() == c.keys() && negated.rate_terms() == c.rate_terms() &&
                   negated.time_dependent() == c.time_dependent(),
               "not (...) changes the keys, rates or time dependence: " + wrapped);
    check_eval(c, &negated);
}

void check_condition(std::string_view text) {
    auto first = Condition::parse(text);
    auto second = Condition::parse(text);
    FUZZ_CHECK(first.index() == second.index(), "parsing is not deterministic");
    if (auto* err = std::get_if<ConditionError>(&first)) {
        const auto& again = std::get<ConditionError>(second);
        FUZZ_CHECK(err->column == again.column && err->message == again.message,
                   "error is not deterministic: " + err->message);
        FUZZ_CHECK(err->column >= 1 && err->column <= text.size() + 1,
                   "error column " + std::to_string(err->column) + " outside the text");
        FUZZ_CHECK(!err->message.empty(), "error without a message");
        return;
    }
    const auto& c = std::get<Condition>(first);
    FUZZ_CHECK(c.text() == text, "condition text differs from its source");
    FUZZ_CHECK(c.max_rate_window() >= milliseconds(0), "negative rate window");
    check_negation(c);
}

void check_duration(std::string_view text) {
    auto d = parse_duration(text);
    if (!d) return;
    FUZZ_CHECK(*d >= milliseconds(1) && *d <= std::chrono::hours(100000),
               "duration out of range: " + std::to_string(d->count()) + "ms");
    std::string silent = "silent " + std::string(text);
    auto parsed = Condition::parse(silent);
    auto* err = std::get_if<ConditionError>(&parsed);
    FUZZ_CHECK(!err, "accepted duration refused in a condition: " + silent + ": " +
                         (err ? err->message : ""));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto text = octopus::fuzz::as_text(data, size);
    check_condition(text);
    check_duration(text);
    return 0;
}
