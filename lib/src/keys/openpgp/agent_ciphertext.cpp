#include "keys/openpgp/agent_ciphertext.hpp"

#include "sopskit/error.hpp"

namespace sopskit::detail::openpgp {

namespace {

// One canonical S-expression atom: <length>:<octets>.
std::string atom(std::string_view bytes) { return std::to_string(bytes.size()) + ":" + std::string(bytes); }

}  // namespace

std::string agent_ciphertext(const Pkesk& pkesk) {
    switch (pkesk.algorithm) {
        case kEcdh: {
            // gpg passes the wrapped key with its size octet in front, as the PKESK stores it.
            std::string s = std::string(1, static_cast<char>(pkesk.ecdh_wrapped.size())) + pkesk.ecdh_wrapped;
            return "(7:enc-val(4:ecdh(1:s" + atom(s) + ")(1:e" + atom(pkesk.ecdh_point) + ")))";
        }
        case kRsaEncryptSign:
        case kRsaEncryptOnly: {
            // libgcrypt reads the atom as a signed number: a zero in front of a set top bit.
            std::string_view c = pkesk.rsa_ciphertext;
            while (!c.empty() && c.front() == '\0') c.remove_prefix(1);
            std::string a = (!c.empty() && (static_cast<unsigned char>(c.front()) & 0x80)) ? std::string(1, '\0') + std::string(c)
                                                                                           : std::string(c);
            return "(7:enc-val(3:rsa(1:a" + atom(a) + ")))";
        }
        default:
            throw Error(ErrorCode::Generic, "gpg-agent: no PKDECRYPT for public-key algorithm " + std::to_string(pkesk.algorithm));
    }
}

}  // namespace sopskit::detail::openpgp
