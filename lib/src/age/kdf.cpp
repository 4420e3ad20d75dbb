// HMAC/HKDF-SHA-256 and the zero-nonce ChaCha20-Poly1305 that wraps file keys in stanzas.
#include <sodium.h>

#include "age/age_internal.hpp"

namespace sopskit::age::detail {

namespace {
const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
constexpr std::size_t kTag = crypto_aead_chacha20poly1305_ietf_ABYTES;
}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view data) {
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, bytes(key), key.size());
    crypto_auth_hmacsha256_update(&st, bytes(data), data.size());
    std::string out(crypto_auth_hmacsha256_BYTES, '\0');
    crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(out.data()));
    sodium_memzero(&st, sizeof st);
    return out;
}

SecureBytes hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info) {
    // Extract, then a single Expand block: age never needs more than 32 bytes.
    const std::string zero_salt(crypto_auth_hmacsha256_BYTES, '\0');
    std::string prk_text = hmac_sha256(salt.empty() ? std::string_view(zero_salt) : salt, ikm);
    SecureBytes prk = SecureBytes::from(prk_text);
    sodium_memzero(prk_text.data(), prk_text.size());
    std::string block(info);
    block += '\x01';
    std::string okm_text = hmac_sha256(prk.view(), block);
    SecureBytes okm = SecureBytes::from(okm_text);
    sodium_memzero(okm_text.data(), okm_text.size());
    return okm;
}

std::string seal_file_key(const SecureBytes& key, const SecureBytes& file_key) {
    const unsigned char nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {0};
    std::string out(file_key.size() + kTag, '\0');
    unsigned long long len = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(out.data()), &len, file_key.data(),
                                              file_key.size(), nullptr, 0, nullptr, nonce, key.data());
    return out;
}

std::optional<SecureBytes> open_file_key(const SecureBytes& key, std::string_view body) {
    // A wrong length is a malformed file, not a wrong key: decide before trying the tag.
    if (body.size() != kFileKeySize + kTag) header_failure("stanza body does not hold a 16-byte file key");
    const unsigned char nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {0};
    SecureBytes file_key(kFileKeySize);
    unsigned long long len = 0;
    if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key.data(), &len, nullptr, bytes(body), body.size(), nullptr, 0,
                                                  nonce, key.data()) != 0)
        return std::nullopt;
    return file_key;
}

}  // namespace sopskit::age::detail
