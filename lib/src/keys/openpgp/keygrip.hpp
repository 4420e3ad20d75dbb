// The keygrip by which gpg-agent names a private key: libgcrypt's SHA-1 over the public key's
// parameters. RSA hashes its modulus as a signed big-endian number (a zero octet in front when
// its top bit is set); ECC hashes the curve's p, a, b, g, n and the point q, each written as
// "(1:<name><length>:<octets>)" (Curve25519's q without its 0x40 prefix).
#pragma once
#include <array>
#include <cstdint>

#include "keys/openpgp/public_key.hpp"

namespace sopskit::detail::openpgp {

// Unsupported for keys other than RSA and ECDH/ECDSA on Curve25519 and NIST P-256/384/521.
std::array<std::uint8_t, 20> keygrip(const PublicKey& key);

}  // namespace sopskit::detail::openpgp
