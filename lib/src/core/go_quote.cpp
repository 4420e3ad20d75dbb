// strconv.Quote as Go writes it, for messages that must read as Flux's and notation-go's.
#include "core/go_quote.hpp"

namespace sopskit::detail {

DecodedRune decode_utf8_rune(std::string_view s) {
    if (s.empty()) return {0xFFFD, 0};
    unsigned char c = static_cast<unsigned char>(s[0]);
    if (c < 0x80) return {c, 1};
    std::size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || len > s.size()) return {0xFFFD, 1};
    char32_t cp = c & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
        unsigned char cc = static_cast<unsigned char>(s[k]);
        if ((cc & 0xC0) != 0x80) return {0xFFFD, 1};
        cp = (cp << 6) | (cc & 0x3F);
    }
    static const char32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0xFFFD, 1};
    return {cp, len};
}

namespace {

// unicode.IsPrint false for these non-ASCII runes: C1 controls, spaces other than U+0020,
// format characters and separators (the ones likely in text; see go_quote.hpp).
bool printable(char32_t r) {
    if (r >= 0x80 && r <= 0xA0) return false;
    switch (r) {
        case 0xAD: case 0x61C: case 0x1680: case 0x180E: case 0x202F: case 0x205F: case 0x3000: case 0xFEFF:
            return false;
        default: break;
    }
    if (r >= 0x2000 && r <= 0x200F) return false;
    if (r >= 0x2028 && r <= 0x202E) return false;
    if (r >= 0x2060 && r <= 0x206F) return false;
    if (r >= 0xFFF9 && r <= 0xFFFB) return false;
    if (r >= 0xE000 && r <= 0xF8FF) return false;  // private use
    if ((r & 0xFFFE) == 0xFFFE) return false;      // noncharacters
    return true;
}

}  // namespace

std::string go_quote_string(std::string_view s) {
    static const char* hex = "0123456789abcdef";
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\a': out += "\\a"; break;
                case '\b': out += "\\b"; break;
                case '\f': out += "\\f"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                case '\v': out += "\\v"; break;
                default:
                    if (c < 0x20 || c == 0x7F) {
                        out += "\\x";
                        out += hex[c >> 4];
                        out += hex[c & 15];
                    } else {
                        out += static_cast<char>(c);
                    }
            }
            ++i;
            continue;
        }
        DecodedRune d = decode_utf8_rune(s.substr(i));
        if (d.rune == 0xFFFD && d.length == 1) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else if (printable(d.rune)) {
            out.append(s.substr(i, d.length));
        } else if (d.rune < 0x10000) {
            out += "\\u";
            for (int shift = 12; shift >= 0; shift -= 4) out += hex[(d.rune >> shift) & 15];
        } else {
            out += "\\U";
            for (int shift = 28; shift >= 0; shift -= 4) out += hex[(d.rune >> shift) & 15];
        }
        i += d.length;
    }
    return out + "\"";
}

void append_utf8(std::string& out, char32_t r) {
    if (r < 0x80) {
        out += static_cast<char>(r);
    } else if (r < 0x800) {
        out += static_cast<char>(0xC0 | (r >> 6));
        out += static_cast<char>(0x80 | (r & 0x3F));
    } else if (r < 0x10000) {
        out += static_cast<char>(0xE0 | (r >> 12));
        out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (r & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (r >> 18));
        out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (r & 0x3F));
    }
}

}  // namespace sopskit::detail
