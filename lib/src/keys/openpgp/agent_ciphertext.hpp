// A PKESK's encrypted session key as gpg-agent's PKDECRYPT wants it: the canonical
// S-expression gpg itself sends, (enc-val(ecdh(s ..)(e ..))) or (enc-val(rsa(a ..))).
#pragma once
#include <string>

#include "keys/openpgp/message.hpp"

namespace sopskit::detail::openpgp {

// Error for public-key algorithms other than ECDH and RSA.
std::string agent_ciphertext(const Pkesk& pkesk);

}  // namespace sopskit::detail::openpgp
