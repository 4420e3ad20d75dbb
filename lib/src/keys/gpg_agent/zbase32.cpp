#include "keys/gpg_agent/zbase32.hpp"

namespace sopskit::detail::gpg_agent {

std::string zbase32_encode(std::string_view bytes) {
    static constexpr char kAlphabet[] = "ybndrfg8ejkmcpqxot1uwisza345h769";
    std::string out;
    out.reserve((bytes.size() * 8 + 4) / 5);
    unsigned bits = 0;   // pending bits, right-aligned
    unsigned count = 0;  // how many
    for (unsigned char b : bytes) {
        bits = (bits << 8) | b;
        count += 8;
        while (count >= 5) {
            count -= 5;
            out.push_back(kAlphabet[(bits >> count) & 31]);
        }
        bits &= (1u << count) - 1;
    }
    if (count > 0) out.push_back(kAlphabet[(bits << (5 - count)) & 31]);
    return out;
}

}  // namespace sopskit::detail::gpg_agent
