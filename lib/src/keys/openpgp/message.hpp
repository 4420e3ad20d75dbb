// The outer layer of an OpenPGP message as gpg writes a sops data key: v3 public-key encrypted
// session key packets (RSA or ECDH), then one SEIPD v1 packet. Internal: the PGP key source
// decrypts a data key with it and asks gpg-agent for the private-key step.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sopskit::detail::openpgp {

enum PublicKeyAlgorithm : std::uint8_t {
    kRsaEncryptSign = 1,
    kRsaEncryptOnly = 2,
    kEcdh = 18,
};

// One v3 PKESK: which key it is for and the encrypted session key.
struct Pkesk {
    std::array<std::uint8_t, 8> key_id{};  // all zeros: a hidden recipient
    std::uint8_t algorithm = 0;
    std::string rsa_ciphertext;  // RSA: m^e mod n, big-endian, without the MPI's bit count
    std::string ecdh_point;      // ECDH: the sender's ephemeral point (0x40 || X for Curve25519)
    std::string ecdh_wrapped;    // ECDH: the session key wrapped with AES key wrap
};

struct EncryptedMessage {
    std::vector<Pkesk> recipients;
    std::string encrypted_data;  // the SEIPD v1 packet's body after its version octet
};

// Reads an armored or binary message. Throws Error when it is malformed, Unsupported when it
// is well formed but not this simple shape (SKESK, SED, AEAD, v6 PKESK, ElGamal, ...).
EncryptedMessage read_encrypted_message(std::string_view input);

}  // namespace sopskit::detail::openpgp
