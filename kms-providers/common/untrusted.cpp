// Grammar checks and escaping for untrusted strings (see untrusted.hpp).
#include "common/untrusted.hpp"

#include <algorithm>
#include <cctype>

namespace sopskit::kms {

namespace {
bool ascii_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool ascii_digit(char c) { return c >= '0' && c <= '9'; }

bool is_ipv4(std::string_view s) {
    int parts = 0;
    while (true) {
        std::size_t n = 0;
        unsigned value = 0;
        while (n < s.size() && ascii_digit(s[n]) && n < 3) value = value * 10 + static_cast<unsigned>(s[n++] - '0');
        if (n == 0 || value > 255) return false;
        ++parts;
        s.remove_prefix(n);
        if (s.empty()) return parts == 4;
        if (s.front() != '.' || parts == 4) return false;
        s.remove_prefix(1);
    }
}

bool is_ipv6_literal(std::string_view s) {
    if (s.size() < 4 || s.size() > 47 || s.front() != '[' || s.back() != ']') return false;
    s = s.substr(1, s.size() - 2);
    bool colon = false;
    for (char c : s) {
        if (c == ':') colon = true;
        else if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '.') return false;
    }
    return colon;
}
}  // namespace

bool is_dns_label(std::string_view s) {
    if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return ascii_alnum(c) || c == '-'; });
}

bool is_dns_name(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    while (true) {
        std::size_t dot = s.find('.');
        if (!is_dns_label(s.substr(0, dot))) return false;
        if (dot == std::string_view::npos) return true;
        s.remove_prefix(dot + 1);
    }
}

bool is_url_host(std::string_view s) { return is_ipv6_literal(s) || is_ipv4(s) || is_dns_name(s); }

bool is_port(std::string_view s) {
    if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), ascii_digit)) return false;
    unsigned long v = std::stoul(std::string(s));
    return v >= 1 && v <= 65535;
}

bool split_authority(std::string_view authority, std::string& host, std::string& port) {
    std::size_t colon = authority.rfind(':');
    std::size_t bracket = authority.rfind(']');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        host = std::string(authority.substr(0, colon));
        port = std::string(authority.substr(colon + 1));
        if (!is_port(port)) return false;
    } else {
        host = std::string(authority);
        port.clear();
    }
    return is_url_host(host);
}

std::string excerpt(std::string_view s, std::size_t limit) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    std::size_t i = 0;
    for (; i < s.size() && out.size() < limit; ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    if (i < s.size()) {
        // Do not leave half a UTF-8 sequence before the ellipsis.
        std::size_t lead = out.size();
        while (lead > 0 && out.size() - lead < 4 && (static_cast<unsigned char>(out[lead - 1]) & 0xC0) == 0x80) --lead;
        if (lead > 0 && static_cast<unsigned char>(out[lead - 1]) >= 0xC0) {
            auto b = static_cast<unsigned char>(out[lead - 1]);
            std::size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            if (out.size() - (lead - 1) < need) out.resize(lead - 1);
        }
        out += "...";
    }
    return out;
}

}  // namespace sopskit::kms
