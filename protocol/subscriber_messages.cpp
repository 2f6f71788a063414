#include "protocol/subscriber_messages.hpp"

#include <cmath>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "protocol/json_text.hpp"
#include "protocol/limits.hpp"
#include "protocol/names.hpp"

namespace octopus::protocol {

using nlohmann::json;

namespace {

Error bad(std::string message) {
    return Error{ErrorCode::bad_message, std::move(message)};
}

bool is_id(const json& v) {
    return v.is_string() && !v.get<std::string>().empty() &&
           v.get<std::string>().size() <= max_request_id_bytes;
}

std::optional<Error> read_strings(const json& msg, const char* field, std::vector<std::string>& out,
                                  bool (*valid)(std::string_view)) {
    if (!msg.contains(field)) return std::nullopt;
    const json& arr = msg[field];
    if (!arr.is_array() || arr.empty() || arr.size() > 256) {
        return bad(std::string(field) + " must be a non-empty array of at most 256 strings");
    }
    out.clear();
    for (std::size_t i = 0; i < arr.size(); ++i) {
        const json& v = arr[i];
        // The offending entry is named by its index and, for a string, a short escaped prefix:
        // never serialised back whole (a client chooses its size and nesting).
        if (!v.is_string()) {
            return bad(std::string(field) + "[" + std::to_string(i) + "] must be a string, not " +
                       v.type_name());
        }
        if (!valid(v.get_ref<const std::string&>())) {
            std::string message =
                std::string(field) + "[" + std::to_string(i) + "]: invalid entry ";
            append_quoted_prefix(message, v.get_ref<const std::string&>(), max_quoted_bytes);
            return bad(std::move(message));
        }
        out.push_back(v.get<std::string>());
    }
    return std::nullopt;
}

bool is_key(std::string_view k) {
    return !k.empty() && k.size() <= 128;
}

std::optional<Error> read_from(const json& msg, From& from) {
    if (!msg.contains("from")) return std::nullopt;
    const json& f = msg["from"];
    if (f == "now") {
        from.kind = From::Kind::now;
    } else if (f == "buffer") {
        from.kind = From::Kind::buffer;
    } else if (f.is_object() && f.size() == 1 && f.contains("hub_seq") &&
               f["hub_seq"].is_number_unsigned()) {
        from.kind = From::Kind::hub_seq;
        from.hub_seq = f["hub_seq"].get<std::uint64_t>();
    } else if (f.is_object() && f.size() == 1 && f.contains("alert_seq") &&
               f["alert_seq"].is_number_unsigned()) {
        from.kind = From::Kind::alert_seq;
        from.alert_seq = f["alert_seq"].get<std::uint64_t>();
    } else if (f.is_object() && f.size() == 1 && f.contains("since") && f["since"].is_number() &&
               std::abs(f["since"].get<double>()) <= max_unix_seconds) {
        from.kind = From::Kind::since;
        from.since = f["since"].get<double>();
    } else {
        return bad(
            R"(from must be "now", "buffer", {"hub_seq":N}, {"since":UNIX_SECONDS} or {"alert_seq":N})");
    }
    return std::nullopt;
}

std::optional<Error> read_name(const json& msg, const char* field, std::string& out) {
    if (!msg.contains(field)) return std::nullopt;
    if (!msg[field].is_string() || !is_valid_crab_name(msg[field].get<std::string>())) {
        return bad(std::string(field) + " must be a name matching " +
                   std::string(crab_name_pattern));
    }
    out = msg[field].get<std::string>();
    return std::nullopt;
}

// "alerts":true asks for alert events instead of snapshots: only crabs and from apply.
std::optional<Error> read_alerts(const json& msg, Subscribe& s) {
    if (msg.contains("alerts")) {
        if (!msg["alerts"].is_boolean()) return bad("alerts must be true or false");
        s.alerts = msg["alerts"].get<bool>();
    }
    bool alert_from = s.from.kind == From::Kind::alert_seq;
    if (!s.alerts) {
        if (alert_from) return bad(R"(from {"alert_seq":N} needs "alerts":true)");
        return std::nullopt;
    }
    if (!s.keys.empty() || !s.durable.empty() || !s.group.empty())
        return bad("an alert subscription takes crabs and from only (no keys, durable or group)");
    if (!alert_from && s.from.kind != From::Kind::now)
        return bad(R"(an alert subscription's from must be "now" or {"alert_seq":N})");
    return std::nullopt;
}

Result<SubscriberMessage> read_subscribe(const json& msg) {
    Subscribe s;
    if (!msg.contains("id") || !is_id(msg["id"]))
        return bad("subscribe needs an \"id\" string of 1..64 bytes");
    s.id = msg["id"].get<std::string>();
    if (auto e = read_strings(msg, "crabs", s.crabs, is_valid_crab_glob)) return *e;
    if (auto e = read_strings(msg, "keys", s.keys, is_key)) return *e;
    if (auto e = read_from(msg, s.from)) return *e;
    if (auto e = read_name(msg, "durable", s.durable)) return *e;
    if (auto e = read_name(msg, "group", s.group)) return *e;
    if (!s.durable.empty() && !s.group.empty()) return bad("durable and group cannot be combined");
    if (msg.contains("overflow")) {
        if (msg["overflow"] == "drop") {
            s.overflow = Overflow::drop;
        } else if (msg["overflow"] == "disconnect") {
            s.overflow = Overflow::disconnect;
        } else {
            return bad(R"(overflow must be "drop" or "disconnect")");
        }
    }
    if (auto e = read_alerts(msg, s)) return *e;
    return SubscriberMessage{std::move(s)};
}

Result<SubscriberMessage> read_ack(const json& msg) {
    if (!msg.contains("sub") || !is_id(msg["sub"]) || !msg.contains("hub_seq") ||
        !msg["hub_seq"].is_number_unsigned()) {
        return bad("ack needs \"sub\" and a non-negative integer \"hub_seq\"");
    }
    return SubscriberMessage{
        ConsumerAck{msg["sub"].get<std::string>(), msg["hub_seq"].get<std::uint64_t>()}};
}

}  // namespace

bool is_valid_crab_glob(std::string_view glob) {
    if (glob.empty() || glob.size() > max_name_bytes) return false;
    for (char c : glob) {
        bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && c != '.' && c != '_' && c != '-' && c != '*' && c != '?') return false;
    }
    return true;
}

Result<SubscriberMessage> decode_subscriber_message(std::string_view frame) {
    if (!json_nesting_within(frame, max_json_depth)) return too_deep_error();
    json msg = json::parse(frame, nullptr, false);
    if (msg.is_discarded()) return Error{ErrorCode::bad_json, "malformed JSON"};
    if (!msg.is_object()) return Error{ErrorCode::bad_json, "message must be a JSON object"};
    if (!msg.contains("type") || !msg["type"].is_string()) return bad("missing \"type\"");
    const auto type = msg["type"].get<std::string>();
    if (type == "subscribe") return read_subscribe(msg);
    if (type == "unsubscribe") {
        if (!msg.contains("id") || !is_id(msg["id"])) return bad("unsubscribe needs an \"id\"");
        return SubscriberMessage{Unsubscribe{msg["id"].get<std::string>()}};
    }
    if (type == "ack") return read_ack(msg);
    return bad("unknown message type \"" + type + "\"");
}

std::string encode_subscribed(std::string_view id, std::uint64_t hub_seq) {
    std::string out = R"({"type":"subscribed","id":)";
    append_json_string(out, id);
    out += R"(,"hub_seq":)";
    append_uint(out, hub_seq);
    out += '}';
    return out;
}

std::string encode_alerts_subscribed(std::string_view id, std::uint64_t alert_seq) {
    std::string out = R"({"type":"subscribed","id":)";
    append_json_string(out, id);
    out += R"(,"alerts":true,"alert_seq":)";
    append_uint(out, alert_seq);
    out += '}';
    return out;
}

std::string encode_unsubscribed(std::string_view id) {
    std::string out = R"({"type":"unsubscribed","id":)";
    append_json_string(out, id);
    out += '}';
    return out;
}

std::string encode_acked(std::string_view sub, std::uint64_t hub_seq) {
    std::string out = R"({"type":"acked","sub":)";
    append_json_string(out, sub);
    out += R"(,"hub_seq":)";
    append_uint(out, hub_seq);
    out += '}';
    return out;
}

namespace {

// {"type":"gap","sub":ID,"from_<seq>":A,"to_<seq>":B,"missed":N}
std::string gap_message(std::string_view sub, std::string_view seq, std::uint64_t from,
                        std::uint64_t to, std::uint64_t missed) {
    std::string out = R"({"type":"gap","sub":)";
    append_json_string(out, sub);
    out += ",\"from_";
    out += seq;
    out += "\":";
    append_uint(out, from);
    out += ",\"to_";
    out += seq;
    out += "\":";
    append_uint(out, to);
    out += R"(,"missed":)";
    append_uint(out, missed);
    out += '}';
    return out;
}

}  // namespace

std::string encode_gap(std::string_view sub, std::uint64_t from_hub_seq, std::uint64_t to_hub_seq,
                       std::uint64_t missed) {
    return gap_message(sub, "hub_seq", from_hub_seq, to_hub_seq, missed);
}

std::string encode_alert_gap(std::string_view sub, std::uint64_t from_alert_seq,
                             std::uint64_t to_alert_seq, std::uint64_t missed) {
    return gap_message(sub, "alert_seq", from_alert_seq, to_alert_seq, missed);
}

std::string encode_crab_event(std::string_view event, std::string_view crab, std::int64_t at_us) {
    std::string out = R"({"type":"crab","event":)";
    append_json_string(out, event);
    out += R"(,"crab":)";
    append_json_string(out, crab);
    out += R"(,"at":)";
    append_seconds_us(out, at_us);
    out += '}';
    return out;
}

std::string snapshot_frame_prefix(std::string_view sub) {
    std::string out = R"({"type":"snapshot","sub":)";
    append_json_string(out, sub);
    out += ',';
    return out;
}

std::string batch_frame_prefix(std::string_view sub) {
    std::string out = R"({"type":"snapshots","sub":)";
    append_json_string(out, sub);
    out += R"(,"items":[)";
    return out;
}

}  // namespace octopus::protocol
