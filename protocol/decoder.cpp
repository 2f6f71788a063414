// simdjson On-Demand decoding of crab frames, push bodies and stored envelopes. Each check
// returns an Error naming the field, so a crab author can fix the sender from the message alone.
#include "protocol/decoder.hpp"

#include <simdjson.h>

#include <cmath>
#include <string>
#include <vector>

#include "protocol/json_text.hpp"
#include "protocol/names.hpp"

namespace octopus::protocol {

namespace od = simdjson::ondemand;

namespace {

Error bad(ErrorCode code, std::string message, std::optional<std::uint64_t> seq = {}) {
    return Error{code, std::move(message), seq};
}

std::string_view trim_token(std::string_view tok) {
    while (!tok.empty() &&
           (tok.back() == ' ' || tok.back() == '\t' || tok.back() == '\n' || tok.back() == '\r')) {
        tok.remove_suffix(1);
    }
    return tok;
}

// Reads a number keeping its original token. Fails on non-numbers and non-finite values.
bool read_number(od::value& v, std::string_view& token, double& number) {
    std::string_view raw = v.raw_json_token();
    if (v.get_double().get(number)) return false;
    token = trim_token(raw);
    return std::isfinite(number);
}

bool read_type(od::value& v, od::json_type& type) {
    return !v.type().get(type);
}

struct SnapshotReader {
    const Limits& limits;
    Snapshot snap;
    bool has_values = false;

    std::optional<Error> field(std::string_view key, od::value v);

  private:
    std::optional<Error> read_seq(od::value v);
    std::optional<Error> read_timestamp(od::value v);
    std::optional<Error> read_values(od::value v);
    std::optional<Error> read_tags(od::value v);
    std::optional<Error> read_reply_to(od::value v);
    Error fail(std::string message) const {
        return bad(ErrorCode::bad_snapshot, std::move(message), snap.seq);
    }
};

std::optional<Error> SnapshotReader::field(std::string_view key, od::value v) {
    if (key == "seq") return read_seq(v);
    if (key == "timestamp") return read_timestamp(v);
    if (key == "values") return read_values(v);
    if (key == "tags") return read_tags(v);
    if (key == "reply_to") return read_reply_to(v);
    return std::nullopt;  // unknown fields are ignored for forward compatibility
}

std::optional<Error> SnapshotReader::read_seq(od::value v) {
    od::json_type type;
    if (!read_type(v, type)) return fail("seq: invalid JSON value");
    if (type == od::json_type::null) return std::nullopt;
    std::uint64_t seq = 0;
    if (type != od::json_type::number || v.get_uint64().get(seq) || seq == 0 || seq > max_seq) {
        return fail("seq must be an integer from 1 to 2^53-1 (9007199254740991)");
    }
    snap.seq = seq;
    return std::nullopt;
}

std::optional<Error> SnapshotReader::read_timestamp(od::value v) {
    od::json_type type;
    if (!read_type(v, type)) return fail("timestamp: invalid JSON value");
    if (type == od::json_type::null) return std::nullopt;
    std::string_view token;
    double ts = 0;
    if (type != od::json_type::number || !read_number(v, token, ts)) {
        return fail("timestamp must be a finite number of Unix seconds");
    }
    snap.timestamp_raw.assign(token);
    snap.timestamp = ts;
    return std::nullopt;
}

std::optional<Error> SnapshotReader::read_values(od::value v) {
    od::object obj;
    if (v.get_object().get(obj)) return fail("values must be a JSON object");
    std::string& out = snap.values_json;
    out.assign("{");
    std::vector<std::string_view> keys;
    for (auto fr : obj) {
        od::field f;
        std::string_view key;
        if (std::move(fr).get(f) || f.unescaped_key().get(key)) return fail("values: invalid JSON");
        std::string k(key);
        if (k.empty() || k.size() > limits.max_key_bytes) {
            return fail("values: key length must be 1.." + std::to_string(limits.max_key_bytes) +
                        " bytes");
        }
        if (keys.size() >= limits.max_values) {
            return bad(ErrorCode::too_large,
                       "values: more than " + std::to_string(limits.max_values) + " keys",
                       snap.seq);
        }
        for (auto seen : keys) {
            if (seen == key) return fail("values: duplicate key \"" + k + "\"");
        }
        keys.push_back(key);
        if (out.size() > 1) out.push_back(',');
        append_json_string(out, k);
        out.push_back(':');
        od::value val = f.value();
        od::json_type type;
        if (!read_type(val, type)) return fail("values." + k + ": invalid JSON value");
        if (type == od::json_type::number) {
            std::string_view token;
            double d = 0;
            if (!read_number(val, token, d))
                return fail("values." + k + " must be a finite number");
            out.append(token);
        } else if (type == od::json_type::boolean) {
            bool b = false;
            if (val.get_bool().get(b)) return fail("values." + k + ": invalid boolean");
            out.append(b ? "true" : "false");
        } else if (type == od::json_type::string) {
            std::string_view s;
            if (val.get_string().get(s)) return fail("values." + k + ": invalid string");
            if (s.size() > limits.max_string_bytes) {
                return fail("values." + k + ": string longer than " +
                            std::to_string(limits.max_string_bytes) + " bytes");
            }
            append_json_string(out, s);
        } else {
            return fail("values." + k + " must be a finite number, boolean or string");
        }
    }
    out.push_back('}');
    has_values = true;
    return std::nullopt;
}

std::optional<Error> SnapshotReader::read_tags(od::value v) {
    od::json_type type;
    if (!read_type(v, type)) return fail("tags: invalid JSON value");
    if (type == od::json_type::null) return std::nullopt;
    od::object obj;
    if (v.get_object().get(obj)) return fail("tags must be an object of strings");
    std::string& out = snap.tags_json;
    out.assign("{");
    std::size_t count = 0;
    for (auto fr : obj) {
        od::field f;
        std::string_view key;
        if (std::move(fr).get(f) || f.unescaped_key().get(key)) return fail("tags: invalid JSON");
        std::string k(key);
        if (k.empty() || k.size() > limits.max_key_bytes) return fail("tags: bad key length");
        if (++count > limits.max_tags) {
            return bad(ErrorCode::too_large,
                       "tags: more than " + std::to_string(limits.max_tags) + " keys", snap.seq);
        }
        std::string_view s;
        if (f.value().get_string().get(s)) return fail("tags." + k + " must be a string");
        if (s.size() > limits.max_string_bytes) return fail("tags." + k + ": string too long");
        if (out.size() > 1) out.push_back(',');
        append_json_string(out, k);
        out.push_back(':');
        append_json_string(out, s);
    }
    out.push_back('}');
    return std::nullopt;
}

std::optional<Error> SnapshotReader::read_reply_to(od::value v) {
    std::string_view s;
    if (v.get_string().get(s) || s.empty() || s.size() > max_request_id_bytes) {
        return fail("reply_to must be a string of 1.." + std::to_string(max_request_id_bytes) +
                    " bytes");
    }
    snap.reply_to.assign(s);
    return std::nullopt;
}

Error malformed(simdjson::error_code err) {
    return bad(ErrorCode::bad_json, std::string("malformed JSON: ") + simdjson::error_message(err));
}

}  // namespace

struct Decoder::Impl {
    od::parser parser;
    std::string padded;
    Limits limits;

    // Copies the input into a padded buffer (simdjson reads up to SIMDJSON_PADDING past the end).
    // Client input is refused first if it nests deeper than max_json_depth.
    std::optional<Error> start_client(std::string_view input, od::document& doc) {
        if (!json_nesting_within(input, max_json_depth)) return too_deep_error();
        if (auto err = start(input, doc)) return malformed(err);
        return std::nullopt;
    }
    simdjson::error_code start(std::string_view input, od::document& doc) {
        padded.assign(input);
        padded.append(simdjson::SIMDJSON_PADDING, '\0');
        return parser.iterate(padded.data(), input.size(), padded.size()).get(doc);
    }

    Result<Snapshot> snapshot_object(od::object obj, bool top_level);
    Result<SnapshotBatch> batch_items(od::value items);
    Result<SnapshotBatch> snapshot_or_batch(od::object obj, std::string_view type);
};

Result<Snapshot> Decoder::Impl::snapshot_object(od::object obj, bool top_level) {
    SnapshotReader reader{limits, {}};
    reader.snap.tags_json = "{}";
    for (auto fr : obj) {
        od::field f;
        std::string_view key;
        if (std::move(fr).get(f) || f.unescaped_key().get(key)) {
            return bad(ErrorCode::bad_json, "invalid JSON in snapshot", reader.snap.seq);
        }
        if (top_level && (key == "type" || key == "items")) continue;
        if (auto err = reader.field(key, f.value())) return *err;
    }
    if (!reader.has_values) {
        return bad(ErrorCode::bad_snapshot, "values is required", reader.snap.seq);
    }
    return std::move(reader.snap);
}

Result<SnapshotBatch> Decoder::Impl::batch_items(od::value items) {
    od::array arr;
    if (items.get_array().get(arr)) return bad(ErrorCode::bad_message, "items must be an array");
    SnapshotBatch batch;
    std::optional<std::uint64_t> last_seq;
    for (auto er : arr) {
        od::value item;
        od::object obj;
        if (std::move(er).get(item) || item.get_object().get(obj)) {
            return bad(ErrorCode::bad_snapshot,
                       "items[" + std::to_string(batch.items.size()) + "] must be an object");
        }
        if (batch.items.size() >= limits.max_batch) {
            return bad(ErrorCode::too_large,
                       "batch of more than " + std::to_string(limits.max_batch) + " items");
        }
        auto snap = snapshot_object(obj, false);
        if (!snap) {
            Error e = snap.error();
            e.message = "items[" + std::to_string(batch.items.size()) + "]: " + e.message;
            return e;
        }
        const auto& seq = snap.value().seq;
        if (seq && last_seq && *seq <= *last_seq) {
            return bad(ErrorCode::seq_regression,
                       "items[" + std::to_string(batch.items.size()) + "]: seq " +
                           std::to_string(*seq) + " is not above the previous item's seq " +
                           std::to_string(*last_seq),
                       seq);
        }
        if (seq) last_seq = seq;
        batch.items.push_back(std::move(snap.value()));
    }
    if (batch.items.empty()) return bad(ErrorCode::bad_message, "items must not be empty");
    return batch;
}

Result<SnapshotBatch> Decoder::Impl::snapshot_or_batch(od::object obj, std::string_view type) {
    if (type == "snapshots") {
        od::value items;
        auto err = obj.find_field_unordered("items").get(items);
        if (err) return bad(ErrorCode::bad_message, "snapshots needs an \"items\" array");
        return batch_items(items);
    }
    auto snap = snapshot_object(obj, true);
    if (!snap) return snap.error();
    SnapshotBatch batch;
    batch.items.push_back(std::move(snap.value()));
    return batch;
}

namespace {

// Reads the "type" field (absent -> empty) and rewinds the object for a full pass.
std::optional<Error> read_message_type(od::object& obj, std::string& type, bool required) {
    od::value v;
    auto err = obj.find_field_unordered("type").get(v);
    if (err == simdjson::NO_SUCH_FIELD && !required) {
        type.clear();
    } else if (err) {
        return err == simdjson::NO_SUCH_FIELD
                   ? bad(ErrorCode::bad_message, "missing \"type\"")
                   : bad(ErrorCode::bad_json,
                         std::string("malformed JSON: ") + simdjson::error_message(err));
    } else {
        std::string_view t;
        if (v.get_string().get(t)) return bad(ErrorCode::bad_message, "\"type\" must be a string");
        type.assign(t);
    }
    bool reset_failed = false;
    if (obj.reset().get(reset_failed)) return bad(ErrorCode::bad_json, "malformed JSON");
    return std::nullopt;
}

// Anything after the root object is trailing garbage. On-Demand only knows where the object
// ends once every field has been passed, so rewind and walk it (values are skipped, not parsed).
template <typename T>
Result<T> finish(od::document& doc, od::object& obj, Result<T> result) {
    if (!result) return result;
    bool ignored = false;
    if (obj.reset().get(ignored)) return bad(ErrorCode::bad_json, "malformed JSON");
    for (auto fr : obj) {
        od::field f;
        if (std::move(fr).get(f)) return bad(ErrorCode::bad_json, "malformed JSON");
    }
    const char* where = nullptr;
    if (doc.current_location().get(where) != simdjson::OUT_OF_BOUNDS) {
        return bad(ErrorCode::bad_json, "trailing data after the JSON object");
    }
    return result;
}

Result<Hello> read_hello(od::object obj) {
    od::value v;
    std::string_view crab;
    if (obj.find_field_unordered("crab").get(v) || v.get_string().get(crab)) {
        return bad(ErrorCode::bad_message, "hello needs a \"crab\" string");
    }
    if (!is_valid_crab_name(crab)) {
        return bad_name_error();
    }
    return Hello{std::string(crab)};
}

}  // namespace

Decoder::Decoder(Limits limits) : limits_(limits), impl_(std::make_unique<Impl>()) {
    impl_->limits = limits;
}

Decoder::~Decoder() = default;

Result<CrabMessage> Decoder::decode_crab_message(std::string_view frame) {
    od::document doc;
    od::object obj;
    if (auto err = impl_->start_client(frame, doc)) return *err;
    if (auto err = doc.get_object().get(obj)) {
        return err == simdjson::INCORRECT_TYPE
                   ? bad(ErrorCode::bad_json, "message must be a JSON object")
                   : malformed(err);
    }
    std::string type;
    if (auto err = read_message_type(obj, type, true)) return *err;
    if (type == "hello") {
        auto hello = finish(doc, obj, read_hello(obj));
        if (!hello) return hello.error();
        return CrabMessage{std::move(hello.value())};
    }
    if (type == "snapshot" || type == "snapshots") {
        auto batch = finish(doc, obj, impl_->snapshot_or_batch(obj, type));
        if (!batch) return batch.error();
        return CrabMessage{std::move(batch.value())};
    }
    return bad(ErrorCode::bad_message, "unknown message type \"" + type + "\"");
}

Result<SnapshotBatch> Decoder::decode_push_body(std::string_view body) {
    od::document doc;
    od::object obj;
    if (auto err = impl_->start_client(body, doc)) return *err;
    if (auto err = doc.get_object().get(obj)) {
        return err == simdjson::INCORRECT_TYPE
                   ? bad(ErrorCode::bad_json, "body must be a JSON object")
                   : malformed(err);
    }
    std::string type;
    if (auto err = read_message_type(obj, type, false)) return *err;
    if (!type.empty() && type != "snapshot" && type != "snapshots") {
        return bad(ErrorCode::bad_message,
                   "push body must be a snapshot or snapshots, not \"" + type + "\"");
    }
    return finish(doc, obj, impl_->snapshot_or_batch(obj, type));
}

Result<EnvelopeFields> Decoder::decode_envelope(std::string_view line) {
    od::document doc;
    od::object obj;
    if (auto err = impl_->start(line, doc)) return malformed(err);
    if (auto err = doc.get_object().get(obj)) return malformed(err);
    EnvelopeFields env;
    bool has_hub_seq = false, has_values = false;
    for (auto fr : obj) {
        od::field f;
        std::string_view key;
        if (std::move(fr).get(f) || f.unescaped_key().get(key))
            return bad(ErrorCode::bad_json, "malformed envelope");
        od::value v = f.value();
        simdjson::error_code err = simdjson::SUCCESS;
        if (key == "hub_seq") {
            err = v.get_uint64().get(env.hub_seq);
            has_hub_seq = !err;
        } else if (key == "seq") {
            err = v.get_uint64().get(env.seq);
        } else if (key == "crab") {
            std::string_view s;
            err = v.get_string().get(s);
            env.crab.assign(s);
        } else if (key == "received_at") {
            if (!parse_seconds_us(trim_token(v.raw_json_token()), env.received_at_us)) {
                err = simdjson::NUMBER_ERROR;
            }
        } else if (key == "timestamp") {
            double ts = 0;
            bool is_null = false;
            if (!v.is_null().get(is_null) && is_null) continue;
            err = v.get_double().get(ts);
            env.timestamp = ts;
        } else if (key == "values") {
            od::json_type type;
            err = v.type().get(type);
            has_values = !err && type == od::json_type::object;
        }
        if (err) return malformed(err);
    }
    if (!has_hub_seq || !has_values)
        return bad(ErrorCode::bad_json, "envelope lacks hub_seq or values");
    return finish(doc, obj, Result<EnvelopeFields>(std::move(env)));
}

}  // namespace octopus::protocol
