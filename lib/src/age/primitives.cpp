// HKDF/HMAC-SHA-256, strict unpadded base64 and Bech32 for age.
#include <sodium.h>

#include <array>
#include <cctype>
#include <cstring>

#include "age/age_internal.hpp"
#include "core/base64.hpp"
#include "sopskit/error.hpp"

namespace sopskit::age::detail {

void header_failure(const std::string& what) { throw Error(ErrorCode::Generic, "age header failure: " + what); }

std::string hmac_sha256(std::string_view key, std::string_view data) {
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    std::string out(crypto_auth_hmacsha256_BYTES, '\0');
    crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(out.data()));
    sodium_memzero(&st, sizeof st);
    return out;
}

SecureBytes hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info) {
    // Extract with an all-zero salt when none is given, then one Expand block (32 bytes).
    std::string zero_salt(32, '\0');
    SecureBytes prk = SecureBytes::from(hmac_sha256(salt.empty() ? std::string_view(zero_salt) : salt, ikm));
    std::string block(info);
    block += '\x01';
    SecureBytes okm = SecureBytes::from(hmac_sha256(prk.view(), block));
    return okm;
}

std::string b64_raw_encode(std::string_view bytes) {
    std::string s = sopskit::detail::base64_encode(bytes);
    while (!s.empty() && s.back() == '=') s.pop_back();
    return s;
}

std::optional<std::string> b64_raw_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    for (char c : text)
        if (c == '=' || c == '\n' || c == '\r') return std::nullopt;
    std::string padded(text);
    while (padded.size() % 4) padded += '=';
    auto out = sopskit::detail::base64_decode(padded);
    // Canonical: re-encoding gives the same text (rejects non-zero trailing bits).
    if (!out || b64_raw_encode(*out) != text) return std::nullopt;
    return out;
}

namespace {
constexpr const char* kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

std::uint32_t polymod(const std::vector<std::uint8_t>& values) {
    static constexpr std::array<std::uint32_t, 5> gen{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    std::uint32_t chk = 1;
    for (auto v : values) {
        std::uint32_t top = chk >> 25;
        chk = (chk & 0x1ffffff) << 5 ^ v;
        for (int i = 0; i < 5; ++i)
            if ((top >> i) & 1) chk ^= gen[i];
    }
    return chk;
}

std::vector<std::uint8_t> hrp_expand(const std::string& hrp) {
    std::vector<std::uint8_t> out;
    for (char c : hrp) out.push_back(static_cast<std::uint8_t>(c) >> 5);
    out.push_back(0);
    for (char c : hrp) out.push_back(static_cast<std::uint8_t>(c) & 31);
    return out;
}

// Regroups bits (8 -> 5 or 5 -> 8).
std::optional<std::vector<std::uint8_t>> convert_bits(const std::vector<std::uint8_t>& in, int from, int to, bool pad) {
    std::uint32_t acc = 0;
    int bits = 0;
    std::vector<std::uint8_t> out;
    std::uint32_t maxv = (1u << to) - 1;
    for (auto v : in) {
        if (v >> from) return std::nullopt;
        acc = acc << from | v;
        bits += from;
        while (bits >= to) {
            bits -= to;
            out.push_back(static_cast<std::uint8_t>((acc >> bits) & maxv));
        }
    }
    if (pad) {
        if (bits) out.push_back(static_cast<std::uint8_t>((acc << (to - bits)) & maxv));
    } else if (bits >= from || ((acc << (to - bits)) & maxv)) {
        return std::nullopt;
    }
    return out;
}
}  // namespace

std::string bech32_encode(const std::string& hrp, std::string_view data) {
    std::vector<std::uint8_t> bytes(data.begin(), data.end());
    auto five = *convert_bits(bytes, 8, 5, true);
    std::vector<std::uint8_t> values = hrp_expand(hrp);
    values.insert(values.end(), five.begin(), five.end());
    values.insert(values.end(), 6, 0);
    std::uint32_t mod = polymod(values) ^ 1;
    std::string out = hrp + "1";
    for (auto v : five) out += kCharset[v];
    for (int i = 0; i < 6; ++i) out += kCharset[(mod >> (5 * (5 - i))) & 31];
    sodium_memzero(bytes.data(), bytes.size());
    return out;
}

std::optional<std::pair<std::string, std::string>> bech32_decode(std::string_view text) {
    bool lower = false, upper = false;
    for (char c : text) {
        if (c < 33 || c > 126) return std::nullopt;
        if (c >= 'a' && c <= 'z') lower = true;
        if (c >= 'A' && c <= 'Z') upper = true;
    }
    if (lower && upper) return std::nullopt;
    std::string s(text);
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto sep = s.rfind('1');
    if (sep == std::string::npos || sep < 1 || sep + 7 > s.size()) return std::nullopt;
    std::string hrp = s.substr(0, sep);
    std::vector<std::uint8_t> data;
    for (std::size_t i = sep + 1; i < s.size(); ++i) {
        const char* p = std::strchr(kCharset, s[i]);
        if (!p || !*p) return std::nullopt;
        data.push_back(static_cast<std::uint8_t>(p - kCharset));
    }
    std::vector<std::uint8_t> values = hrp_expand(hrp);
    values.insert(values.end(), data.begin(), data.end());
    if (polymod(values) != 1) return std::nullopt;
    data.resize(data.size() - 6);
    auto bytes = convert_bits(data, 5, 8, false);
    if (!bytes) return std::nullopt;
    std::string out(bytes->begin(), bytes->end());
    sodium_memzero(bytes->data(), bytes->size());
    return std::make_pair(hrp, out);
}

}  // namespace sopskit::age::detail
