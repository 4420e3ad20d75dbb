// The age header: version line, stanzas with 64-column base64 bodies, and the MAC line.
#include "age/age_internal.hpp"
#include "sopskit/error.hpp"

namespace sopskit::age::detail {

namespace {

constexpr std::string_view kVersionLine = "age-encryption.org/v1\n";
constexpr std::size_t kColumns = 64;

// A line without its '\n'; fails when the input ends first.
std::string_view take_line(std::string_view file, std::size_t& pos) {
    std::size_t nl = file.find('\n', pos);
    if (nl == std::string_view::npos) header_failure("unexpected end of header");
    std::string_view line = file.substr(pos, nl - pos);
    pos = nl + 1;
    return line;
}

bool valid_arg(std::string_view a) {
    if (a.empty()) return false;
    for (char c : a)
        if (c < 0x21 || c > 0x7E) return false;
    return true;
}

std::vector<std::string> split_args(std::string_view line) {
    std::vector<std::string> args;
    std::size_t start = 0;
    while (true) {
        std::size_t sp = line.find(' ', start);
        std::string_view a = line.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start);
        if (!valid_arg(a)) header_failure("malformed stanza argument");
        args.emplace_back(a);
        if (sp == std::string_view::npos) break;
        start = sp + 1;
    }
    return args;
}

std::string read_body(std::string_view file, std::size_t& pos) {
    std::string body;
    while (true) {
        std::string_view line = take_line(file, pos);
        if (line.size() > kColumns) header_failure("stanza body line longer than 64 columns");
        auto decoded = b64_raw_decode(line);
        if (!decoded) header_failure("stanza body is not canonical base64");
        body += *decoded;
        if (line.size() < kColumns) return body;
    }
}

}  // namespace

Header parse_header(std::string_view file) {
    if (file.substr(0, kVersionLine.size()) != kVersionLine) {
        if (file.rfind("age-encryption.org/", 0) == 0) header_failure("unsupported age version");
        header_failure("not an age file");
    }
    Header h;
    std::size_t pos = kVersionLine.size();
    while (true) {
        if (file.substr(pos, 4) == "--- ") {
            std::size_t mac_start = pos + 4;
            h.mac_input_end = pos + 3;
            std::string_view line = take_line(file, pos);
            auto mac = b64_raw_decode(line.substr(4));
            if (!mac || mac->size() != 32) header_failure("malformed header MAC");
            (void)mac_start;
            h.mac = *mac;
            h.payload_start = pos;
            break;
        }
        if (file.substr(pos, 3) != "-> ") header_failure("malformed stanza");
        std::string_view line = take_line(file, pos);
        std::vector<std::string> args = split_args(line.substr(3));
        Stanza s;
        s.type = args.front();
        s.args.assign(args.begin() + 1, args.end());
        s.body = read_body(file, pos);
        h.stanzas.push_back(std::move(s));
    }
    if (h.stanzas.empty()) header_failure("no recipient stanzas");
    return h;
}

std::string encode_stanza(const Stanza& s) {
    std::string out = "-> " + s.type;
    for (const auto& a : s.args) out += " " + a;
    out += '\n';
    std::string b64 = b64_raw_encode(s.body);
    for (std::size_t i = 0; i < b64.size(); i += kColumns) out += b64.substr(i, kColumns) + "\n";
    if (b64.size() % kColumns == 0) out += '\n';  // a body always ends with a short line
    return out;
}

std::string header_without_mac(const std::vector<Stanza>& stanzas) {
    std::string out(kVersionLine);
    for (const auto& s : stanzas) out += encode_stanza(s);
    out += "---";
    return out;
}

}  // namespace sopskit::age::detail
