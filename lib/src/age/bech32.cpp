// Bech32 (BIP 173) as age uses it: no length limit, one case per string, checksum verified.
#include <sodium.h>

#include <array>
#include <cctype>

#include "age/age_internal.hpp"

namespace sopskit::age::detail {

namespace {

constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

std::uint32_t polymod(const std::vector<std::uint8_t>& values) {
    constexpr std::array<std::uint32_t, 5> gen{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    std::uint32_t chk = 1;
    for (auto v : values) {
        std::uint32_t top = chk >> 25;
        chk = (chk & 0x1ffffff) << 5 ^ v;
        for (int i = 0; i < 5; ++i)
            if ((top >> i) & 1) chk ^= gen[i];
    }
    return chk;
}

// The checksum covers the lower-case human-readable part, expanded to 5-bit groups.
std::vector<std::uint8_t> hrp_expand(std::string_view hrp) {
    std::vector<std::uint8_t> out;
    for (char c : hrp) out.push_back(static_cast<std::uint8_t>(std::tolower(static_cast<unsigned char>(c))) >> 5);
    out.push_back(0);
    for (char c : hrp) out.push_back(static_cast<std::uint8_t>(std::tolower(static_cast<unsigned char>(c))) & 31);
    return out;
}

// Regroups bits (8 -> 5 with padding, or 5 -> 8 rejecting leftover non-zero bits).
std::optional<std::vector<std::uint8_t>> convert_bits(const std::uint8_t* in, std::size_t n, int from, int to, bool pad) {
    std::uint32_t acc = 0;
    int bits = 0;
    const std::uint32_t maxv = (1u << to) - 1;
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < n; ++i) {
        acc = (acc << from | in[i]) & 0xFFFF;
        bits += from;
        while (bits >= to) {
            bits -= to;
            out.push_back(static_cast<std::uint8_t>((acc >> bits) & maxv));
        }
    }
    if (pad) {
        if (bits) out.push_back(static_cast<std::uint8_t>((acc << (to - bits)) & maxv));
    } else if (bits >= from || ((acc << (to - bits)) & maxv)) {
        sodium_memzero(out.data(), out.size());
        return std::nullopt;
    }
    return out;
}

}  // namespace

std::string bech32_encode(std::string_view hrp, std::string_view data) {
    auto five = *convert_bits(reinterpret_cast<const std::uint8_t*>(data.data()), data.size(), 8, 5, true);
    std::vector<std::uint8_t> values = hrp_expand(hrp);
    values.insert(values.end(), five.begin(), five.end());
    values.insert(values.end(), 6, 0);
    std::uint32_t mod = polymod(values) ^ 1;
    std::string out;
    for (char c : hrp) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += '1';
    for (auto v : five) out += kCharset[v];
    for (int i = 0; i < 6; ++i) out += kCharset[(mod >> (5 * (5 - i))) & 31];
    sodium_memzero(five.data(), five.size());
    sodium_memzero(values.data(), values.size());
    return out;
}

std::optional<std::pair<std::string, std::string>> bech32_decode(std::string_view text) {
    bool lower = false, upper = false;
    for (char c : text) {
        if (c < 33 || c > 126) return std::nullopt;
        lower |= c >= 'a' && c <= 'z';
        upper |= c >= 'A' && c <= 'Z';
    }
    if (lower && upper) return std::nullopt;
    auto sep = text.rfind('1');
    if (sep == std::string_view::npos || sep < 1 || sep + 7 > text.size()) return std::nullopt;
    std::string_view hrp = text.substr(0, sep);
    std::vector<std::uint8_t> values = hrp_expand(hrp);
    const std::size_t data_start = values.size();
    for (char c : text.substr(sep + 1)) {
        auto p = kCharset.find(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        if (p == std::string_view::npos) return std::nullopt;
        values.push_back(static_cast<std::uint8_t>(p));
    }
    bool ok = polymod(values) == 1;
    std::optional<std::vector<std::uint8_t>> bytes;
    if (ok) bytes = convert_bits(values.data() + data_start, values.size() - data_start - 6, 5, 8, false);
    sodium_memzero(values.data(), values.size());
    if (!bytes) return std::nullopt;
    std::pair<std::string, std::string> out{std::string(hrp), std::string(bytes->begin(), bytes->end())};
    sodium_memzero(bytes->data(), bytes->size());
    return out;
}

}  // namespace sopskit::age::detail
