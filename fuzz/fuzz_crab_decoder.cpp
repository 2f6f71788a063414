// Fuzz target: protocol::Decoder with the default Limits, the first code to see a crab's bytes:
// decode_crab_message (hello / snapshot / snapshots frames on /v1/crab) and decode_push_body
// (HTTP push bodies). Invariants checked beyond "does not crash":
//  - decoding is deterministic: the same bytes decode to the same result twice on one Decoder;
//  - an error has a message and an HTTP status, and its wire form (encode_error) is valid JSON;
//  - an accepted snapshot keeps the documented rules (protocol/README.md): values is a flat JSON
//    object of at most max_values numbers, booleans or strings; tags an object of strings; seq in
//    1..2^53-1 and strictly increasing inside a batch of 1..max_batch items;
//  - an accepted snapshot re-encoded with encode_snapshot decodes to the identical snapshot, and
//    its stored envelope line (append_envelope_line) decodes back with decode_envelope;
//  - an accepted hello re-encoded with encode_hello decodes to the same name;
//  - a frame accepted as a snapshot or batch is accepted identically as an HTTP push body.
#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"
#include "protocol/decoder.hpp"
#include "protocol/encoder.hpp"
#include "protocol/envelope.hpp"
#include "protocol/names.hpp"

namespace {

using namespace octopus::protocol;
using nlohmann::json;

Decoder& decoder() {
    static Decoder d;  // reused across inputs, as a session reuses its Decoder
    return d;
}

std::string describe(const Error& e) {
    std::string seq = e.seq ? std::to_string(*e.seq) : "-";
    return "error " + std::string(to_string(e.code)) + " seq=" + seq + ": " + e.message;
}

std::string describe(const Snapshot& s) {
    std::string seq = s.seq ? std::to_string(*s.seq) : "-";
    return "seq=" + seq + " ts=" + s.timestamp_raw + " values=" + s.values_json +
           " tags=" + s.tags_json + " reply_to=" + s.reply_to;
}

std::string describe(const SnapshotBatch& b) {
    std::string out = "batch";
    for (const auto& s : b.items) out += "\n  " + describe(s);
    return out;
}

std::string describe(const Hello& h) {
    return "hello " + h.crab;
}

std::string describe(const Result<CrabMessage>& r) {
    if (!r) return describe(r.error());
    return std::visit([](const auto& m) { return describe(m); }, r.value());
}

std::string describe(const Result<SnapshotBatch>& r) {
    return r ? describe(r.value()) : describe(r.error());
}

void check_error(const Error& e) {
    FUZZ_CHECK(!e.message.empty(), "error without a message");
    auto status = http_status(e.code);
    FUZZ_CHECK(status >= 400 && status < 600, "error status " + std::to_string(status));
    auto wire = json::parse(encode_error(e), nullptr, false);
    FUZZ_CHECK(wire.is_object(), "encode_error is not valid JSON: " + encode_error(e));
}

// A compact object text the decoder produced: parses, and every member is of an allowed kind.
json parse_object(const std::string& text, const char* what) {
    auto j = json::parse(text, nullptr, false);
    FUZZ_CHECK(j.is_object(), std::string(what) + " is not a JSON object: " + text);
    return j;
}

void check_fields(const Snapshot& s) {
    const Limits& limits = decoder().limits();
    auto values = parse_object(s.values_json, "values");
    FUZZ_CHECK(values.size() <= limits.max_values, "too many values: " + s.values_json);
    for (const auto& [k, v] : values.items()) {
        FUZZ_CHECK(!k.empty() && k.size() <= limits.max_key_bytes, "bad value key: " + k);
        FUZZ_CHECK(v.is_number() || v.is_boolean() || v.is_string(), "bad value: " + v.dump());
    }
    auto tags = parse_object(s.tags_json, "tags");
    FUZZ_CHECK(tags.size() <= limits.max_tags, "too many tags: " + s.tags_json);
    for (const auto& [k, v] : tags.items()) {
        FUZZ_CHECK(v.is_string(), "tag " + k + " is not a string: " + s.tags_json);
    }
    FUZZ_CHECK(!s.seq || (*s.seq >= 1 && *s.seq <= max_seq), "seq out of range");
    FUZZ_CHECK(s.reply_to.size() <= max_request_id_bytes, "reply_to too long");
    if (!s.timestamp_raw.empty()) {
        auto ts = json::parse(s.timestamp_raw, nullptr, false);
        FUZZ_CHECK(ts.is_number(), "timestamp token is not a number: " + s.timestamp_raw);
    }
}

// encode_snapshot -> decode_crab_message gives the snapshot back, field for field.
void check_reencode(const Snapshot& s) {
    std::string frame =
        encode_snapshot({s.seq, s.timestamp_raw, s.values_json, s.tags_json, s.reply_to});
    auto again = decoder().decode_crab_message(frame);
    FUZZ_CHECK(again.ok(), "re-encoded snapshot refused: " + describe(again) + "\n" + frame);
    const auto* batch = std::get_if<SnapshotBatch>(&again.value());
    FUZZ_CHECK(batch && batch->items.size() == 1, "re-encoded snapshot is not one snapshot");
    FUZZ_CHECK(describe(batch->items[0]) == describe(s),
               "re-encoded snapshot differs:\n  " + describe(s) + "\n  " + describe(*batch));
}

// The stored envelope line decodes back to what was stored.
void check_envelope(const Snapshot& s) {
    constexpr std::int64_t kReceivedUs = 1732778017123456;
    std::string line;
    append_envelope_line(line, {4711, "edge-01", s.seq.value_or(1), kReceivedUs}, s);
    FUZZ_CHECK(peek_hub_seq(line) == 4711u, "peek_hub_seq failed: " + line);
    line.pop_back();  // the newline
    auto env = decoder().decode_envelope(line);
    FUZZ_CHECK(env.ok(), "envelope refused: " + describe(env.error()) + "\n" + line);
    const auto& e = env.value();
    bool same = e.hub_seq == 4711 && e.seq == s.seq.value_or(1) && e.crab == "edge-01" &&
                e.received_at_us == kReceivedUs &&
                e.timestamp.has_value() == !s.timestamp_raw.empty() &&
                (!e.timestamp || *e.timestamp == s.timestamp);
    FUZZ_CHECK(same, "envelope decodes differently: " + line);
}

void check_batch(const SnapshotBatch& b) {
    FUZZ_CHECK(!b.items.empty() && b.items.size() <= decoder().limits().max_batch,
               "batch size " + std::to_string(b.items.size()));
    std::optional<std::uint64_t> last;
    for (const auto& s : b.items) {
        FUZZ_CHECK(!s.seq || !last || *s.seq > *last, "seq not increasing: " + describe(b));
        if (s.seq) last = s.seq;
        check_fields(s);
        check_reencode(s);
        check_envelope(s);
    }
}

void check_hello(const Hello& h) {
    FUZZ_CHECK(is_valid_crab_name(h.crab), "hello accepted a bad name: " + h.crab);
    auto again = decoder().decode_crab_message(encode_hello(h.crab));
    FUZZ_CHECK(again.ok() && describe(again) == describe(h), "hello re-encode: " + h.crab);
}

void check_crab_message(std::string_view frame) {
    auto first = decoder().decode_crab_message(frame);
    auto second = decoder().decode_crab_message(frame);
    FUZZ_CHECK(describe(first) == describe(second),
               "decoding is not deterministic:\n" + describe(first) + "\n" + describe(second));
    if (!first) return check_error(first.error());
    if (const auto* hello = std::get_if<Hello>(&first.value())) return check_hello(*hello);
    const auto& batch = std::get<SnapshotBatch>(first.value());
    check_batch(batch);
    auto pushed = decoder().decode_push_body(frame);
    FUZZ_CHECK(describe(pushed) == describe(batch),
               "push body decodes differently:\n" + describe(pushed) + "\n" + describe(batch));
}

void check_push_body(std::string_view body) {
    auto first = decoder().decode_push_body(body);
    auto second = decoder().decode_push_body(body);
    FUZZ_CHECK(describe(first) == describe(second),
               "decoding is not deterministic:\n" + describe(first) + "\n" + describe(second));
    if (!first) return check_error(first.error());
    check_batch(first.value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto text = octopus::fuzz::as_text(data, size);
    if (text.size() > decoder().limits().max_http_body_bytes) return -1;  // refused before parsing
    check_crab_message(text);
    check_push_body(text);
    return 0;
}
