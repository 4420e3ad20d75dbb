#include "keys/gpg_agent/key_info.hpp"

#include <vector>

namespace sopskit::detail::gpg_agent {

namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); }

std::vector<std::string_view> fields_of(std::string_view text, std::size_t max) {
    std::vector<std::string_view> out;
    while (!text.empty() && out.size() < max) {
        std::size_t space = text.find(' ');
        out.push_back(text.substr(0, space));
        if (space == std::string_view::npos) break;
        text.remove_prefix(space + 1);
    }
    return out;
}

}  // namespace

bool is_keygrip(std::string_view text) {
    if (text.size() != 40) return false;
    for (char c : text)
        if (!is_hex(c)) return false;
    return true;
}

std::optional<KeyInfo> parse_keyinfo(std::string_view args) {
    std::vector<std::string_view> f = fields_of(args, 16);
    if (f.size() < 6 || !is_keygrip(f[0])) return std::nullopt;
    for (std::size_t i = 1; i < f.size(); ++i)
        if (f[i].empty()) return std::nullopt;  // two spaces in a row
    if (f[1].size() != 1 || f[5].size() != 1 || (f[4] != "1" && f[4] != "-")) return std::nullopt;
    KeyInfo info;
    info.keygrip = std::string(f[0]);
    info.type = f[1][0];
    info.cached = f[4] == "1";
    info.protection = f[5][0];
    info.flags = f.size() > 8 ? std::string(f[8]) : "-";
    return info;
}

bool usable_without_prompt(const KeyInfo& info) {
    return info.type == 'D' && (info.protection == 'C' || info.cached) && info.flags == "-";
}

}  // namespace sopskit::detail::gpg_agent
