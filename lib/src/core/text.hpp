// Small text helpers shared across modules.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sopskit::detail {

// `s` without leading and trailing characters from `chars` (whitespace by default).
inline std::string trim(std::string_view s, std::string_view chars = " \t\r\n") {
    auto b = s.find_first_not_of(chars);
    if (b == std::string_view::npos) return {};
    return std::string(s.substr(b, s.find_last_not_of(chars) - b + 1));
}

// Length of the prefix of `s` made of ASCII bytes in [lo, 0x7E] (lo >= 1), found eight bytes
// at a time: the scans over long texts (envelopes, base64 blobs) in the YAML reader and writer.
inline std::size_t ascii_run(std::string_view s, unsigned char lo) {
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        // With no byte >= 0x80 nothing carries between bytes: the first term flags a byte below
        // `lo`, the second a byte 0x7F.
        if ((w & highs) || (((w - ones * lo) & ~w) | (w + ones)) & highs) break;
    }
    while (i < s.size() && static_cast<unsigned char>(s[i]) >= lo && static_cast<unsigned char>(s[i]) <= 0x7E) ++i;
    return i;
}

}  // namespace sopskit::detail
