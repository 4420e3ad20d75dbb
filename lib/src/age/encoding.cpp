// Strict standard base64 for age: unpadded (header) and padded (armor, SSH keys). Both accept
// only the canonical encoding, so one file has exactly one valid serialisation.
#include <array>

#include "age/age_internal.hpp"

namespace sopskit::age::detail {

namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> make_reverse() {
    std::array<int, 256> r{};
    for (auto& v : r) v = -1;
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) r[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
    return r;
}
constexpr std::array<int, 256> kReverse = make_reverse();

std::string encode(std::string_view bytes, bool pad) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                          static_cast<unsigned char>(bytes[i + 2]);
        for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
    }
    std::size_t rest = bytes.size() - i;
    if (rest) {
        std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
        if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        if (rest == 2) out += kAlphabet[(v >> 6) & 63];
        if (pad) out.append(3 - rest, '=');
    }
    return out;
}

// Decodes alphabet characters only (no padding); rejects a dangling character and non-zero
// bits left over in the last character (a non-canonical encoding).
std::optional<std::string> decode_unpadded(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = kReverse[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        acc = (acc << 6 | static_cast<std::uint32_t>(v)) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
}

}  // namespace

std::string b64_raw_encode(std::string_view bytes) { return encode(bytes, false); }
std::string b64_std_encode(std::string_view bytes) { return encode(bytes, true); }

std::optional<std::string> b64_raw_decode(std::string_view text) { return decode_unpadded(text); }

std::optional<std::string> b64_std_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
    // The unpadded part must leave exactly the number of characters the padding stands for.
    std::string_view body = text.substr(0, text.size() - pad);
    if (pad && body.size() % 4 != 4 - pad) return std::nullopt;
    return decode_unpadded(body);
}

}  // namespace sopskit::age::detail
