// The mlkem768x25519 recipient type (age spec, C2SP): the file key sealed with HPKE base mode
// (RFC 9180) over the hybrid KEM MLKEM768-X25519 (X-Wing), HKDF-SHA256, ChaCha20Poly1305,
// info "age-encryption.org/mlkem768x25519" and an empty aad.
#include <openssl/evp.h>
#include <sodium.h>

#include <cctype>

#include "age/age_internal.hpp"
#include "core/text.hpp"
#include "mlkem/mlkem768.hpp"
#include "sopskit/age_hybrid.hpp"
#include "sopskit/error.hpp"

namespace sopskit::age {

namespace {

constexpr std::string_view kIdentityHrp = "age-secret-key-pq-";
constexpr std::string_view kRecipientHrp = "age1pq";
constexpr std::size_t kSeedSize = 32;
constexpr std::size_t kX25519Size = 32;
constexpr std::size_t kPublicKeySize = mlkem::kEncapsulationKeySize + kX25519Size;
constexpr std::size_t kEncSize = mlkem::kCiphertextSize + kX25519Size;

// X-Wing's combiner label, the six bytes \.//^\ .
constexpr std::string_view kXWingLabel = "\\.//^\\";
constexpr std::string_view kHpkeInfo = "age-encryption.org/mlkem768x25519";
// "HPKE" || KEM 0x647a (MLKEM768-X25519) || KDF 0x0001 (HKDF-SHA256) || AEAD 0x0003 (ChaCha20Poly1305)
constexpr std::string_view kSuiteId{"HPKE\x64\x7a\x00\x01\x00\x03", 10};

// SHA3-256 or SHAKE256 (fetched once each: an implicit fetch per call is slow in OpenSSL 3).
void evp_hash(bool shake, std::string_view in, std::uint8_t* out, std::size_t out_len) {
    static EVP_MD* const sha3 = EVP_MD_fetch(nullptr, "SHA3-256", nullptr);
    static EVP_MD* const shake256 = EVP_MD_fetch(nullptr, "SHAKE256", nullptr);
    const char* name = shake ? "SHAKE256" : "SHA3-256";
    EVP_MD* md = shake ? shake256 : sha3;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok = md && ctx && EVP_DigestInit_ex(ctx, md, nullptr) == 1 && EVP_DigestUpdate(ctx, in.data(), in.size()) == 1 &&
              ((EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF) ? EVP_DigestFinalXOF(ctx, out, out_len) == 1
                                                         : EVP_DigestFinal_ex(ctx, out, nullptr) == 1);
    EVP_MD_CTX_free(ctx);
    if (!ok) throw Error(ErrorCode::Generic, std::string("age: ") + name + " failed");
}

// X-Wing's shared secret: SHA3-256(ss_M || ss_X || ct_X || pk_X || label).
SecureBytes combine(const SecureBytes& ss_m, const SecureBytes& ss_x, std::string_view ct_x, std::string_view pk_x) {
    std::string in;
    in.reserve(32 * 4 + kXWingLabel.size());
    in.append(ss_m.view()).append(ss_x.view()).append(ct_x).append(pk_x).append(kXWingLabel);
    SecureBytes ss(32);
    evp_hash(false, in, ss.data(), ss.size());
    wipe(in);
    return ss;
}

// RFC 9180 LabeledExtract / LabeledExpand for HKDF-SHA256 (outputs of at most 32 bytes).
SecureBytes labeled_extract(std::string_view salt, std::string_view label, std::string_view ikm) {
    std::string labeled = "HPKE-v1" + std::string(kSuiteId) + std::string(label);
    labeled.append(ikm);
    // An empty salt is HashLen zero bytes (RFC 5869); HMAC pads either to the same block.
    std::string zero(32, '\0');
    SecureBytes prk = SecureBytes::from(detail::hmac_sha256(salt.empty() ? std::string_view(zero) : salt, labeled));
    wipe(labeled);
    return prk;
}

SecureBytes labeled_expand(const SecureBytes& prk, std::string_view label, std::string_view info, std::size_t len) {
    std::string labeled{static_cast<char>(len >> 8), static_cast<char>(len & 0xff)};
    labeled += "HPKE-v1" + std::string(kSuiteId) + std::string(label) + std::string(info) + '\x01';
    std::string t = detail::hmac_sha256(prk.view(), labeled);
    SecureBytes out = SecureBytes::from(std::string_view(t).substr(0, len));
    wipe(t);
    return out;
}

// The HPKE base-mode key schedule: the AEAD key and nonce for the first (only) message.
struct AeadKey {
    SecureBytes key, nonce;
};

AeadKey key_schedule(const SecureBytes& shared_secret) {
    SecureBytes psk_id_hash = labeled_extract("", "psk_id_hash", "");
    SecureBytes info_hash = labeled_extract("", "info_hash", kHpkeInfo);
    std::string context(1, '\0');  // mode_base
    context.append(psk_id_hash.view()).append(info_hash.view());
    SecureBytes secret = labeled_extract(shared_secret.view(), "secret", "");
    return {labeled_expand(secret, "key", context, crypto_aead_chacha20poly1305_ietf_KEYBYTES),
            labeled_expand(secret, "base_nonce", context, crypto_aead_chacha20poly1305_ietf_NPUBBYTES)};
}

const unsigned char* uc(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

// ---- identities -------------------------------------------------------------------------------

HybridIdentity HybridIdentity::from_seed(SecureBytes seed) {
    if (seed.size() != kSeedSize) throw Error(ErrorCode::Generic, "malformed age hybrid identity");
    // X-Wing key expansion: SHAKE256(seed, 96) = d || z (ML-KEM) || X25519 scalar.
    SecureBytes expanded(96);
    evp_hash(true, seed.view(), expanded.data(), expanded.size());
    mlkem::KeyPair kp = mlkem::keygen_from_seed(expanded.view().substr(0, 32), expanded.view().substr(32, 32));
    SecureBytes x_secret(expanded.data() + 64, kX25519Size);
    std::string x_public(kX25519Size, '\0');
    crypto_scalarmult_base(reinterpret_cast<unsigned char*>(x_public.data()), x_secret.data());
    return {std::move(seed), std::move(kp.decapsulation_key), std::move(x_secret), kp.encapsulation_key + x_public};
}

HybridIdentity HybridIdentity::generate() { return from_seed(SecureBytes::random(kSeedSize)); }

HybridIdentity HybridIdentity::parse(std::string_view text) {
    auto decoded = detail::bech32_decode(sopskit::detail::trim(text));
    bool ok = decoded && decoded->first == kIdentityHrp && decoded->second.size() == kSeedSize;
    if (decoded) {
        if (ok) {
            HybridIdentity id = from_seed(SecureBytes::from(decoded->second));
            wipe(decoded->second);
            return id;
        }
        wipe(decoded->second);
    }
    throw Error(ErrorCode::Generic, "malformed age hybrid identity (expected AGE-SECRET-KEY-PQ-1...)");
}

HybridIdentity HybridIdentity::clone() const {
    return {seed.clone(), mlkem_secret.clone(), x25519_secret.clone(), public_key};
}

std::string HybridIdentity::encode() const {
    std::string s = detail::bech32_encode(std::string(kIdentityHrp), seed.view());
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string HybridIdentity::recipient() const { return detail::bech32_encode(std::string(kRecipientHrp), public_key); }

bool looks_like_hybrid_identity(std::string_view text) {
    std::string t = sopskit::detail::trim(text).substr(0, kIdentityHrp.size());
    for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return t == kIdentityHrp;
}

namespace detail {

std::optional<std::string> hybrid_recipient_bytes(std::string_view recipient) {
    auto decoded = bech32_decode(recipient);
    if (!decoded || decoded->first != kRecipientHrp || decoded->second.size() != kPublicKeySize) return std::nullopt;
    // FIPS 203's modulus check on the ML-KEM half; the X25519 half is checked when used.
    if (!mlkem::encapsulation_key_is_valid(std::string_view(decoded->second).substr(0, mlkem::kEncapsulationKeySize)))
        return std::nullopt;
    return decoded->second;
}

// ---- stanzas ----------------------------------------------------------------------------------

Stanza hybrid_wrap(const SecureBytes& file_key, const std::string& public_key) {
    std::string_view pk_m = std::string_view(public_key).substr(0, mlkem::kEncapsulationKeySize);
    std::string_view pk_x = std::string_view(public_key).substr(mlkem::kEncapsulationKeySize);
    // X-Wing Encaps: ML-KEM to pk_M, ephemeral X25519 to pk_X.
    mlkem::Encapsulation m = mlkem::encapsulate(pk_m);
    SecureBytes eph = SecureBytes::random(kX25519Size);
    std::string ct_x(kX25519Size, '\0');
    crypto_scalarmult_base(reinterpret_cast<unsigned char*>(ct_x.data()), eph.data());
    SecureBytes ss_x(kX25519Size);
    if (crypto_scalarmult(ss_x.data(), eph.data(), uc(pk_x)) != 0) throw Error(ErrorCode::Generic, "invalid age hybrid recipient");
    SecureBytes ss = combine(m.shared_secret, ss_x, ct_x, pk_x);
    AeadKey k = key_schedule(ss);
    std::string sealed(kFileKeySize + crypto_aead_chacha20poly1305_ietf_ABYTES, '\0');
    unsigned long long len = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(sealed.data()), &len, file_key.data(),
                                              file_key.size(), nullptr, 0, nullptr, k.nonce.data(), k.key.data());
    return Stanza{"mlkem768x25519", {b64_raw_encode(m.ciphertext + ct_x)}, sealed};
}

std::optional<SecureBytes> hybrid_unwrap(const Stanza& s, const HybridIdentity& id) {
    if (s.type != "mlkem768x25519") return std::nullopt;
    if (s.args.size() != 1) header_failure("invalid mlkem768x25519 stanza arguments");
    auto enc = b64_raw_decode(s.args[0]);
    if (!enc || enc->size() != kEncSize) header_failure("invalid mlkem768x25519 encapsulated key");
    // Only a 16-byte file key and its tag are acceptable; checked before any decryption.
    if (s.body.size() != kFileKeySize + crypto_aead_chacha20poly1305_ietf_ABYTES) header_failure("invalid stanza body length");
    std::string_view ct_m = std::string_view(*enc).substr(0, mlkem::kCiphertextSize);
    std::string_view ct_x = std::string_view(*enc).substr(mlkem::kCiphertextSize);
    SecureBytes ss_x(kX25519Size);
    // libsodium refuses the all-zero result (low-order or identity point), as the KEM requires.
    if (crypto_scalarmult(ss_x.data(), id.x25519_secret.data(), uc(ct_x)) != 0)
        header_failure("invalid mlkem768x25519 share (low order)");
    SecureBytes ss_m = mlkem::decapsulate(id.mlkem_secret.view(), ct_m);
    SecureBytes ss = combine(ss_m, ss_x, ct_x, std::string_view(id.public_key).substr(mlkem::kEncapsulationKeySize));
    AeadKey k = key_schedule(ss);
    SecureBytes file_key(kFileKeySize);
    unsigned long long len = 0;
    if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key.data(), &len, nullptr, uc(s.body), s.body.size(), nullptr, 0,
                                                  k.nonce.data(), k.key.data()) != 0)
        return std::nullopt;
    return file_key;
}

}  // namespace detail

}  // namespace sopskit::age
