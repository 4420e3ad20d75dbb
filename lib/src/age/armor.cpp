// age's ASCII armor: strict PEM-like framing with 64-column standard base64.
#include "age/age_internal.hpp"
#include "core/base64.hpp"
#include "sopskit/error.hpp"

namespace sopskit::age::detail {

namespace {
constexpr std::string_view kBegin = "-----BEGIN AGE ENCRYPTED FILE-----";
constexpr std::string_view kEnd = "-----END AGE ENCRYPTED FILE-----";
constexpr std::size_t kColumns = 64;

[[noreturn]] void armor_failure(const std::string& what) { throw Error(ErrorCode::Generic, "age armor failure: " + what); }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// One line ending in "\n" or "\r\n" (or the end of input); the terminator is not returned.
std::string_view next_line(std::string_view text, std::size_t& pos, bool& at_end) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    at_end = nl == std::string_view::npos;
    pos = at_end ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}
}  // namespace

bool looks_armored(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && is_space(text[i])) ++i;
    return text.substr(i, kBegin.size()) == kBegin;
}

std::string dearmor(std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size() && is_space(text[pos])) ++pos;
    bool at_end = false;
    if (next_line(text, pos, at_end) != kBegin) armor_failure("missing BEGIN line");
    std::string b64;
    std::size_t previous_len = kColumns;
    while (true) {
        if (at_end) armor_failure("missing END line");
        std::string_view line = next_line(text, pos, at_end);
        if (line == kEnd) break;
        if (previous_len != kColumns) armor_failure("only the last line may be shorter than 64 columns");
        if (line.empty() || line.size() > kColumns) armor_failure("bad line length");
        previous_len = line.size();
        b64 += line;
    }
    for (std::size_t i = pos; i < text.size(); ++i)
        if (!is_space(text[i])) armor_failure("data after the END line");
    auto bytes = sopskit::detail::base64_decode(b64);
    if (!bytes || sopskit::detail::base64_encode(*bytes) != b64) armor_failure("invalid or non-canonical base64");
    return *bytes;
}

std::string armor(std::string_view binary) {
    std::string b64 = sopskit::detail::base64_encode(binary);
    std::string out(kBegin);
    out += '\n';
    for (std::size_t i = 0; i < b64.size(); i += kColumns) out += b64.substr(i, kColumns) + "\n";
    out += kEnd;
    out += '\n';
    return out;
}

}  // namespace sopskit::age::detail
