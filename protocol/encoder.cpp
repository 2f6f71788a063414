#include "protocol/encoder.hpp"

#include "protocol/json_text.hpp"

namespace octopus::protocol {

std::string encode_welcome(std::string_view crab, std::optional<std::uint64_t> last_seq,
                           std::size_t buffer_size) {
    std::string out = R"({"type":"welcome","crab":)";
    append_json_string(out, crab);
    out += R"(,"last_seq":)";
    if (last_seq) {
        append_uint(out, *last_seq);
    } else {
        out += "null";
    }
    out += R"(,"buffer_size":)";
    append_uint(out, buffer_size);
    out += '}';
    return out;
}

std::string encode_ack(std::uint64_t seq) {
    std::string out = R"({"type":"ack","seq":)";
    append_uint(out, seq);
    out += '}';
    return out;
}

std::string encode_error(const Error& error) {
    std::string out = R"({"type":"error","code":)";
    append_json_string(out, to_string(error.code));
    out += R"(,"message":)";
    append_json_string(out, error.message);
    if (error.seq) {
        out += R"(,"seq":)";
        append_uint(out, *error.seq);
    }
    out += '}';
    return out;
}

std::string encode_collect(std::string_view request_id) {
    std::string out = R"({"type":"collect","id":)";
    append_json_string(out, request_id);
    out += '}';
    return out;
}

std::string encode_hello(std::string_view crab) {
    std::string out = R"({"type":"hello","crab":)";
    append_json_string(out, crab);
    out += '}';
    return out;
}

void append_snapshot_fields(std::string& out, const SnapshotText& s) {
    if (s.seq) {
        out += R"("seq":)";
        append_uint(out, *s.seq);
        out += ',';
    }
    if (!s.timestamp_raw.empty()) {
        out += R"("timestamp":)";
        out += s.timestamp_raw;
        out += ',';
    }
    if (!s.reply_to.empty()) {
        out += R"("reply_to":)";
        append_json_string(out, s.reply_to);
        out += ',';
    }
    out += R"("values":)";
    out += s.values_json;
    if (!s.tags_json.empty() && s.tags_json != "{}") {
        out += R"(,"tags":)";
        out += s.tags_json;
    }
}

std::string encode_snapshot(const SnapshotText& s) {
    std::string out = R"({"type":"snapshot",)";
    append_snapshot_fields(out, s);
    out += '}';
    return out;
}

}  // namespace octopus::protocol
