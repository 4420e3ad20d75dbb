// The real cryptography behind the emulated keys: AES-256-GCM, RSA-OAEP-256, RS256 JWTs.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sopskit::kms_emulator {

// nonce(12) || ciphertext || tag(16).
std::string aes_gcm_seal(std::string_view key32, std::string_view plaintext, std::string_view aad);
// nullopt when the tag does not verify (wrong key, AAD or a damaged blob).
std::optional<std::string> aes_gcm_open(std::string_view key32, std::string_view sealed, std::string_view aad);

// A new RSA-2048 private key as PKCS#8 PEM.
std::string rsa_generate_pem();
// RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label.
std::string rsa_oaep256_encrypt(const std::string& private_or_public_pem, std::string_view plaintext);
std::optional<std::string> rsa_oaep256_decrypt(const std::string& private_pem, std::string_view ciphertext);
// The public modulus and exponent as unpadded base64url (a JWK's "n" and "e").
void rsa_public_jwk(const std::string& private_pem, std::string& n, std::string& e);

struct Jwt {
    nlohmann::json header;
    nlohmann::json claims;
};
// Parses a compact JWS and checks its RS256 (or PS256) signature against the PEM public key or certificate;
// nullopt for a malformed token or a bad signature. Claims (exp, aud…) are the caller's job.
std::optional<Jwt> jwt_verify_rs256(std::string_view token, const std::string& public_pem);
// Parses without verifying (to learn iss/kid and pick the key).
std::optional<Jwt> jwt_peek(std::string_view token);

}  // namespace sopskit::kms_emulator
