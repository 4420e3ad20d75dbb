// gpg-agent's PKDECRYPT done in this process with a key read from an unprotected key file
// (gpg_agent/private_key_file.hpp): the same answer the agent gives, so the session-key code
// after it is the one the agent's answer goes through. ECDH on Curve25519: the shared point
// 0x40 || X. RSA: the decrypted block with its PKCS#1 padding still on.
#pragma once
#include <optional>

#include "keys/gpg_agent/private_key_file.hpp"
#include "keys/openpgp/message.hpp"
#include "keys/openpgp/public_key.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::detail::openpgp {

// nullopt when the key does not fit the PKESK or the recipient's public key (another
// algorithm, another public value), or the computation fails: the caller then asks the agent.
std::optional<SecureBytes> local_pkdecrypt(const gpg_agent::UnprotectedKey& key, const Pkesk& pkesk, const PublicKey& recipient);

}  // namespace sopskit::detail::openpgp
