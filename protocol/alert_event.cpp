#include "protocol/alert_event.hpp"

#include <nlohmann/json.hpp>

#include "protocol/json_text.hpp"

namespace octopus::protocol {

namespace {

void field(std::string& out, const char* name) {
    out += ",\"";
    out += name;
    out += "\":";
}

void string_field(std::string& out, const char* name, std::string_view value) {
    field(out, name);
    append_json_string(out, value);
}

void number_field(std::string& out, const char* name, std::uint64_t value) {
    field(out, name);
    out += std::to_string(value);
}

void labels_field(std::string& out, const std::map<std::string, std::string>& labels) {
    field(out, "labels");
    out += '{';
    for (const auto& [k, v] : labels) {
        if (out.back() != '{') out += ',';
        append_json_string(out, k);
        out += ':';
        append_json_string(out, v);
    }
    out += '}';
}

void hooks_field(std::string& out, const std::vector<std::string>& hooks) {
    field(out, "hooks");
    out += '[';
    for (const auto& h : hooks) {
        if (out.back() != '[') out += ',';
        append_json_string(out, h);
    }
    out += ']';
}

template <typename T>
bool get(const nlohmann::json& j, const char* key, T& out) {
    auto it = j.find(key);
    if (it == j.end()) return false;
    try {
        out = it->get<T>();
        return true;
    } catch (const nlohmann::json::exception&) {
        return false;
    }
}

}  // namespace

const char* to_string(AlertState state) {
    switch (state) {
        case AlertState::inactive:
            return "inactive";
        case AlertState::pending:
            return "pending";
        case AlertState::firing:
            return "firing";
        case AlertState::resolved:
            return "resolved";
    }
    return "inactive";
}

std::optional<AlertState> alert_state_from(std::string_view text) {
    for (auto s :
         {AlertState::inactive, AlertState::pending, AlertState::firing, AlertState::resolved}) {
        if (text == to_string(s)) return s;
    }
    return std::nullopt;
}

std::string encode_alert_event(const AlertEvent& e) {
    std::string out = "{\"alert_seq\":" + std::to_string(e.alert_seq);
    string_field(out, "rule", e.rule);
    string_field(out, "crab", e.crab);
    string_field(out, "state", to_string(e.to));
    string_field(out, "previous", to_string(e.from));
    field(out, "at");
    append_seconds_us(out, e.at_us);
    number_field(out, "at_us", static_cast<std::uint64_t>(e.at_us));
    number_field(out, "pending_since_us", static_cast<std::uint64_t>(e.pending_since_us));
    number_field(out, "firing_since_us", static_cast<std::uint64_t>(e.firing_since_us));
    number_field(out, "hub_seq", e.hub_seq);
    string_field(out, "severity", e.severity);
    labels_field(out, e.labels);
    string_field(out, "condition", e.condition);
    string_field(out, "reason", e.reason);
    field(out, "values");
    out += e.values_json.empty() ? "{}" : e.values_json;
    hooks_field(out, e.hooks);
    out += '}';
    return out;
}

Result<AlertEvent> decode_alert_event(std::string_view line) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Error{ErrorCode::bad_json, "not a JSON object"};
    AlertEvent e;
    std::string state, previous;
    bool ok = get(j, "alert_seq", e.alert_seq) && get(j, "rule", e.rule) &&
              get(j, "crab", e.crab) && get(j, "state", state) && get(j, "previous", previous) &&
              get(j, "at_us", e.at_us) && get(j, "pending_since_us", e.pending_since_us) &&
              get(j, "firing_since_us", e.firing_since_us);
    auto to = alert_state_from(state);
    auto from = alert_state_from(previous);
    if (!ok || !to || !from)
        return Error{ErrorCode::bad_message, "alert record lacks a required field"};
    e.to = *to;
    e.from = *from;
    get(j, "hub_seq", e.hub_seq);
    get(j, "severity", e.severity);
    get(j, "labels", e.labels);
    get(j, "condition", e.condition);
    get(j, "reason", e.reason);
    get(j, "hooks", e.hooks);
    if (auto v = j.find("values"); v != j.end()) e.values_json = v->dump();
    return e;
}

std::string alert_frame(std::string_view sub, std::string_view event_json) {
    std::string out = R"({"type":"alert","sub":)";
    append_json_string(out, sub);
    out += ',';
    out.append(event_json.substr(1));
    return out;
}

}  // namespace octopus::protocol
