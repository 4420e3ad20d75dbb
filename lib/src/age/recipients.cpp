// Recipient stanzas: X25519 (the one sops uses) and scrypt (passphrases).
#include <sodium.h>

#include <charconv>

#include "age/age_internal.hpp"
#include "sopskit/error.hpp"

namespace sopskit::age::detail {

namespace {

constexpr std::string_view kX25519Info = "age-encryption.org/v1/X25519";
constexpr std::string_view kScryptSalt = "age-encryption.org/v1/scrypt";
constexpr int kMaxScryptWorkFactor = 22;  // as age: higher would take too long to try

std::string aead_seal_zero_nonce(const SecureBytes& key, std::string_view plain) {
    unsigned char nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {0};
    std::string out(plain.size() + crypto_aead_chacha20poly1305_ietf_ABYTES, '\0');
    unsigned long long len = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(out.data()), &len,
                                              reinterpret_cast<const unsigned char*>(plain.data()), plain.size(), nullptr, 0,
                                              nullptr, nonce, key.data());
    return out;
}

// The file key from a stanza body; nullopt when the tag does not verify (not this identity).
std::optional<SecureBytes> aead_open_file_key(const SecureBytes& key, std::string_view body) {
    // The body must hold exactly a 16-byte file key and its tag; check before decrypting.
    if (body.size() != kFileKeySize + crypto_aead_chacha20poly1305_ietf_ABYTES) header_failure("invalid stanza body length");
    unsigned char nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {0};
    SecureBytes file_key(kFileKeySize);
    unsigned long long len = 0;
    if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key.data(), &len, nullptr,
                                                  reinterpret_cast<const unsigned char*>(body.data()), body.size(), nullptr, 0,
                                                  nonce, key.data()) != 0)
        return std::nullopt;
    return file_key;
}

}  // namespace

Stanza x25519_wrap(const SecureBytes& file_key, const std::string& recipient) {
    SecureBytes ephemeral = SecureBytes::random(crypto_scalarmult_SCALARBYTES);
    std::string share(crypto_scalarmult_BYTES, '\0');
    crypto_scalarmult_base(reinterpret_cast<unsigned char*>(share.data()), ephemeral.data());
    SecureBytes shared(crypto_scalarmult_BYTES);
    if (crypto_scalarmult(shared.data(), ephemeral.data(), reinterpret_cast<const unsigned char*>(recipient.data())) != 0)
        throw Error(ErrorCode::Generic, "invalid X25519 recipient");
    SecureBytes wrap = hkdf_sha256(shared.view(), share + recipient, kX25519Info);
    return Stanza{"X25519", {b64_raw_encode(share)}, aead_seal_zero_nonce(wrap, file_key.view())};
}

std::optional<SecureBytes> x25519_unwrap(const Stanza& s, const X25519Identity& id) {
    if (s.type != "X25519") return std::nullopt;
    if (s.args.size() != 1) header_failure("invalid X25519 stanza arguments");
    auto share = b64_raw_decode(s.args[0]);
    if (!share || share->size() != crypto_scalarmult_BYTES) header_failure("invalid X25519 share");
    SecureBytes shared(crypto_scalarmult_BYTES);
    // libsodium refuses an all-zero result (low-order or identity point), as age requires.
    if (crypto_scalarmult(shared.data(), id.secret.data(), reinterpret_cast<const unsigned char*>(share->data())) != 0)
        header_failure("invalid X25519 share (low order)");
    SecureBytes wrap = hkdf_sha256(shared.view(), *share + id.public_key, kX25519Info);
    return aead_open_file_key(wrap, s.body);
}

std::optional<SecureBytes> scrypt_unwrap(const Stanza& s, const SecureBytes& passphrase) {
    if (s.type != "scrypt") return std::nullopt;
    if (s.args.size() != 2) header_failure("invalid scrypt stanza arguments");
    auto salt = b64_raw_decode(s.args[0]);
    if (!salt || salt->size() != 16) header_failure("invalid scrypt salt");
    const std::string& wf = s.args[1];
    int work = 0;
    auto res = std::from_chars(wf.data(), wf.data() + wf.size(), work);
    if (wf.empty() || wf[0] == '0' || res.ec != std::errc() || res.ptr != wf.data() + wf.size() || work <= 0)
        header_failure("invalid scrypt work factor");
    if (work > kMaxScryptWorkFactor) header_failure("scrypt work factor too large");
    std::string full_salt = std::string(kScryptSalt) + *salt;
    SecureBytes key(32);
    if (crypto_pwhash_scryptsalsa208sha256_ll(passphrase.data(), passphrase.size(),
                                              reinterpret_cast<const unsigned char*>(full_salt.data()), full_salt.size(),
                                              std::uint64_t{1} << work, 8, 1, key.data(), key.size()) != 0)
        throw Error(ErrorCode::Generic, "scrypt failed");
    return aead_open_file_key(key, s.body);
}

}  // namespace sopskit::age::detail
