#include "keys/openpgp/armor.hpp"

#include <optional>

#include "core/base64.hpp"
#include "keys/openpgp/errors.hpp"

namespace sopskit::detail::openpgp {

namespace {

constexpr std::string_view kBegin = "-----BEGIN PGP MESSAGE-----";
constexpr std::string_view kEnd = "-----END PGP MESSAGE-----";

// Lines of the armor with their line ending and trailing blanks removed (RFC 9580 lets
// trailing whitespace pass).
class Lines {
public:
    explicit Lines(std::string_view text) : rest_(text) {}
    bool next(std::string_view& line) {
        if (done_) return false;
        std::size_t nl = rest_.find('\n');
        line = rest_.substr(0, nl);
        if (nl == std::string_view::npos) done_ = true;
        else rest_.remove_prefix(nl + 1);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
        ++number_;
        return true;
    }
    std::size_t number() const { return number_; }

private:
    std::string_view rest_;
    bool done_ = false;
    std::size_t number_ = 0;
};

[[noreturn]] void bad_line(const Lines& lines, const std::string& what) {
    malformed("armor line " + std::to_string(lines.number()) + ": " + what);
}

}  // namespace

std::uint32_t crc24(std::string_view bytes) {
    std::uint32_t crc = 0xB704CE;
    for (unsigned char b : bytes) {
        crc ^= static_cast<std::uint32_t>(b) << 16;
        for (int i = 0; i < 8; ++i) {
            crc <<= 1;
            if (crc & 0x1000000) crc ^= 0x1864CFB;
        }
    }
    return crc & 0xFFFFFF;
}

bool is_armored(std::string_view text) {
    Lines lines(text);
    std::string_view line;
    while (lines.next(line))
        if (!line.empty()) return line == kBegin;
    return false;
}

std::string dearmor_message(std::string_view text) {
    Lines lines(text);
    std::string_view line;
    bool begun = false;
    while (!begun && lines.next(line)) {
        if (line.empty()) continue;
        if (line != kBegin) bad_line(lines, "expected '" + std::string(kBegin) + "'");
        begun = true;
    }
    if (!begun) malformed("no armored message");
    // Headers ("Key: value") up to a blank line. A first line that is no header starts the
    // body directly, as gpg accepts.
    bool in_headers = true;
    bool have_line = lines.next(line);
    if (have_line && !line.empty() && line.find(": ") == std::string_view::npos) in_headers = false;
    while (in_headers && have_line && !line.empty()) {
        if (line.find(": ") == std::string_view::npos) bad_line(lines, "armor header without ': '");
        have_line = lines.next(line);
    }
    if (in_headers && have_line) have_line = lines.next(line);  // the blank line
    std::string body;
    std::optional<std::string_view> checksum;
    for (; have_line; have_line = lines.next(line)) {
        if (line == kEnd) break;
        if (line.starts_with("=")) {
            checksum = line.substr(1);
            have_line = lines.next(line);
            if (!have_line || line != kEnd) bad_line(lines, "expected '" + std::string(kEnd) + "' after the checksum");
            break;
        }
        if (line.starts_with("-")) bad_line(lines, "expected '" + std::string(kEnd) + "'");
        body += line;
    }
    if (!have_line) malformed("armor has no '" + std::string(kEnd) + "' line");
    std::optional<std::string> bytes = base64_decode(body);
    if (!bytes) malformed("armor body is not valid base64");
    if (checksum) {
        std::optional<std::string> crc = base64_decode(*checksum);
        if (!crc || crc->size() != 3) malformed("armor checksum is not 4 base64 characters");
        std::uint32_t expected = static_cast<std::uint32_t>(static_cast<unsigned char>((*crc)[0])) << 16 |
                                 static_cast<std::uint32_t>(static_cast<unsigned char>((*crc)[1])) << 8 |
                                 static_cast<unsigned char>((*crc)[2]);
        if (crc24(*bytes) != expected) malformed("armor checksum does not match its body");
    }
    return std::move(*bytes);
}

}  // namespace sopskit::detail::openpgp
