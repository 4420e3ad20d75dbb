// The session key a PKESK carries, recovered from gpg-agent's answer to PKDECRYPT: for ECDH
// the shared point (the KDF, AES key unwrap and PKCS#5 padding are done here), for RSA the
// decrypted value (PKCS#1 v1.5 padding removed here unless the agent says it did it).
#pragma once
#include <cstdint>
#include <string_view>

#include "keys/openpgp/message.hpp"
#include "keys/openpgp/public_key.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::detail::openpgp {

enum SymmetricAlgorithm : std::uint8_t {
    kAes128 = 7,
    kAes192 = 8,
    kAes256 = 9,
};

struct SessionKey {
    std::uint8_t algorithm = 0;
    SecureBytes key;
};

// The session key of an ECDH PKESK to `recipient`, given the shared point the agent computed.
// Throws Error when it does not unwrap (wrong key, damaged PKESK), Unsupported for parameters
// or a session key algorithm outside AES.
SessionKey ecdh_session_key(const Pkesk& pkesk, const PublicKey& recipient, std::string_view shared_point);

// The session key in an RSA PKESK's decrypted value. `padding_removed`: the agent sent
// "S PADDING 0" (a smartcard removed the PKCS#1 padding); without that status line the value
// is the whole block, 02 || nonzero random || 00 || algorithm || key || checksum, its leading
// zero usually dropped.
SessionKey rsa_session_key(std::string_view value, bool padding_removed);

}  // namespace sopskit::detail::openpgp
