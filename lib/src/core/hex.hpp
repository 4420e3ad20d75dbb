// Bytes as hexadecimal text: digests, random tokens and file names.
#pragma once
#include <string>
#include <string_view>

namespace sopskit::detail {

enum class HexCase { Lower, Upper };

inline std::string hex_encode(std::string_view bytes, HexCase letters = HexCase::Lower) {
    const char* digits = letters == HexCase::Upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

inline std::string hex_encode(const unsigned char* bytes, std::size_t size, HexCase letters = HexCase::Lower) {
    return hex_encode(std::string_view(reinterpret_cast<const char*>(bytes), size), letters);
}

}  // namespace sopskit::detail
