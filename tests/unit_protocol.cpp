// Unit: the protocol edge without sockets: names, decoding and validation, number-token
// preservation, encoders and the envelope.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "protocol/decoder.hpp"
#include "protocol/encoder.hpp"
#include "protocol/envelope.hpp"
#include "protocol/json_text.hpp"
#include "protocol/names.hpp"

using namespace octopus::protocol;

namespace {
SnapshotBatch decode_batch(Decoder& d, const std::string& frame) {
    auto msg = d.decode_crab_message(frame);
    REQUIRE_MESSAGE(msg.ok(), (msg.ok() ? "" : msg.error().message));
    return std::get<SnapshotBatch>(msg.value());
}
}  // namespace

TEST_CASE("crab names") {
    for (const char* ok : {"a", "local_system", "host-1.example", "A9", "x_y-z.0"})
        CHECK(is_valid_crab_name(ok));
    for (const std::string& bad : std::vector<std::string>{
             "", "..", "../x", "a/b", ".a", "-a", "_a", "a b", "é", std::string(65, 'a'), "a\\b"}) {
        CAPTURE(bad);
        CHECK_FALSE(is_valid_crab_name(bad));
    }
    CHECK(is_valid_crab_name(std::string(64, 'a')));
}

TEST_CASE("number tokens are kept exactly, values re-emitted compactly") {
    Decoder d;
    auto b = decode_batch(d, R"({ "type" : "snapshot", "values" : { "a" : 0.1 , "b" : 1e-300,
        "c":9007199254740993, "d":-0.0, "e":-1.7976931348623157e308, "f":true, "g":"s\u00e9" } })");
    REQUIRE(b.items.size() == 1);
    CHECK(
        b.items[0].values_json ==
        R"({"a":0.1,"b":1e-300,"c":9007199254740993,"d":-0.0,"e":-1.7976931348623157e308,"f":true,"g":"sé"})");
    CHECK(b.items[0].tags_json == "{}");
    CHECK_FALSE(b.items[0].seq.has_value());
    CHECK(b.items[0].timestamp_raw.empty());
}

TEST_CASE("snapshot fields decode in any order") {
    Decoder d;
    auto b = decode_batch(
        d,
        R"({"values":{"x":1},"tags":{"h":"a"},"timestamp":1732778016.781,"seq":9,"reply_to":"r1","type":"snapshot"})");
    const auto& s = b.items[0];
    CHECK(s.seq == 9u);
    CHECK(s.timestamp_raw == "1732778016.781");
    CHECK(s.timestamp == doctest::Approx(1732778016.781));
    CHECK(s.tags_json == R"({"h":"a"})");
    CHECK(s.reply_to == "r1");
}

TEST_CASE("hello and batches") {
    Decoder d;
    auto hello = d.decode_crab_message(R"({"crab":"alpha","type":"hello","extra":[1,2]})");
    REQUIRE(hello.ok());
    CHECK(std::get<Hello>(hello.value()).crab == "alpha");
    auto b = decode_batch(
        d,
        R"({"type":"snapshots","items":[{"seq":1,"values":{"a":1}},{"values":{"a":2}},{"seq":3,"values":{"a":3}}]})");
    CHECK(b.items.size() == 3);
    auto regress = d.decode_crab_message(
        R"({"type":"snapshots","items":[{"seq":3,"values":{"a":1}},{"seq":3,"values":{"a":2}}]})");
    REQUIRE_FALSE(regress.ok());
    CHECK(regress.error().code == ErrorCode::seq_regression);
    CHECK(regress.error().seq == 3u);
}

TEST_CASE("limits are enforced") {
    Limits limits;
    limits.max_values = 2;
    limits.max_batch = 2;
    Decoder d(limits);
    auto many = d.decode_crab_message(R"({"type":"snapshot","values":{"a":1,"b":2,"c":3}})");
    REQUIRE_FALSE(many.ok());
    CHECK(many.error().code == ErrorCode::too_large);
    auto batch = d.decode_crab_message(
        R"({"type":"snapshots","items":[{"values":{}},{"values":{}},{"values":{}}]})");
    REQUIRE_FALSE(batch.ok());
    CHECK(batch.error().code == ErrorCode::too_large);
}

TEST_CASE("push bodies: type optional, hello refused") {
    Decoder d;
    CHECK(d.decode_push_body(R"({"values":{"a":1}})").ok());
    CHECK(d.decode_push_body(R"({"type":"snapshots","items":[{"values":{"a":1}}]})").ok());
    auto hello = d.decode_push_body(R"({"type":"hello","crab":"x"})");
    REQUIRE_FALSE(hello.ok());
    CHECK(hello.error().code == ErrorCode::bad_message);
}

TEST_CASE("envelope encode, decode and peek agree") {
    Decoder d;
    Snapshot s;
    s.timestamp_raw = "1732778016.781";
    s.values_json = R"({"cpu":12.5})";
    s.tags_json = R"({"h":"a"})";
    std::string line;
    append_envelope_line(line, {42, "alpha", 7, 1732778017123456}, s);
    CHECK(
        line ==
        R"({"hub_seq":42,"crab":"alpha","seq":7,"received_at":1732778017.123456,"timestamp":1732778016.781,"values":{"cpu":12.5},"tags":{"h":"a"}})"
        "\n");
    CHECK(peek_hub_seq(line) == 42u);
    CHECK_FALSE(peek_hub_seq(R"({"crab":"x"})").has_value());
    auto env = d.decode_envelope(std::string_view(line).substr(0, line.size() - 1));
    REQUIRE(env.ok());
    CHECK(env.value().hub_seq == 42);
    CHECK(env.value().seq == 7);
    CHECK(env.value().received_at_us == 1732778017123456);
    CHECK(env.value().crab == "alpha");
    CHECK(env.value().timestamp == doctest::Approx(1732778016.781));
    CHECK_FALSE(d.decode_envelope(R"({"hub_seq":1,"crab":"x","seq":1,"rece)").ok());
}

TEST_CASE("seconds with microseconds round-trip exactly") {
    for (std::int64_t us : {0LL, 1LL, 999999LL, 1732778017123456LL, 1000000LL}) {
        std::string text;
        append_seconds_us(text, us);
        std::int64_t back = -1;
        REQUIRE(parse_seconds_us(text, back));
        CHECK(back == us);
    }
    std::int64_t v = 0;
    CHECK(parse_seconds_us("12.5", v));
    CHECK(v == 12500000);
    CHECK_FALSE(parse_seconds_us("1.1234567", v));
    CHECK_FALSE(parse_seconds_us("x", v));
}

TEST_CASE("encoders produce the documented messages") {
    CHECK(encode_welcome("a", std::nullopt, 100) ==
          R"({"type":"welcome","crab":"a","last_seq":null,"buffer_size":100})");
    CHECK(encode_welcome("a", 5, 10) ==
          R"({"type":"welcome","crab":"a","last_seq":5,"buffer_size":10})");
    CHECK(encode_ack(3) == R"({"type":"ack","seq":3})");
    CHECK(encode_error({ErrorCode::bad_json, "x \"y\"", 4}) ==
          R"({"type":"error","code":"bad_json","message":"x \"y\"","seq":4})");
    CHECK(encode_collect("c1") == R"({"type":"collect","id":"c1"})");
    auto snap = encode_snapshot({5, "1.5", R"({"a":1})", "{}", ""});
    CHECK(snap == R"({"type":"snapshot","seq":5,"timestamp":1.5,"values":{"a":1}})");
    Decoder d;
    CHECK(d.decode_crab_message(snap).ok());
}
