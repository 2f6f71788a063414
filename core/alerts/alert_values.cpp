// Reads a stored values object with simdjson On-Demand, as protocol/decoder.cpp does: one
// parser and one padded buffer per thread, reused, so a snapshot costs no allocation beyond the
// values kept. Unwanted keys are skipped without decoding their values.
#include "core/alerts/alert_values.hpp"

#include <simdjson.h>

#include <algorithm>

namespace octopus::core {

namespace od = simdjson::ondemand;

AlertValues parse_alert_values(std::string_view values_json,
                               const std::vector<std::string>* wanted) {
    thread_local od::parser parser;
    thread_local std::string padded;
    AlertValues out;
    // simdjson reads up to SIMDJSON_PADDING bytes past the end of its input.
    padded.assign(values_json);
    padded.append(simdjson::SIMDJSON_PADDING, '\0');
    od::document doc;
    od::object obj;
    if (parser.iterate(padded.data(), values_json.size(), padded.size()).get(doc) ||
        doc.get_object().get(obj)) {
        return out;
    }
    for (auto fr : obj) {
        od::field f;
        std::string_view key;
        if (std::move(fr).get(f) || f.unescaped_key().get(key)) break;
        if (wanted && std::find(wanted->begin(), wanted->end(), key) == wanted->end()) continue;
        std::string k(key);
        od::value v = f.value();
        od::json_type type;
        if (v.type().get(type)) break;
        if (type == od::json_type::number) {
            double d = 0;
            if (v.get_double().get(d)) break;
            out.insert_or_assign(std::move(k), d);
        } else if (type == od::json_type::boolean) {
            bool b = false;
            if (v.get_bool().get(b)) break;
            out.insert_or_assign(std::move(k), b);
        } else if (type == od::json_type::string) {
            std::string_view s;
            if (v.get_string().get(s)) break;
            out.insert_or_assign(std::move(k), std::string(s));
        }  // anything else cannot come from the decoder: skipped
    }
    return out;
}

}  // namespace octopus::core
