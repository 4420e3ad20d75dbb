// FIPS 203 ML-KEM-768: key generation, encapsulation and decapsulation with implicit rejection.
// Constant-time in the secrets; hashing (SHA3, SHAKE) comes from OpenSSL. Used by age's
// mlkem768x25519 hybrid recipients; nothing else in sopskit needs it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sopskit/secure.hpp"

namespace sopskit::mlkem {

constexpr std::size_t kEncapsulationKeySize = 1184;
constexpr std::size_t kDecapsulationKeySize = 2400;
constexpr std::size_t kCiphertextSize = 1088;
constexpr std::size_t kSharedSecretSize = 32;
constexpr std::size_t kSeedPartSize = 32;  // each of d, z (key generation) and m (encapsulation)

struct KeyPair {
    std::string encapsulation_key;  // 1184 bytes, public
    SecureBytes decapsulation_key;  // 2400 bytes
};

struct Encapsulation {
    std::string ciphertext;  // 1088 bytes
    SecureBytes shared_secret;
};

// ML-KEM.KeyGen_internal: deterministic from the 32-byte seeds d and z.
KeyPair keygen_from_seed(std::string_view d, std::string_view z);
KeyPair keygen();

// FIPS 203 section 7.2 input check: the right length and every coefficient below q.
bool encapsulation_key_is_valid(std::string_view ek);
// FIPS 203 section 7.3 input check: the right length and the embedded hash H(ek) matches.
bool decapsulation_key_is_valid(std::string_view dk);

// ML-KEM.Encaps; throws Error when `ek` fails the input check. The _internal form takes the
// 32-byte message m instead of drawing it (for known-answer tests).
Encapsulation encapsulate(std::string_view ek);
Encapsulation encapsulate_internal(std::string_view ek, std::string_view m);

// ML-KEM.Decaps; throws Error when `dk` fails the input check or `ct` has the wrong length.
// A ciphertext that does not decrypt yields the implicit-rejection secret J(z || c).
SecureBytes decapsulate(std::string_view dk, std::string_view ct);

}  // namespace sopskit::mlkem
