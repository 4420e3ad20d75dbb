// age's SSH stanzas. ssh-ed25519: X25519 with the Ed25519 key moved to Montgomery form, the
// shared secret multiplied by a tweak bound to the SSH public key. ssh-rsa: RSA-OAEP-SHA-256.
// Both carry the key's 4-byte tag so an identity skips stanzas for other keys cheaply.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include <memory>

#include "age/ssh_internal.hpp"
#include "sopskit/error.hpp"

namespace sopskit::age::detail {

namespace {

constexpr std::string_view kEd25519Label = "age-encryption.org/v1/ssh-ed25519";
constexpr std::string_view kRsaLabel = "age-encryption.org/v1/ssh-rsa";
constexpr std::size_t kMinRsaBytes = 2048 / 8;

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// X25519(tweak, shared): binds the secret to this SSH key, so the same Ed25519 key used as a
// plain X25519 recipient would give another wrapping key.
SecureBytes tweaked(const SecureBytes& shared, std::string_view blob) {
    SecureBytes tweak = hkdf_sha256("", blob, kEd25519Label);  // empty secret, the key as salt
    SecureBytes out(crypto_scalarmult_BYTES);
    // age ignores an all-zero result here; libsodium still writes it, so the outcome is unused.
    if (crypto_scalarmult(out.data(), tweak.data(), shared.data()) != 0) {
    }
    return out;
}

SecureBytes wrapping_key(const SecureBytes& shared, std::string_view ephemeral_share, std::string_view their_point,
                         std::string_view blob) {
    SecureBytes t = tweaked(shared, blob);
    return hkdf_sha256(t.view(), std::string(ephemeral_share) + std::string(their_point), kEd25519Label);
}

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CtxFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BldFree {
    void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct BnFree {
    void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Bn bn(std::string_view magnitude, bool secret) {
    BIGNUM* b = secret ? BN_secure_new() : BN_new();
    if (!b || !BN_bin2bn(u8(magnitude), static_cast<int>(magnitude.size()), b)) throw Error(ErrorCode::Generic, "out of memory");
    if (secret) BN_set_flags(b, BN_FLG_CONSTTIME);
    return Bn(b);
}

// An OpenSSL RSA key from its parts; `priv` null for a public key.
std::unique_ptr<EVP_PKEY, PkeyFree> rsa_key(const SshPublicKey& pub, const SshPrivateKey* priv) {
    std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
    Bn n = bn(pub.rsa_n, false), e = bn(pub.rsa_e, false);
    Bn d, p, q, dp, dq, qi;
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
    if (priv) {
        d = bn(priv->rsa_d.view(), true), p = bn(priv->rsa_p.view(), true), q = bn(priv->rsa_q.view(), true);
        qi = bn(priv->rsa_iqmp.view(), true);
        // The CRT exponents are not in an OpenSSH file: d mod (p-1), d mod (q-1).
        dp = Bn(BN_secure_new()), dq = Bn(BN_secure_new());
        Bn p1(BN_dup(p.get())), q1(BN_dup(q.get()));
        std::unique_ptr<BN_CTX, decltype(&BN_CTX_free)> ctx(BN_CTX_secure_new(), BN_CTX_free);
        if (!dp || !dq || !p1 || !q1 || !ctx || !BN_sub_word(p1.get(), 1) || !BN_sub_word(q1.get(), 1) ||
            !BN_mod(dp.get(), d.get(), p1.get(), ctx.get()) || !BN_mod(dq.get(), d.get(), q1.get(), ctx.get()))
            throw Error(ErrorCode::Generic, "invalid RSA private key");
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, d.get());
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p.get());
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q.get());
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dp.get());
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dq.get());
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi.get());
    }
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld.get());
    std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    EVP_PKEY* key = nullptr;
    bool ok = params && ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
              EVP_PKEY_fromdata(ctx.get(), &key, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) == 1;
    OSSL_PARAM_free(params);
    if (!ok) throw Error(ErrorCode::Generic, "invalid RSA key");
    return std::unique_ptr<EVP_PKEY, PkeyFree>(key);
}

void set_oaep(EVP_PKEY_CTX* ctx) {
    char* label = static_cast<char*>(OPENSSL_memdup(kRsaLabel.data(), kRsaLabel.size()));  // owned by ctx after set0
    if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 || EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, static_cast<int>(kRsaLabel.size())) != 1) {
        OPENSSL_free(label);
        throw Error(ErrorCode::Generic, "RSA-OAEP set-up failed");
    }
}

std::string seal_zero_nonce(const SecureBytes& key, std::string_view plain) {
    unsigned char nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {0};
    std::string out(plain.size() + crypto_aead_chacha20poly1305_ietf_ABYTES, '\0');
    unsigned long long len = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(out.data()), &len, u8(plain), plain.size(), nullptr, 0,
                                              nullptr, nonce, key.data());
    return out;
}

}  // namespace

Stanza ssh_ed25519_wrap(const SecureBytes& file_key, const SshPublicKey& pub) {
    SecureBytes their(crypto_scalarmult_BYTES);
    if (crypto_sign_ed25519_pk_to_curve25519(their.data(), u8(pub.ed25519)) != 0)
        throw Error(ErrorCode::Generic, "invalid Ed25519 public key");
    std::string their_point(their.view());
    SecureBytes ephemeral = SecureBytes::random(crypto_scalarmult_SCALARBYTES);
    std::string share(crypto_scalarmult_BYTES, '\0');
    crypto_scalarmult_base(reinterpret_cast<unsigned char*>(share.data()), ephemeral.data());
    SecureBytes shared(crypto_scalarmult_BYTES);
    if (crypto_scalarmult(shared.data(), ephemeral.data(), their.data()) != 0)
        throw Error(ErrorCode::Generic, "invalid Ed25519 public key (low order)");
    SecureBytes key = wrapping_key(shared, share, their_point, pub.blob);
    return Stanza{"ssh-ed25519", {ssh_fingerprint(pub.blob), b64_raw_encode(share)}, seal_zero_nonce(key, file_key.view())};
}

std::optional<SecureBytes> ssh_ed25519_unwrap(const Stanza& s, const SshPrivateKey& key) {
    if (s.type != "ssh-ed25519" || key.pub.type != "ssh-ed25519" || key.encrypted) return std::nullopt;
    // As age: the arguments are checked before the tag, so a malformed stanza is an error for every key.
    if (s.args.size() != 2) header_failure("invalid ssh-ed25519 stanza arguments");
    auto share = b64_raw_decode(s.args[1]);
    if (!share || share->size() != crypto_scalarmult_BYTES) header_failure("invalid ssh-ed25519 share");
    if (s.args[0] != ssh_fingerprint(key.pub.blob)) return std::nullopt;

    SecureBytes sk(crypto_sign_SECRETKEYBYTES), scalar(crypto_scalarmult_SCALARBYTES);
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    crypto_sign_seed_keypair(pk, sk.data(), key.ed25519_seed.data());
    crypto_sign_ed25519_sk_to_curve25519(scalar.data(), sk.data());
    std::string our_point(crypto_scalarmult_BYTES, '\0');
    crypto_scalarmult_base(reinterpret_cast<unsigned char*>(our_point.data()), scalar.data());
    SecureBytes shared(crypto_scalarmult_BYTES);
    if (crypto_scalarmult(shared.data(), scalar.data(), u8(*share)) != 0) header_failure("invalid ssh-ed25519 share (low order)");
    SecureBytes wrap = wrapping_key(shared, *share, our_point, key.pub.blob);

    if (s.body.size() != kFileKeySize + crypto_aead_chacha20poly1305_ietf_ABYTES) header_failure("invalid ssh-ed25519 body length");
    unsigned char nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {0};
    SecureBytes file_key(kFileKeySize);
    unsigned long long len = 0;
    if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key.data(), &len, nullptr, u8(s.body), s.body.size(), nullptr, 0, nonce,
                                                  wrap.data()) != 0)
        throw Error(ErrorCode::Generic, "age: failed to decrypt the file key of an ssh-ed25519 stanza for this key");
    return file_key;
}

Stanza ssh_rsa_wrap(const SecureBytes& file_key, const SshPublicKey& pub) {
    if (pub.rsa_n.size() < kMinRsaBytes) throw Error(ErrorCode::Generic, "RSA key size is too small (age needs 2048 bits or more)");
    auto pkey = rsa_key(pub, nullptr);
    std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new(pkey.get(), nullptr));
    if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1) throw Error(ErrorCode::Generic, "RSA-OAEP set-up failed");
    set_oaep(ctx.get());
    std::size_t len = 0;
    if (EVP_PKEY_encrypt(ctx.get(), nullptr, &len, file_key.data(), file_key.size()) != 1) throw Error(ErrorCode::Generic, "RSA-OAEP failed");
    std::string body(len, '\0');
    if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(body.data()), &len, file_key.data(), file_key.size()) != 1)
        throw Error(ErrorCode::Generic, "RSA-OAEP failed");
    body.resize(len);
    return Stanza{"ssh-rsa", {ssh_fingerprint(pub.blob)}, body};
}

std::optional<SecureBytes> ssh_rsa_unwrap(const Stanza& s, const SshPrivateKey& key) {
    if (s.type != "ssh-rsa" || key.pub.type != "ssh-rsa" || key.encrypted) return std::nullopt;
    if (s.args.size() != 1) header_failure("invalid ssh-rsa stanza arguments");
    if (s.args[0] != ssh_fingerprint(key.pub.blob)) return std::nullopt;
    auto pkey = rsa_key(key.pub, &key);
    std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new(pkey.get(), nullptr));
    if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1) throw Error(ErrorCode::Generic, "RSA-OAEP set-up failed");
    set_oaep(ctx.get());
    SecureBytes out(key.pub.rsa_n.size());
    std::size_t len = out.size();
    if (EVP_PKEY_decrypt(ctx.get(), out.data(), &len, u8(s.body), s.body.size()) != 1 || len != kFileKeySize)
        throw Error(ErrorCode::Generic, "age: failed to decrypt the file key of an ssh-rsa stanza for this key");
    return SecureBytes(out.data(), len);
}

}  // namespace sopskit::age::detail
