// Plugin names and the plugin protocol's stanza stream (the header's stanza syntax, read
// incrementally from a pipe).
#include <cctype>

#include "age/plugin_internal.hpp"
#include "sopskit/error.hpp"

namespace sopskit::age::detail {

namespace {

constexpr std::size_t kColumns = 64;
constexpr std::size_t kMaxArgs = 64;

[[noreturn]] void protocol_error(const std::string& what) { throw Error(ErrorCode::Generic, "age plugin protocol: " + what); }

bool valid_plugin_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.' && c != '_') return false;
    return true;
}

bool valid_arg(std::string_view a) {
    if (a.empty()) return false;
    for (char c : a)
        if (c < 0x21 || c > 0x7E) return false;
    return true;
}

}  // namespace

std::optional<std::string> plugin_name_of_recipient(std::string_view text) {
    auto decoded = bech32_decode(text);
    if (!decoded || decoded->first.rfind("age1", 0) != 0) return std::nullopt;
    std::string name = decoded->first.substr(4);
    if (!valid_plugin_name(name)) return std::nullopt;
    return name;
}

std::optional<std::string> plugin_name_of_identity(std::string_view text) {
    auto decoded = bech32_decode(text);  // the HRP comes back lower case
    if (decoded) wipe(decoded->second);
    constexpr std::string_view kPrefix = "age-plugin-";
    if (!decoded || decoded->first.rfind(kPrefix, 0) != 0 || decoded->first.back() != '-') return std::nullopt;
    std::string name = decoded->first.substr(kPrefix.size(), decoded->first.size() - kPrefix.size() - 1);
    if (!valid_plugin_name(name)) return std::nullopt;
    return name;
}

std::optional<Stanza> read_plugin_stanza(std::string_view buffer, std::size_t& pos) {
    std::size_t at = pos;
    auto line = [&]() -> std::optional<std::string_view> {
        std::size_t nl = buffer.find('\n', at);
        if (nl == std::string_view::npos) return std::nullopt;
        std::string_view l = buffer.substr(at, nl - at);
        at = nl + 1;
        return l;
    };
    auto first = line();
    if (!first) return std::nullopt;
    if (first->substr(0, 3) != "-> ") protocol_error("expected a stanza, got another line");
    Stanza s;
    std::string_view rest = first->substr(3);
    while (true) {
        std::size_t sp = rest.find(' ');
        std::string_view a = rest.substr(0, sp);
        if (!valid_arg(a)) protocol_error("malformed stanza argument");
        if (s.type.empty()) s.type = a;
        else if (s.args.size() == kMaxArgs) protocol_error("too many stanza arguments");
        else s.args.emplace_back(a);
        if (sp == std::string_view::npos) break;
        rest = rest.substr(sp + 1);
    }
    while (true) {
        auto body = line();
        if (!body) {
            wipe(s.body);
            return std::nullopt;
        }
        if (body->size() > kColumns) protocol_error("stanza body line longer than 64 columns");
        auto decoded = b64_raw_decode(*body);
        if (!decoded) protocol_error("stanza body is not canonical base64");
        s.body += *decoded;
        wipe(*decoded);
        if (body->size() < kColumns) break;
    }
    pos = at;
    return s;
}

}  // namespace sopskit::age::detail
