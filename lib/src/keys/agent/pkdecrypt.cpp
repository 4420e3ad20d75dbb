#include "keys/agent/pkdecrypt.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/hex.hpp"

namespace sopskit::detail::agent {

namespace {

// One canonical S-expression atom: <length>:<octets>.
std::string atom(std::string_view bytes) { return std::to_string(bytes.size()) + ":" + std::string(bytes); }

[[noreturn]] void unreadable() { throw Error(ErrorCode::Generic, "gpg-agent: PKDECRYPT answer is not (value ...)"); }

}  // namespace

std::string agent_ciphertext(const openpgp::Pkesk& pkesk) {
    switch (pkesk.algorithm) {
        case openpgp::kEcdh: {
            // gpg passes the wrapped key with its size octet in front, as the PKESK stores it.
            std::string s = std::string(1, static_cast<char>(pkesk.ecdh_wrapped.size())) + pkesk.ecdh_wrapped;
            return "(7:enc-val(4:ecdh(1:s" + atom(s) + ")(1:e" + atom(pkesk.ecdh_point) + ")))";
        }
        case openpgp::kRsaEncryptSign:
        case openpgp::kRsaEncryptOnly: {
            // libgcrypt reads the atom as a signed number: a zero in front of a set top bit.
            std::string_view c = pkesk.rsa_ciphertext;
            while (!c.empty() && c.front() == '\0') c.remove_prefix(1);
            std::string a = (!c.empty() && (static_cast<unsigned char>(c.front()) & 0x80)) ? std::string(1, '\0') + std::string(c) : std::string(c);
            return "(7:enc-val(3:rsa(1:a" + atom(a) + ")))";
        }
        default:
            throw Error(ErrorCode::Generic, "gpg-agent: no PKDECRYPT for public-key algorithm " + std::to_string(pkesk.algorithm));
    }
}

SecureBytes agent_value(std::string_view answer) {
    constexpr std::string_view kPrefix = "(5:value";
    while (!answer.empty() && answer.back() == '\0') answer.remove_suffix(1);
    if (!answer.starts_with(kPrefix) || !answer.ends_with(")")) unreadable();
    answer.remove_prefix(kPrefix.size());
    answer.remove_suffix(1);
    std::size_t length = 0;
    auto [end, ec] = std::from_chars(answer.data(), answer.data() + answer.size(), length);
    if (ec != std::errc() || end == answer.data() || end == answer.data() + answer.size() || *end != ':') unreadable();
    std::string_view value(end + 1, answer.data() + answer.size() - end - 1);
    if (value.size() != length || length == 0) unreadable();
    return SecureBytes(reinterpret_cast<const std::uint8_t*>(value.data()), value.size());
}

AgentDecryption agent_pkdecrypt(AssuanConnection& agent, const std::array<std::uint8_t, 20>& keygrip, const openpgp::Pkesk& pkesk) {
    std::string ciphertext = agent_ciphertext(pkesk);
    agent.transact("OPTION pinentry-mode=cancel");
    agent.transact("SETKEY " + hex_encode(keygrip.data(), keygrip.size(), HexCase::Upper));
    AssuanReply reply = agent.transact("PKDECRYPT", [&](std::string_view keyword) -> std::optional<std::string> {
        if (keyword == "CIPHERTEXT") return ciphertext;
        return std::nullopt;
    });
    AgentDecryption out;
    out.value = agent_value(reply.data.view());
    std::string_view status = reply.status;
    while (!status.empty()) {
        std::string_view line = status.substr(0, status.find('\n'));
        status.remove_prefix(std::min(status.size(), line.size() + 1));
        if (line == "PADDING 0") out.padding_removed = true;
    }
    return out;
}

}  // namespace sopskit::detail::agent
