// Unit: the alert condition language (core/alerts/alert_condition.hpp) and the values reader
// (core/alerts/alert_values.hpp), socket-free: parsing, precedence, every operator, the missing-key
// and type-mismatch rules, time and liveness terms, rate() through a test lambda, introspection,
// and the exact column and message of each parse error a rule author can make.
#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "core/alerts/alert_condition.hpp"
#include "core/alerts/alert_values.hpp"

using namespace octopus::core;
using namespace std::chrono_literals;

namespace {

Condition parse_ok(std::string_view text) {
    auto result = Condition::parse(text);
    if (auto* err = std::get_if<ConditionError>(&result)) {
        FAIL_CHECK("\"", text, "\" failed at column ", err->column, ": ", err->message);
    }
    REQUIRE(std::holds_alternative<Condition>(result));
    return std::get<Condition>(std::move(result));
}

ConditionError parse_error(std::string_view text) {
    auto result = Condition::parse(text);
    INFO("condition: ", text);
    REQUIRE(std::holds_alternative<ConditionError>(result));
    return std::get<ConditionError>(std::move(result));
}

bool eval_with(std::string_view text, const AlertValues& values) {
    EvalContext ctx;
    ctx.values = &values;
    return parse_ok(text).eval(ctx);
}

// Evaluates each condition on `values` and checks its outcome.
void check_evals(const AlertValues& values,
                 std::initializer_list<std::pair<const char*, bool>> cases) {
    for (const auto& c : cases) {
        CAPTURE(c.first);
        CHECK(eval_with(c.first, values) == c.second);
    }
}

}  // namespace

TEST_CASE("alerts: and binds tighter than or, not binds tighter than and") {
    const char* text = "a > 1 or b > 1 and c > 1";
    CHECK(eval_with(text, {{"a", 2.0}, {"b", 0.0}, {"c", 0.0}}));  // (a or b) and c would be false
    CHECK_FALSE(eval_with(text, {{"a", 0.0}, {"b", 2.0}, {"c", 0.0}}));
    CHECK(eval_with(text, {{"a", 0.0}, {"b", 2.0}, {"c", 2.0}}));
    CHECK_FALSE(eval_with(text, {{"a", 0.0}, {"b", 0.0}, {"c", 2.0}}));

    AlertValues v{{"a", 2.0}, {"b", 2.0}};
    CHECK_FALSE(eval_with("not a > 1 and b > 1", v));  // (not a > 1) and b > 1
    CHECK(eval_with("not (a > 1 and b > 5)", v));
    CHECK(eval_with("not not a > 1", v));
    CHECK(eval_with("a > 1 and b > 1 and not b > 3 or a > 100", v));
}

TEST_CASE("alerts: parentheses regroup and nest") {
    const char* text = "(a > 1 or b > 1) and c > 1";
    CHECK_FALSE(eval_with(text, {{"a", 2.0}, {"b", 0.0}, {"c", 0.0}}));
    CHECK(eval_with(text, {{"a", 2.0}, {"b", 0.0}, {"c", 2.0}}));
    CHECK(eval_with("((((a > 1))))", {{"a", 2.0}}));
    CHECK(eval_with("(a > 1)and(b > 1)", {{"a", 2.0}, {"b", 2.0}}));
}

TEST_CASE("alerts: every comparison operator on numbers") {
    check_evals({{"x", 5.0}}, {
                                  {"x > 4", true},
                                  {"x > 5", false},
                                  {"x >= 5", true},
                                  {"x >= 5.5", false},
                                  {"x < 6", true},
                                  {"x < 5", false},
                                  {"x <= 5", true},
                                  {"x <= 4.99", false},
                                  {"x == 5", true},
                                  {"x == 5e0", true},
                                  {"x == 5.000001", false},  // exact
                                  {"x != 4", true},
                                  {"x != 5", false},
                                  {"x>-1", true},
                                  {"x < 1e6 and x > 2.5E-3 and x > -12", true},
                              });
}

TEST_CASE("alerts: bools and strings compare with == and !=") {
    AlertValues v{
        {"up", true}, {"state", std::string("ok")}, {"msg", std::string("say \"hi\" \\")}};
    check_evals(v, {
                       {"up == true", true},
                       {"up == false", false},
                       {"up != false", true},
                       {"state == \"ok\"", true},
                       {"state != \"degraded\"", true},
                       {"state != \"ok\"", false},
                       {R"(msg == "say \"hi\" \\")", true},
                   });
}

TEST_CASE("alerts: a missing key or another type makes a comparison false, whatever the operator") {
    AlertValues v{{"up", true}, {"state", std::string("5")}, {"cpu", 50.0}};
    check_evals(v, {
                       {"mem > 90", false},
                       {"mem != 90", false},
                       {"not (mem > 90)", true},
                       {"up == 1", false},
                       {"up != 1", false},
                       {"state == 5", false},
                       {"cpu == \"50\"", false},
                       {"cpu == true", false},
                   });
    EvalContext none;  // no snapshot yet
    CHECK_FALSE(parse_ok("cpu < 100").eval(none));
    CHECK(parse_ok("not cpu < 100").eval(none));
}

TEST_CASE("alerts: absent is true without values or without the key") {
    check_evals({{"cpu", 1.0}}, {
                                    {"absent(cpu)", false},
                                    {"absent(mem)", true},
                                    {"absent( \"mem\" )", true},
                                    {"cpu > 0 and not absent(cpu)", true},
                                });
    EvalContext none;
    CHECK(parse_ok("absent(cpu)").eval(none));
}

TEST_CASE("alerts: silent counts from the last snapshot, never seen is silent") {
    auto c = parse_ok("silent 30s");
    EvalContext ctx;
    ctx.now_us = 1'000'000'000;
    ctx.online = true;  // irrelevant
    ctx.last_snapshot_us = 0;
    CHECK(c.eval(ctx));
    ctx.last_snapshot_us = ctx.now_us - 29'999'999;
    CHECK_FALSE(c.eval(ctx));
    ctx.last_snapshot_us = ctx.now_us - 30'000'000;
    CHECK(c.eval(ctx));
    ctx.last_snapshot_us = ctx.now_us - 3600'000'000;
    CHECK(c.eval(ctx));
    ctx.last_snapshot_us = ctx.now_us;
    CHECK_FALSE(c.eval(ctx));
    CHECK(parse_ok("silent 500ms").eval({nullptr, {}, 1'000'000, 400'000, true}));
    CHECK_FALSE(parse_ok("silent 1h").eval({nullptr, {}, 3600'000'000, 1, true}));
}

TEST_CASE("alerts: offline is not online") {
    auto c = parse_ok("offline");
    EvalContext ctx;
    ctx.online = false;
    CHECK(c.eval(ctx));
    ctx.online = true;
    CHECK_FALSE(c.eval(ctx));
    AlertValues v{{"cpu", 99.0}};
    ctx.values = &v;
    CHECK(parse_ok("offline or cpu > 90").eval(ctx));
    CHECK_FALSE(parse_ok("offline and cpu > 90").eval(ctx));
}

TEST_CASE("alerts: rate asks ctx.rate with the key and window, no answer is false") {
    auto c = parse_ok("rate(net_rx_bps, 5m) > 1e6 or rate(\"disk io\", 500ms) <= -1");
    std::vector<std::pair<std::string, std::chrono::milliseconds>> asked;
    std::optional<double> net = 2e6;
    std::optional<double> disk = 0.0;
    EvalContext ctx;
    ctx.rate = [&](const std::string& key, std::chrono::milliseconds window) {
        asked.emplace_back(key, window);
        return key == "net_rx_bps" ? net : disk;
    };
    CHECK(c.eval(ctx));
    REQUIRE(asked.size() == 1);  // or short-circuits
    CHECK(asked[0].first == "net_rx_bps");
    CHECK(asked[0].second == 5min);

    net = 10.0;
    asked.clear();
    CHECK_FALSE(c.eval(ctx));
    REQUIRE(asked.size() == 2);
    CHECK(asked[1].first == "disk io");
    CHECK(asked[1].second == 500ms);

    disk = -1.0;
    CHECK(c.eval(ctx));
    net.reset();
    disk.reset();
    CHECK_FALSE(c.eval(ctx));
    CHECK(parse_ok("not rate(x, 1s) > 0").eval(ctx));
    CHECK_FALSE(parse_ok("rate(x, 1s) != 0").eval(EvalContext{}));  // no rate function
}

TEST_CASE("alerts: introspection lists keys, rate terms, windows and time dependence") {
    auto c = parse_ok(
        "cpu > 90 and (rate(net, 5m) > 1 or rate(net, 1m) > 2 or rate(net, 5m) < 0) "
        "and not absent(mem) and cpu < 100 and \"a b\" == true");
    CHECK(c.keys() == std::vector<std::string>{"cpu", "net", "mem", "a b"});
    CHECK(c.rate_terms() == std::vector<RateTerm>{{"net", 5min}, {"net", 1min}});
    CHECK(c.max_rate_window() == 5min);
    CHECK_FALSE(c.time_dependent());
    CHECK(c.text().starts_with("cpu > 90 and"));

    auto t = parse_ok("silent 1m or offline");
    CHECK(t.time_dependent());
    CHECK(t.keys().empty());
    CHECK(t.rate_terms().empty());
    CHECK(t.max_rate_window() == 0ms);
    CHECK(parse_ok("cpu > 1 or offline").time_dependent());
    CHECK(parse_ok("not silent 5s").time_dependent());

    auto copy = c;  // copies share the tree and evaluate alike
    AlertValues v{{"cpu", 95.0}, {"a b", true}, {"mem", 1.0}};
    EvalContext ctx;
    ctx.values = &v;
    ctx.rate = [](const std::string&, std::chrono::milliseconds) { return 2.0; };
    CHECK(copy.eval(ctx));
    CHECK(c.eval(ctx));
}

TEST_CASE("alerts: quoted keys hold any characters, keywords must be quoted to be keys") {
    AlertValues v{
        {"disk /var", 91.0}, {"rate", 3.0}, {"a\"b\\c", 1.0}, {"cpu.total-1", 5.0}, {"_x9", 1.0}};
    CHECK(eval_with("\"disk /var\" > 90", v));
    CHECK(eval_with("\"rate\" == 3", v));
    CHECK(eval_with(R"("a\"b\\c" == 1)", v));
    CHECK(eval_with("cpu.total-1 == 5 and _x9 == 1", v));
    CHECK(parse_ok("\"and\" > 1").keys() == std::vector<std::string>{"and"});
}

TEST_CASE("alerts: white space is free between tokens") {
    AlertValues v{{"cpu", 95.0}};
    CHECK(eval_with("  cpu>90  ", v));
    CHECK(eval_with("\tcpu\n>=\r\n90", v));
    CHECK(eval_with("not(cpu<90)", v));
    CHECK(parse_ok("rate ( x , 5m ) > 1").rate_terms() == std::vector<RateTerm>{{"x", 5min}});
}

TEST_CASE("alerts: parse errors name the column, what was expected and what was found") {
    struct Case {
        std::string text;
        std::size_t column;
        std::string message;
    };
    const Case cases[] = {
        {"cpu 90", 5, "expected a comparison operator after \"cpu\", found \"90\""},
        {"", 1, "unexpected end of condition, expected a condition"},
        {"   ", 4, "unexpected end of condition, expected a condition"},
        {"cpu >", 6, "unexpected end of condition, expected a number"},
        {"(cpu > 1", 9,
         "unexpected end of condition, expected \")\" to close the \"(\" at column 1"},
        {"(a > 1 and (b > 1) or c > 1", 28, "expected \")\" to close the \"(\" at column 1"},
        {"cpu > 1)", 8, "unmatched \")\""},
        {"cpu > 90 90", 10, "expected \"and\", \"or\" or the end of the condition, found \"90\""},
        {"state == \"ok", 10, "unterminated string"},
        {"state == \"a\\n\"", 12, "unknown escape \"\\n\" in string"},
        {"silent 5x", 9, "unknown duration unit \"x\" (use ms, s, m or h)"},
        {"silent 0s", 8, "duration must be greater than 0, found \"0s\""},
        {"silent -5m", 8, "duration must be greater than 0"},
        {"silent 30", 8, "duration \"30\" needs a unit right after the number"},
        {"silent 30 s", 8, "needs a unit right after the number"},
        {"silent", 7, "unexpected end of condition, expected a duration after \"silent\""},
        {"silent 0.5ms", 8, "duration must be at least 1ms"},
        {"rate(cpu) > 1", 9,
         "expected \",\" and a window after the key (e.g. rate(cpu, 5m)), "
         "found \")\""},
        {"rate(cpu, 5) > 1", 11, "needs a unit"},
        {"rate(cpu, 5m > 1", 14, "expected \")\" after the window of rate(...), found \">\""},
        {"rate(cpu, 1m) == \"x\"", 18, "rate(...) compares only with numbers, found \"\"x\"\""},
        {"rate(cpu, 1m) == true", 18, "rate(...) compares only with numbers"},
        {"avg(cpu) > 1", 1, "unknown function \"avg\" (known: absent, rate)"},
        {"cpu > 1 and max (cpu) > 1", 13, "unknown function \"max\""},
        {"cpu > true", 7, "operator > needs a number, found \"true\""},
        {"state <= \"ok\"", 10, "operator <= needs a number, found \"\"ok\"\""},
        {"cpu == mem", 8, "expected a number, true, false or a string after \"==\", found \"mem\""},
        {"cpu > 90s", 7, "expected a number after \">\", found \"90s\""},
        {"cpu = 1", 5, "unexpected \"=\" (use == to compare)"},
        {"cpu ! 1", 5, "unexpected \"!\""},
        {"cpu > 1 and", 12, "unexpected end of condition, expected a condition"},
        {"cpu > 1 and or b > 1", 13, "found keyword \"or\""},
        {"and > 1", 1, "expected a condition, found keyword \"and\" (quote a key"},
        {"absent(rate)", 8, "expected a key inside absent(...), found keyword \"rate\""},
        {"absent cpu", 8,
         "expected \"(\" after \"absent\" (a key named absent must be quoted), found \"cpu\""},
        {"rate > 1", 6, "expected \"(\" after \"rate\" (a key named rate must be quoted)"},
        {"absent(cpu", 11, "unexpected end of condition, expected \")\" after the key"},
        {"absent(\"\")", 8, "empty key"},
        {"not", 4, "unexpected end of condition, expected a condition"},
        {"cpu > 012", 7, "invalid number \"012\": leading zeros are not allowed"},
        {"cpu > 5.", 9, "invalid number \"5.\": expected a digit after \".\""},
        {"cpu > 1e999", 7, "number out of range"},
        {"cpu > 1 # note", 9, "unexpected character \"#\""},
        {"cpu > 1 \xC3\xA9", 9, "unexpected byte 0xC3"},
        {"> 1", 1, "expected a condition, found \">\""},
        {"offline()", 8, "expected \"and\", \"or\" or the end of the condition, found \"(\""},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        auto err = parse_error(c.text);
        CHECK(err.column == c.column);
        CHECK_MESSAGE(err.message.find(c.message) != std::string::npos, err.message);
    }
}

TEST_CASE("alerts: nesting is bounded, the error is a value, not a crash") {
    std::string ok =
        std::string(kMaxConditionDepth, '(') + "a > 1" + std::string(kMaxConditionDepth, ')');
    CHECK(eval_with(ok, {{"a", 2.0}}));
    std::string deep = std::string(kMaxConditionDepth + 1, '(') + "a > 1" +
                       std::string(kMaxConditionDepth + 1, ')');
    auto err = parse_error(deep);
    CHECK(err.column == kMaxConditionDepth + 1);
    CHECK(err.message.find("nested too deeply") != std::string::npos);

    std::string nots;
    for (std::size_t i = 0; i < 10000; ++i) nots += "not ";
    CHECK(parse_error(nots + "a > 1").message.find("nested too deeply") != std::string::npos);
    std::string wide = "a > 1";  // long and/or chains are flat, not deep
    for (int i = 0; i < 5000; ++i) wide += " and a > 1";
    CHECK(eval_with(wide, {{"a", 2.0}}));
}

TEST_CASE("alerts: parse_duration") {
    CHECK(parse_duration("30s") == 30s);
    CHECK(parse_duration("500ms") == 500ms);
    CHECK(parse_duration("5m") == 5min);
    CHECK(parse_duration("1h") == 1h);
    CHECK(parse_duration("1.5s") == 1500ms);
    CHECK(parse_duration("2e3ms") == 2s);
    CHECK(parse_duration("1ms") == 1ms);
    for (const char* bad : {"", "30", "s", "0s", "-5s", "30 s", " 30s", "30s ", "5x", "0.5ms",
                            "05m", "5S", "1h30m", "1e999h", "999999h", "abc", "\"5s\""}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_duration(bad).has_value());
    }
}

TEST_CASE("alerts: parse_alert_values reads numbers, bools and strings") {
    auto v = parse_alert_values(
        R"({"cpu":12.5,"neg":-3,"big":1e6,"small":2.5E-3,"int":42,"up":true,"down":false,)"
        R"("state":"say \"hi\" \\ ok","uni":"caf\u00e9","k.with-dash":1,"a\"b":7})",
        nullptr);
    CHECK(v.size() == 11);
    CHECK(std::get<double>(v.at("cpu")) == 12.5);
    CHECK(std::get<double>(v.at("neg")) == -3);
    CHECK(std::get<double>(v.at("big")) == 1e6);
    CHECK(std::get<double>(v.at("small")) == 2.5e-3);
    CHECK(std::get<double>(v.at("int")) == 42);
    CHECK(std::get<bool>(v.at("up")) == true);
    CHECK(std::get<bool>(v.at("down")) == false);
    CHECK(std::get<std::string>(v.at("state")) == "say \"hi\" \\ ok");
    CHECK(std::get<std::string>(v.at("uni")) == "caf\xC3\xA9");
    CHECK(std::get<double>(v.at("k.with-dash")) == 1);
    CHECK(std::get<double>(v.at("a\"b")) == 7);

    CHECK(parse_alert_values("{}", nullptr).empty());
    CHECK(parse_alert_values("not json", nullptr).empty());
    CHECK(parse_alert_values("[1,2]", nullptr).empty());
}

TEST_CASE("alerts: parse_alert_values keeps only the wanted keys") {
    std::vector<std::string> wanted{"cpu", "state", "missing"};
    auto v = parse_alert_values(R"({"cpu":1,"mem":2,"state":"ok","up":true})", &wanted);
    CHECK(v.size() == 2);
    CHECK(std::get<double>(v.at("cpu")) == 1);
    CHECK(std::get<std::string>(v.at("state")) == "ok");
    CHECK_FALSE(v.contains("mem"));

    std::vector<std::string> none;
    CHECK(parse_alert_values(R"({"cpu":1})", &none).empty());
}

TEST_CASE("alerts: a condition evaluated on parsed values, end to end") {
    auto c = parse_ok("cpu > 90 and not absent(mem) and state != \"maintenance\"");
    auto v = parse_alert_values(R"({"cpu":95.5,"mem":40,"state":"ok","disk":3})", &c.keys());
    CHECK(v.size() == 3);
    EvalContext ctx;
    ctx.values = &v;
    CHECK(c.eval(ctx));
    v["state"] = std::string("maintenance");
    CHECK_FALSE(c.eval(ctx));
}
