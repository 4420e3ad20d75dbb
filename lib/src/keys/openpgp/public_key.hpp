// A v4 public key packet (RFC 9580 section 5.5.2): its algorithm and public parameters (RSA;
// ECDH with its curve and KDF parameters; ECDSA and EdDSA for completeness), its fingerprint
// and key ID. What the ECDH KDF needs, and what the keybox lookup matches a PKESK against.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sopskit::detail::openpgp {

enum KeyAlgorithm : std::uint8_t {
    kKeyRsa = 1,
    kKeyRsaEncryptOnly = 2,
    kKeyRsaSignOnly = 3,
    kKeyEcdh = 18,
    kKeyEcdsa = 19,
    kKeyEddsaLegacy = 22,
};

struct PublicKey {
    std::uint8_t algorithm = 0;
    std::string rsa_n, rsa_e;  // RSA
    std::string curve_oid;     // ECC: the OID's octets, without its length octet
    std::string ecc_point;     // ECC: the public point (0x40 || X for Curve25519, 0x04 || X || Y)
    std::uint8_t kdf_hash = 0;    // ECDH: hash of the KDF (8 SHA-256, 9 SHA-384, 10 SHA-512)
    std::uint8_t kdf_cipher = 0;  // ECDH: AES key wrap's cipher (7, 8, 9)
    std::array<std::uint8_t, 20> fingerprint{};  // SHA-1 of the public part (v4)

    std::array<std::uint8_t, 8> key_id() const;
};

// Reads the public part at the start of a key packet's body (public key or subkey, or the
// first part of a secret one); `consumed`, when given, receives its length. Throws Error when
// malformed, Unsupported for another version or algorithm.
PublicKey read_public_key(std::string_view body, std::size_t* consumed = nullptr);

}  // namespace sopskit::detail::openpgp
