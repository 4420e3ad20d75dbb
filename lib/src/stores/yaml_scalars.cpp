#include "stores/yaml_scalars.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/go_format.hpp"
#include "re2/re2.h"

namespace sopskit::detail {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string without_underscores(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s)
        if (c != '_') out += c;
    return out;
}

// The float syntax go-yaml accepts before handing over to strconv.ParseFloat.
bool yaml_style_float(const std::string& s) {
    static const RE2 re(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
    return RE2::FullMatch(s, re);
}

// Numbers and timestamps: go-yaml's resolve() branch for scalars starting with a digit or sign.
std::optional<Value> resolve_numeric(std::string_view text) {
    if (auto ts = parse_yaml_timestamp(text)) return Value::time(*ts);
    std::string plain = without_underscores(text);
    // ParseInt with base 0 also covers go-yaml's 0b/0o fallbacks.
    if (auto i = go_parse_int(plain)) return Value::integer_value(*i);
    if (yaml_style_float(plain))
        if (auto f = go_parse_float(plain)) return Value::float_value(*f);
    return std::nullopt;
}

// go-yaml's resolve map: exact spellings of null, bools, infinities and NaN.
std::optional<Value> resolve_keyword(std::string_view s) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value::null();
    if (s == "true" || s == "True" || s == "TRUE") return Value::bool_value(true);
    if (s == "false" || s == "False" || s == "FALSE") return Value::bool_value(false);
    constexpr double inf = std::numeric_limits<double>::infinity();
    if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" || s == "+.Inf" || s == "+.INF")
        return Value::float_value(inf);
    if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return Value::float_value(-inf);
    if (s == ".nan" || s == ".NaN" || s == ".NAN") return Value::float_value(std::numeric_limits<double>::quiet_NaN());
    return std::nullopt;
}

// Reads 1-2 digit (or exactly `width` digit) decimal fields for the timestamp parser.
bool read_number(std::string_view s, size_t& pos, int min_digits, int max_digits, int& out) {
    int n = 0, count = 0;
    while (pos < s.size() && is_digit(s[pos]) && count < max_digits) {
        n = n * 10 + (s[pos] - '0');
        ++pos;
        ++count;
    }
    out = n;
    return count >= min_digits;
}

bool valid_date(int y, int m, int d) {
    static constexpr std::array<int, 12> days{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1) return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int max = days[m - 1] - (m == 2 && !leap ? 1 : 0);
    return d <= max;
}

}  // namespace

std::optional<std::string> parse_yaml_timestamp(std::string_view s) {
    // go-yaml only tries timestamps that start with exactly four digits and a dash.
    size_t i = 0;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i != 4 || i == s.size() || s[i] != '-') return std::nullopt;
    size_t pos = 0;
    int year, month, day, hour = 0, minute = 0, second = 0;
    std::string fraction;
    int offset_minutes = 0;
    read_number(s, pos, 4, 4, year);
    if (s[pos++] != '-' || !read_number(s, pos, 1, 2, month)) return std::nullopt;
    if (pos >= s.size() || s[pos++] != '-' || !read_number(s, pos, 1, 2, day)) return std::nullopt;
    if (!valid_date(year, month, day)) return std::nullopt;
    if (pos < s.size()) {
        char sep = s[pos];
        bool spaced = sep == ' ';
        if (sep != 'T' && sep != 't' && !spaced) return std::nullopt;
        ++pos;
        if (!read_number(s, pos, 1, 2, hour)) return std::nullopt;
        if (pos >= s.size() || s[pos++] != ':' || !read_number(s, pos, 1, 2, minute)) return std::nullopt;
        if (pos >= s.size() || s[pos++] != ':' || !read_number(s, pos, 1, 2, second)) return std::nullopt;
        if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
        if (pos < s.size() && s[pos] == '.') {
            ++pos;
            while (pos < s.size() && is_digit(s[pos])) fraction += s[pos++];
            if (fraction.empty() || fraction.size() > 9) return std::nullopt;
        }
        if (spaced) {
            if (pos != s.size()) return std::nullopt;  // the spaced form carries no zone
        } else {
            if (pos >= s.size()) return std::nullopt;  // the T form requires a zone
            if (s[pos] == 'Z') {
                ++pos;
            } else if (s[pos] == '+' || s[pos] == '-') {
                int sign = s[pos++] == '-' ? -1 : 1, oh, om;
                if (!read_number(s, pos, 2, 2, oh) || pos >= s.size() || s[pos++] != ':' ||
                    !read_number(s, pos, 2, 2, om))
                    return std::nullopt;
                offset_minutes = sign * (oh * 60 + om);
            } else {
                return std::nullopt;
            }
            if (pos != s.size()) return std::nullopt;
        }
    }
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, hour, minute, second);
    std::string out = buf;
    if (!fraction.empty()) out += "." + fraction;
    if (offset_minutes == 0) {
        out += "Z";
    } else {
        int a = std::abs(offset_minutes);
        std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
        out += buf;
    }
    return out;
}

// Whether a scalar starting with `c` may be anything but a string: every keyword, YAML 1.1
// bool, number and timestamp starts with one of these. Most texts (every envelope) do not.
bool may_resolve_to_non_string(char c) {
    return is_digit(c) || std::string_view("~nNtTfFyYoO.+-").find(c) != std::string_view::npos;
}

std::optional<Value> resolve_plain_non_string(std::string_view text) {
    if (!text.empty() && !may_resolve_to_non_string(text[0])) return std::nullopt;
    if (auto v = resolve_keyword(text)) return v;
    char first = text[0];
    if (is_digit(first) || first == '+' || first == '-') {
        if (auto v = resolve_numeric(text)) return v;
    } else if (first == '.') {
        if (auto f = go_parse_float(text)) return Value::float_value(*f);
    }
    return std::nullopt;
}

Value resolve_plain_scalar(std::string_view text) {
    if (auto v = resolve_plain_non_string(text)) return std::move(*v);
    return Value::string(std::string(text));
}

Value resolve_tagged_scalar(std::string_view text, std::string_view tag, bool plain) {
    if (tag == "tag:yaml.org,2002:str") return Value::string(std::string(text));
    if (tag == "tag:yaml.org,2002:null") return Value::null();
    if (tag == "tag:yaml.org,2002:binary") return Value::string(std::string(text));
    if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" || tag == "tag:yaml.org,2002:bool" ||
        tag == "tag:yaml.org,2002:timestamp") {
        Value v = resolve_plain_scalar(text);
        if (v.kind != Kind::String) return v;
    }
    (void)plain;
    return Value::string(std::string(text));
}

bool plain_string_would_change_type(std::string_view s) {
    if (!s.empty() && !may_resolve_to_non_string(s[0])) return false;
    if (resolve_plain_non_string(s)) return true;
    // go-yaml also quotes YAML 1.1 booleans and base-60 floats so older parsers agree.
    static const std::array<std::string_view, 22> old_bools{
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
        "true", "True", "TRUE", "false", "False", "FALSE"};
    for (auto b : old_bools)
        if (s == b) return true;
    if (s.empty() || !(is_digit(s[0]) || s[0] == '+' || s[0] == '-')) return false;  // base 60 needs a sign or digit first
    static const RE2 base60(R"(^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$)");
    return RE2::FullMatch(s, base60);
}

}  // namespace sopskit::detail
