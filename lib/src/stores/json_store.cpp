// JSON: read with nlohmann's SAX parser (key order, duplicates, int/float as Go's json.Number
// decides), written as Go's encoding/json + json.Indent write it, since sops' bytes come from there.
#include <nlohmann/json.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "core/base64.hpp"
#include "core/go_format.hpp"
#include "sopskit/error.hpp"
#include "stores/stores_internal.hpp"

namespace sopskit::detail {

namespace {

constexpr std::size_t kMaxDepth = 10000;

class TreeBuilder : public nlohmann::json_sax<nlohmann::json> {
public:
    bool null() override { return put(Value::null()); }
    bool boolean(bool b) override { return put(Value::bool_value(b)); }
    bool number_integer(number_integer_t i) override { return put(Value::integer_value(i)); }
    bool number_unsigned(number_unsigned_t u) override {
        // Beyond int64, Go's json.Number.Int64 fails and sops falls back to float64.
        if (u > static_cast<number_unsigned_t>(INT64_MAX)) return put(Value::float_value(static_cast<double>(u)));
        return put(Value::integer_value(static_cast<std::int64_t>(u)));
    }
    bool number_float(number_float_t f, const string_t& text) override {
        // json.Number.Int64 uses ParseInt(text, 10): "1.0" and "1e2" are floats, as here.
        (void)text;
        return put(Value::float_value(f));
    }
    bool string(string_t& s) override { return put(Value::string(std::move(s))); }
    bool binary(binary_t&) override { return false; }
    bool start_object(std::size_t) override { return open(Value::empty_map()); }
    bool key(string_t& k) override {
        stack_.back().map.push_back(Item{Value::string(std::move(k)), Value::null()});
        return true;
    }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(Value::empty_list()); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
        error_ = "invalid JSON at byte " + std::to_string(position) + ": " + clean(ex.what());
        return false;
    }

    Value root;
    bool has_root = false;
    std::string error_;

private:
    static std::string clean(std::string msg) {
        auto p = msg.find("] ");
        return p == std::string::npos ? msg : msg.substr(p + 2);
    }
    bool open(Value v) {
        if (stack_.size() >= kMaxDepth) {
            error_ = "nesting deeper than " + std::to_string(kMaxDepth) + " levels";
            return false;
        }
        stack_.push_back(std::move(v));
        return true;
    }
    bool close() {
        Value v = std::move(stack_.back());
        stack_.pop_back();
        return put(std::move(v));
    }
    bool put(Value v) {
        if (stack_.empty()) {
            root = std::move(v);
            has_root = true;
        } else if (stack_.back().kind == Kind::Map) {
            stack_.back().map.back().value = std::move(v);
        } else {
            stack_.back().list.push_back(std::move(v));
        }
        return true;
    }
    std::vector<Value> stack_;
};

// --- writing ---------------------------------------------------------------------------------

void append_go_string(std::string& out, std::string_view s) {
    static const char* hex = "0123456789abcdef";
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            bool html_unsafe = c == '<' || c == '>' || c == '&';
            if (c >= 0x20 && c != '"' && c != '\\' && !html_unsafe) {
                out += static_cast<char>(c);
            } else {
                switch (c) {
                    case '"': out += "\\\""; break;
                    case '\\': out += "\\\\"; break;
                    case '\b': out += "\\b"; break;
                    case '\f': out += "\\f"; break;
                    case '\n': out += "\\n"; break;
                    case '\r': out += "\\r"; break;
                    case '\t': out += "\\t"; break;
                    default:
                        out += "\\u00";
                        out += hex[c >> 4];
                        out += hex[c & 0xF];
                }
            }
            ++i;
            continue;
        }
        // Multi-byte: validate, replace invalid bytes with U+FFFD, escape U+2028/U+2029.
        std::size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        bool valid = len > 0 && i + len <= s.size();
        std::uint32_t cp = 0;
        if (valid) {
            cp = c & (0x7F >> len);
            for (std::size_t k = 1; k < len; ++k) {
                unsigned char cc = static_cast<unsigned char>(s[i + k]);
                if ((cc & 0xC0) != 0x80) valid = false;
                cp = (cp << 6) | (cc & 0x3F);
            }
            static const std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
            if (valid && (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) valid = false;
        }
        if (!valid) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        if (cp == 0x2028 || cp == 0x2029) {
            out += cp == 0x2028 ? "\\u2028" : "\\u2029";
        } else {
            out.append(s.substr(i, len));
        }
        i += len;
    }
    out += '"';
}

std::string go_json_float(double f) {
    if (std::isnan(f) || std::isinf(f)) throw Error(ErrorCode::ErrorDumpingTree, "json: unsupported value: " + go_format_float(f, 'g'));
    double a = std::fabs(f);
    bool exponent = a != 0 && (a < 1e-6 || a >= 1e21);
    std::string s = go_format_float(f, exponent ? 'e' : 'f');
    if (exponent) {
        std::size_t n = s.size();
        if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);  // e-07 -> e-7
    }
    return s;
}

// Compact encoding as sops' encodeTree/encodeArray build it.
void encode(std::string& out, const Value& v) {
    switch (v.kind) {
        case Kind::Null: out += "null"; break;
        case Kind::Bool: out += v.boolean ? "true" : "false"; break;
        case Kind::Int: out += std::to_string(v.integer); break;
        case Kind::Float: out += go_json_float(v.number); break;
        case Kind::String:
        case Kind::Time: append_go_string(out, v.text); break;
        case Kind::Bytes: append_go_string(out, base64_encode(v.text)); break;
        case Kind::Comment: break;
        case Kind::Map: {
            out += '{';
            bool first = true;
            for (const auto& item : v.map) {
                if (item.is_comment()) continue;
                if (!first) out += ',';
                first = false;
                append_go_string(out, item.key.text);
                out += ": ";
                encode(out, item.value);
            }
            out += '}';
            break;
        }
        case Kind::List: {
            out += '[';
            bool first = true;
            for (const auto& e : v.list) {
                if (e.is_comment()) continue;
                if (!first) out += ',';
                first = false;
                encode(out, e);
            }
            out += ']';
            break;
        }
    }
}

// Go's json.Marshal of sops' tree types, which the INI store uses for a single value: compact,
// a mapping as its []TreeItem ({"Key":..,"Value":..} objects), a comment as {"Value":..}.
void marshal(std::string& out, const Value& v) {
    switch (v.kind) {
        case Kind::Comment:
            out += "{\"Value\":";
            append_go_string(out, v.text);
            out += '}';
            break;
        case Kind::Map: {
            out += '[';
            bool first = true;
            for (const auto& item : v.map) {
                if (!first) out += ',';
                first = false;
                out += "{\"Key\":";
                marshal(out, item.key);
                out += ",\"Value\":";
                marshal(out, item.value);
                out += '}';
            }
            out += ']';
            break;
        }
        case Kind::List: {
            out += '[';
            bool first = true;
            for (const auto& e : v.list) {
                if (!first) out += ',';
                first = false;
                marshal(out, e);
            }
            out += ']';
            break;
        }
        default: encode(out, v);
    }
}

// json.Indent over compact input: newline + indent after '{' '[' ',', ": " after ':', and empty
// containers kept as {} and [].
std::string indent_json(const std::string& in, const std::string& unit) {
    std::string out;
    out.reserve(in.size() + in.size() / 4);
    int depth = 0;
    bool need_indent = false, in_string = false, escaped = false;
    auto newline = [&](int d) {
        out += '\n';
        for (int i = 0; i < d; ++i) out += unit;
    };
    for (char c : in) {
        if (in_string) {
            out += c;
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
        if (need_indent && c != '}' && c != ']') {
            need_indent = false;
            newline(++depth);
        }
        switch (c) {
            case '"':
                in_string = true;
                out += c;
                break;
            case '{':
            case '[':
                need_indent = true;
                out += c;
                break;
            case ',':
                out += c;
                newline(depth);
                break;
            case ':': out += ": "; break;
            case '}':
            case ']':
                if (need_indent) need_indent = false;
                else newline(--depth);
                out += c;
                break;
            default: out += c;
        }
    }
    return out;
}

std::string indent_unit(int indent) {
    if (indent < -1) throw Error(ErrorCode::Generic, "JSON Indentation parameter smaller than -1 is not accepted");
    return indent == -1 ? std::string("\t") : std::string(static_cast<std::size_t>(indent), ' ');
}

}  // namespace

Branch json_load(std::string_view bytes) {
    TreeBuilder builder;
    bool ok = nlohmann::json::sax_parse(bytes.begin(), bytes.end(), &builder, nlohmann::json::input_format_t::json, true);
    if (!ok || !builder.has_root) {
        std::string why = builder.error_.empty() ? "invalid JSON" : builder.error_;
        throw Error(ErrorCode::Generic, "Could not unmarshal input data: " + why);
    }
    if (builder.root.kind == Kind::List)
        throw Error(ErrorCode::Generic,
                    "Could not unmarshal input data: SOPS only supports JSON files with a top-level object (starting with "
                    "'{'), not arrays or other types. To encrypt this file, wrap it in an object, e.g., {\"data\": [...]}");
    if (builder.root.kind != Kind::Map)
        throw Error(ErrorCode::Generic,
                    "Could not unmarshal input data: SOPS only supports JSON files with a top-level object (starting with "
                    "'{'), not other JSON types");
    return std::move(builder.root.map);
}

std::string json_emit(const Branch& doc, int indent) {
    Value root = Value::empty_map();
    root.map = doc;
    std::string compact;
    encode(compact, root);
    std::string out = indent_json(compact, indent_unit(indent));
    wipe(compact);
    out += '\n';
    return out;
}

std::string json_marshal_value(const Value& v) {
    std::string out;
    marshal(out, v);
    return out;
}

std::string json_emit_value(const Value& v, int indent) {
    std::string compact;
    encode(compact, v);
    std::string out = indent_json(compact, indent_unit(indent));
    wipe(compact);
    return out;
}

}  // namespace sopskit::detail
