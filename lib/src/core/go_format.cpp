#include "core/go_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace sopskit::detail {

namespace {

std::string to_chars_string(double d, std::chars_format fmt) {
    char buf[400];
    auto res = std::to_chars(buf, buf + sizeof buf, d, fmt);
    return std::string(buf, res.ptr);
}

// Decimal exponent of the shortest scientific form ("1.5e+07" -> 7).
int scientific_exponent(const std::string& sci) {
    auto e = sci.find('e');
    return std::atoi(sci.c_str() + e + 1);
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

}  // namespace

std::string go_format_float(double d, char fmt) {
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
    switch (fmt) {
        case 'f': return to_chars_string(d, std::chars_format::fixed);
        case 'e': return to_chars_string(d, std::chars_format::scientific);
        default: {
            // 'g' with shortest precision: Go switches to %e when exp < -4 || exp >= 6 (eprec = 6).
            if (d == 0) return std::signbit(d) ? "-0" : "0";
            std::string sci = to_chars_string(d, std::chars_format::scientific);
            int exp = scientific_exponent(sci);
            if (exp < -4 || exp >= 6) return sci;
            return to_chars_string(d, std::chars_format::fixed);
        }
    }
}

std::optional<std::int64_t> go_parse_int(std::string_view s) {
    if (s.empty()) return std::nullopt;
    bool negative = false;
    if (s[0] == '+' || s[0] == '-') {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    int base = 10;
    if (s.size() >= 2 && s[0] == '0') {
        char p = static_cast<char>(std::tolower(static_cast<unsigned char>(s[1])));
        if (p == 'x') base = 16, s.remove_prefix(2);
        else if (p == 'o') base = 8, s.remove_prefix(2);
        else if (p == 'b') base = 2, s.remove_prefix(2);
        else base = 8, s.remove_prefix(1);
    }
    if (s.empty()) return std::nullopt;
    std::uint64_t magnitude = 0;
    auto res = std::from_chars(s.data(), s.data() + s.size(), magnitude, base);
    if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return std::nullopt;
    constexpr std::uint64_t max_pos = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!negative && magnitude > max_pos) return std::nullopt;
    if (negative && magnitude > max_pos + 1) return std::nullopt;
    if (negative) return static_cast<std::int64_t>(0 - magnitude);
    return static_cast<std::int64_t>(magnitude);
}

std::optional<double> go_parse_float(std::string_view s) {
    if (s.empty()) return std::nullopt;
    std::string_view body = s;
    bool negative = false;
    if (body[0] == '+' || body[0] == '-') {
        negative = body[0] == '-';
        body.remove_prefix(1);
    }
    if (equals_ignore_case(body, "inf") || equals_ignore_case(body, "infinity"))
        return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    if (equals_ignore_case(body, "nan")) return std::numeric_limits<double>::quiet_NaN();
    double d = 0;
    auto res = std::from_chars(body.data(), body.data() + body.size(), d, std::chars_format::general);
    if (res.ptr != body.data() + body.size()) return std::nullopt;
    if (res.ec == std::errc::result_out_of_range) {
        // Go returns ±Inf (with an error) or 0 for underflow; treat overflow as not a float.
        return std::nullopt;
    }
    if (res.ec != std::errc()) return std::nullopt;
    return negative ? -d : d;
}

}  // namespace sopskit::detail
