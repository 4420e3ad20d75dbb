#include "core/base64.hpp"

#include <array>
#include <cstdint>

namespace sopskit::detail {

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_decode_table() {
    std::array<std::int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    return t;
}
constexpr auto kDecode = make_decode_table();
}  // namespace

std::string base64_encode(std::string_view in) {
    std::string out;
    base64_encode_append(out, in);
    return out;
}

void base64_encode_append(std::string& out, std::string_view in) {
    std::size_t at = out.size();
    out.resize(at + base64_length(in.size()));
    base64_encode_to(out.data() + at, reinterpret_cast<const unsigned char*>(in.data()), in.size());
}

namespace {
// Two output characters per 12 input bits: half the table lookups and stores of one
// character per 6 bits (encoding was a tenth of encrypting a file of small values).
constexpr std::array<std::array<char, 2>, 4096> make_pair_table() {
    std::array<std::array<char, 2>, 4096> t{};
    for (int i = 0; i < 4096; ++i) t[i] = {kAlphabet[i >> 6], kAlphabet[i & 63]};
    return t;
}
constexpr auto kPairs = make_pair_table();
}  // namespace

char* base64_encode_to(char* o, const unsigned char* in, std::size_t n) {
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        std::uint32_t v = std::uint32_t{in[i]} << 16 | std::uint32_t{in[i + 1]} << 8 | in[i + 2];
        const auto& hi = kPairs[v >> 12];
        const auto& lo = kPairs[v & 0xFFF];
        o[0] = hi[0];
        o[1] = hi[1];
        o[2] = lo[0];
        o[3] = lo[1];
        o += 4;
    }
    std::size_t rest = n - i;
    if (rest) {
        std::uint32_t v = std::uint32_t{in[i]} << 16 | (rest == 2 ? std::uint32_t{in[i + 1]} << 8 : 0);
        o[0] = kAlphabet[v >> 18];
        o[1] = kAlphabet[(v >> 12) & 63];
        o[2] = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
        o[3] = '=';
        o += 4;
    }
    return o;
}

std::optional<std::string> base64_decode(std::string_view in) {
    std::string out;
    if (!base64_decode_into(in, out)) return std::nullopt;
    return out;
}

bool base64_decode_into(std::string_view in, std::string& out) {
    out.clear();
    if (in.size() % 4 != 0) return false;
    out.resize(in.size() / 4 * 3);
    std::size_t o = 0;
    std::size_t i = 0;
    // Every quad but the last has no padding: decoded four characters at a time, one check.
    for (; i + 4 < in.size(); i += 4) {
        auto d = [&](std::size_t k) { return kDecode[static_cast<unsigned char>(in[i + k])]; };
        std::int8_t a = d(0), b = d(1), c = d(2), e = d(3);
        if ((a | b | c | e) < 0) return false;
        std::uint32_t n = static_cast<std::uint32_t>(a) << 18 | static_cast<std::uint32_t>(b) << 12 |
                          static_cast<std::uint32_t>(c) << 6 | static_cast<std::uint32_t>(e);
        out[o++] = static_cast<char>(n >> 16);
        out[o++] = static_cast<char>((n >> 8) & 0xFF);
        out[o++] = static_cast<char>(n & 0xFF);
    }
    for (; i < in.size(); i += 4) {
        bool last = i + 4 == in.size();
        int pad = 0;
        if (last) pad = (in[i + 3] == '=') + (in[i + 3] == '=' && in[i + 2] == '=');
        std::uint32_t n = 0;
        for (int k = 0; k < 4 - pad; ++k) {
            std::int8_t d = kDecode[static_cast<unsigned char>(in[i + k])];
            if (d < 0) return false;
            n |= static_cast<std::uint32_t>(d) << (18 - 6 * k);
        }
        // Go rejects non-zero bits in the padding position only in strict mode; StdEncoding
        // accepts them, so do we.
        out[o++] = static_cast<char>(n >> 16);
        if (pad < 2) out[o++] = static_cast<char>((n >> 8) & 0xFF);
        if (pad < 1) out[o++] = static_cast<char>(n & 0xFF);
    }
    out.resize(o);
    return true;
}

}  // namespace sopskit::detail
