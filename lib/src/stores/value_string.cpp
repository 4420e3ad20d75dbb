#include <cmath>

#include "core/go_format.hpp"
#include "stores/stores_internal.hpp"

namespace sopskit::detail {

// sops' stores.ValToString.
std::string value_to_string(const Value& v) {
    switch (v.kind) {
        case Kind::Float: {
            std::string s = go_format_float(v.number, 'g');
            for (char& c : s)
                if (c == 'e') c = 'E';  // 'G' format
            // Something that reads like an integer gets one decimal digit.
            if (s.find('.') == std::string::npos && s.find('E') == std::string::npos && std::isfinite(v.number)) {
                char buf[64];
                std::snprintf(buf, sizeof buf, "%.1f", v.number);
                return buf;
            }
            return s;
        }
        case Kind::Bool: return v.boolean ? "true" : "false";
        case Kind::Int: return std::to_string(v.integer);
        case Kind::Null: return "<nil>";
        default: return v.text;
    }
}

}  // namespace sopskit::detail
