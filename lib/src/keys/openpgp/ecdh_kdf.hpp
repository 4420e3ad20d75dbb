// ECDH's key derivation (RFC 6637 section 7, RFC 9580 section 11.5): from the shared point
// gpg-agent computes with the private key, the key-encryption key that unwraps the session key.
#pragma once
#include <string_view>

#include "keys/openpgp/public_key.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::detail::openpgp {

// The shared secret in a shared point: X of 0x40 || X (Curve25519) or of 0x04 || X || Y
// (Weierstrass curves), or the point itself when it is X alone. Throws Error otherwise.
std::string_view shared_secret_x(std::string_view point);

// Hash(00 00 00 01 || x || parameters), cut to the key size of the recipient's KDF cipher; the
// parameters are the curve OID, the algorithm (18), the KDF parameters, "Anonymous Sender    "
// and the recipient's fingerprint. Unsupported for a hash or cipher outside SHA-2 and AES.
SecureBytes ecdh_kek(std::string_view x, const PublicKey& recipient);

}  // namespace sopskit::detail::openpgp
