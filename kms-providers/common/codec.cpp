// Base64 variants, trimming, file reading.
#include "common/codec.hpp"

#include <fstream>
#include <sstream>

#include "common/untrusted.hpp"
#include "core/base64.hpp"

namespace sopskit::kms {

std::string b64_encode(std::string_view bytes) { return detail::base64_encode(bytes); }
std::optional<std::string> b64_decode(std::string_view text) { return detail::base64_decode(text); }

std::string b64url_encode(std::string_view bytes) {
    std::string s = detail::base64_encode(bytes);
    while (!s.empty() && s.back() == '=') s.pop_back();
    for (auto& c : s) {
        if (c == '+') c = '-';
        else if (c == '/') c = '_';
    }
    return s;
}

std::optional<std::string> b64url_decode(std::string_view text) {
    std::string s(text);
    while (!s.empty() && s.back() == '=') s.pop_back();
    for (auto& c : s) {
        if (c == '-') c = '+';
        else if (c == '_') c = '/';
    }
    while (s.size() % 4) s.push_back('=');
    return detail::base64_decode(s);
}

std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

std::optional<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string one_line(std::string_view s, std::size_t limit) {
    // Line breaks and tabs read as spaces; every other control character is escaped (excerpt).
    std::string flat(s.substr(0, limit + 4));
    for (auto& c : flat)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    std::string out = excerpt(trim(flat), limit);
    if (s.size() > flat.size() && out.size() >= 3 && out.compare(out.size() - 3, 3, "...") != 0) out += "...";
    return out;
}

}  // namespace sopskit::kms
