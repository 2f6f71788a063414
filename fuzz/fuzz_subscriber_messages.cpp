// Fuzz target: protocol::decode_subscriber_message, every frame a consumer sends on
// /v1/subscribe (subscribe / unsubscribe / ack). Invariants checked beyond "does not crash":
//  - decoding is deterministic (the same frame decodes to the same result twice);
//  - an error has a message, and its wire form (encode_error) is valid JSON;
//  - an accepted message keeps the documented rules (protocol/README.md): ids of 1..64 bytes,
//    crab globs and key lists of 1..256 entries, durable and group never both, an alert
//    subscription with crabs and from only;
//  - an accepted message, written back as JSON from its decoded fields, decodes identically;
//  - an accepted from.since converts to int64 microseconds, as core/hub.cpp does with it
//    (static_cast<std::int64_t>(from.since * 1e6)), without overflow.
#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"
#include "protocol/encoder.hpp"
#include "protocol/limits.hpp"
#include "protocol/names.hpp"
#include "protocol/subscriber_messages.hpp"

namespace {

using namespace octopus::protocol;
using nlohmann::json;

json from_json(const From& f) {
    switch (f.kind) {
        case From::Kind::now:
            return "now";
        case From::Kind::buffer:
            return "buffer";
        case From::Kind::hub_seq:
            return {{"hub_seq", f.hub_seq}};
        case From::Kind::alert_seq:
            return {{"alert_seq", f.alert_seq}};
        case From::Kind::since:
            return {{"since", f.since}};
    }
    return nullptr;
}

// The message as a JSON object holding every decoded field (an equivalent frame).
json to_json(const Subscribe& s) {
    json j = {
        {"type", "subscribe"}, {"id", s.id},
        {"crabs", s.crabs},    {"from", from_json(s.from)},
        {"alerts", s.alerts},  {"overflow", s.overflow == Overflow::drop ? "drop" : "disconnect"}};
    if (!s.keys.empty()) j["keys"] = s.keys;
    if (!s.durable.empty()) j["durable"] = s.durable;
    if (!s.group.empty()) j["group"] = s.group;
    return j;
}

json to_json(const Unsubscribe& u) {
    return {{"type", "unsubscribe"}, {"id", u.id}};
}

json to_json(const ConsumerAck& a) {
    return {{"type", "ack"}, {"sub", a.sub}, {"hub_seq", a.hub_seq}};
}

std::string describe(const Result<SubscriberMessage>& r) {
    if (!r) return "error " + std::string(to_string(r.error().code)) + ": " + r.error().message;
    return std::visit([](const auto& m) { return to_json(m).dump(); }, r.value());
}

bool is_id(const std::string& id) {
    return !id.empty() && id.size() <= max_request_id_bytes;
}

// since * 1e6 must fit an int64 (and be a number): core/hub.cpp casts it without a check.
bool since_fits_micros(double since) {
    constexpr double kTwo63 = 9223372036854775808.0;  // the cast is defined on [-2^63, 2^63)
    double us = since * 1e6;
    return us >= -kTwo63 && us < kTwo63;  // false for NaN and infinities too
}

void check_fields(const Subscribe& s) {
    FUZZ_CHECK(is_id(s.id), "bad id: " + s.id);
    FUZZ_CHECK(!s.crabs.empty() && s.crabs.size() <= 256, "crabs count");
    for (const auto& c : s.crabs) FUZZ_CHECK(is_valid_crab_glob(c), "bad crab glob: " + c);
    FUZZ_CHECK(s.keys.size() <= 256, "keys count");
    for (const auto& k : s.keys) FUZZ_CHECK(!k.empty() && k.size() <= 128, "bad key: " + k);
    FUZZ_CHECK(s.durable.empty() || is_valid_crab_name(s.durable), "bad durable: " + s.durable);
    FUZZ_CHECK(s.group.empty() || is_valid_crab_name(s.group), "bad group: " + s.group);
    FUZZ_CHECK(s.durable.empty() || s.group.empty(), "durable and group both set");
    bool plain = s.keys.empty() && s.durable.empty() && s.group.empty();
    FUZZ_CHECK(!s.alerts || plain, "alert subscription with keys, durable or group");
    FUZZ_CHECK(s.alerts || s.from.kind != From::Kind::alert_seq, "alert_seq without alerts");
    FUZZ_CHECK(s.from.kind != From::Kind::since || since_fits_micros(s.from.since),
               "accepted from.since=" + std::to_string(s.from.since) +
                   " overflows int64 microseconds (core/hub.cpp casts since * 1e6 to int64)");
}

void check_fields(const Unsubscribe& u) {
    FUZZ_CHECK(is_id(u.id), "bad id: " + u.id);
}

void check_fields(const ConsumerAck& a) {
    FUZZ_CHECK(is_id(a.sub), "bad sub: " + a.sub);
}

// Writing the decoded fields back as JSON gives a frame that decodes to the same message.
void check_reencode(const SubscriberMessage& m, const std::string& before) {
    std::string frame = std::visit([](const auto& v) { return to_json(v).dump(); }, m);
    auto again = decode_subscriber_message(frame);
    FUZZ_CHECK(again.ok(), "re-encoded message refused: " + describe(again) + "\n" + frame);
    FUZZ_CHECK(describe(again) == before,
               "re-encoded message differs:\n" + before + "\n" + describe(again));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto frame = octopus::fuzz::as_text(data, size);
    auto first = decode_subscriber_message(frame);
    auto second = decode_subscriber_message(frame);
    std::string before = describe(first);
    FUZZ_CHECK(before == describe(second), "decoding is not deterministic:\n" + before);
    if (!first) {
        FUZZ_CHECK(!first.error().message.empty(), "error without a message");
        auto wire = json::parse(encode_error(first.error()), nullptr, false);
        FUZZ_CHECK(wire.is_object(), "encode_error is not valid JSON: " + before);
        return 0;
    }
    std::visit([](const auto& m) { check_fields(m); }, first.value());
    check_reencode(first.value(), before);
    return 0;
}
