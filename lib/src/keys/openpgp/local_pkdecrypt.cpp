#include "keys/openpgp/local_pkdecrypt.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include <cstring>
#include <memory>
#include <string_view>

namespace sopskit::detail::openpgp {

namespace {

std::string_view without_leading_zeros(std::string_view v) {
    while (!v.empty() && v.front() == '\0') v.remove_prefix(1);
    return v;
}
std::string_view view(const SecureBytes& b) { return b.view(); }

std::optional<SecureBytes> x25519(const gpg_agent::UnprotectedKey& key, const Pkesk& pkesk, const PublicKey& recipient) {
    if (recipient.algorithm != kKeyEcdh || recipient.ecc_point.size() != 33 || recipient.ecc_point[0] != 0x40) return std::nullopt;
    if (view(key.q) != recipient.ecc_point) return std::nullopt;  // a key file for another key
    const std::string& ephemeral = pkesk.ecdh_point;
    if (ephemeral.size() != 33 || ephemeral[0] != 0x40) return std::nullopt;
    // libgcrypt keeps d as a big-endian number; X25519 takes the scalar little-endian.
    std::string_view d = without_leading_zeros(view(key.d));
    if (d.size() > crypto_scalarmult_SCALARBYTES) return std::nullopt;
    SecureBytes scalar(crypto_scalarmult_SCALARBYTES);
    std::memset(scalar.data(), 0, scalar.size());
    for (std::size_t i = 0; i < d.size(); ++i) scalar.data()[i] = static_cast<std::uint8_t>(d[d.size() - 1 - i]);
    SecureBytes point(1 + crypto_scalarmult_BYTES);
    point.data()[0] = 0x40;
    if (crypto_scalarmult_curve25519(point.data() + 1, scalar.data(), reinterpret_cast<const std::uint8_t*>(ephemeral.data()) + 1) != 0)
        return std::nullopt;  // a low-order ephemeral point
    return point;
}

struct BnFree {
    void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
Bn bn(const SecureBytes& b) {
    Bn number(BN_secure_new());
    if (!number || !BN_bin2bn(b.data(), static_cast<int>(b.size()), number.get())) return nullptr;
    return number;
}

// The parameter array holds copies of the secret numbers (OpenSSL 3.0 has no
// OSSL_PARAM_clear_free).
void clear_free_params(OSSL_PARAM* params) {
    for (OSSL_PARAM* p = params; p && p->key; ++p)
        if (p->data) OPENSSL_cleanse(p->data, p->data_size);
    OSSL_PARAM_free(params);
}

std::optional<SecureBytes> rsa(const gpg_agent::UnprotectedKey& key, const Pkesk& pkesk, const PublicKey& recipient) {
    if (recipient.algorithm != kKeyRsa && recipient.algorithm != kKeyRsaEncryptOnly) return std::nullopt;
    if (without_leading_zeros(view(key.n)) != without_leading_zeros(recipient.rsa_n) ||
        without_leading_zeros(view(key.e)) != without_leading_zeros(recipient.rsa_e))
        return std::nullopt;  // a key file for another key
    // libgcrypt's p < q with u = p^-1 mod q is OpenSSL's CRT with the factors swapped:
    // OpenSSL wants qInv = factor2^-1 mod factor1.
    Bn n = bn(key.n), e = bn(key.e), d = bn(key.d), p = bn(key.rsa_q), q = bn(key.p), u = bn(key.u);
    // Only functions the command's lazy libcrypto stubs know (cli/lazy_libcrypto_functions.def).
    if (!n || !e || !d || !p || !q || !u) return std::nullopt;
    Bn dp(BN_secure_new()), dq(BN_secure_new()), p1(BN_dup(p.get())), q1(BN_dup(q.get()));
    std::unique_ptr<BN_CTX, void (*)(BN_CTX*)> ctx(BN_CTX_secure_new(), BN_CTX_free);
    if (!dp || !dq || !p1 || !q1 || !ctx) return std::nullopt;
    for (BIGNUM* secret : {d.get(), p1.get(), q1.get()}) BN_set_flags(secret, BN_FLG_CONSTTIME);  // d mod (p-1) in constant time
    if (!BN_sub_word(p1.get(), 1) || !BN_sub_word(q1.get(), 1) || !BN_mod(dp.get(), d.get(), p1.get(), ctx.get()) ||
        !BN_mod(dq.get(), d.get(), q1.get(), ctx.get()))
        return std::nullopt;
    std::size_t size = static_cast<std::size_t>(BN_num_bits(n.get()) + 7) / 8;

    std::unique_ptr<OSSL_PARAM_BLD, void (*)(OSSL_PARAM_BLD*)> build(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
    if (!build || !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
        !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) ||
        !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_D, d.get()) ||
        !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p.get()) ||
        !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q.get()) ||
        !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dp.get()) ||
        !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dq.get()) ||
        !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, u.get()))
        return std::nullopt;
    std::unique_ptr<OSSL_PARAM, void (*)(OSSL_PARAM*)> params(OSSL_PARAM_BLD_to_param(build.get()), clear_free_params);
    if (!params) return std::nullopt;
    std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> from(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr), EVP_PKEY_CTX_free);
    EVP_PKEY* raw = nullptr;
    if (!from || EVP_PKEY_fromdata_init(from.get()) != 1 || EVP_PKEY_fromdata(from.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1)
        return std::nullopt;
    std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> pkey(raw, EVP_PKEY_free);

    // The agent returns the whole block, padding included, and the session-key code removes
    // it: no padding here, so both routes meet the same checks.
    std::string_view c = without_leading_zeros(pkesk.rsa_ciphertext);
    if (size == 0 || c.empty() || c.size() > size) return std::nullopt;
    std::string input(size - c.size(), '\0');
    input += c;
    std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> dec(EVP_PKEY_CTX_new(pkey.get(), nullptr), EVP_PKEY_CTX_free);
    if (!dec || EVP_PKEY_decrypt_init(dec.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(dec.get(), RSA_NO_PADDING) != 1) return std::nullopt;
    SecureBytes block(size);
    std::size_t out = block.size();
    if (EVP_PKEY_decrypt(dec.get(), block.data(), &out, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1 ||
        out != size)
        return std::nullopt;  // e.g. a ciphertext not below n
    return block;
}

}  // namespace

std::optional<SecureBytes> local_pkdecrypt(const gpg_agent::UnprotectedKey& key, const Pkesk& pkesk, const PublicKey& recipient) {
    if (pkesk.algorithm == kEcdh && key.kind == gpg_agent::UnprotectedKey::Kind::Curve25519) return x25519(key, pkesk, recipient);
    if ((pkesk.algorithm == kRsaEncryptSign || pkesk.algorithm == kRsaEncryptOnly) && key.kind == gpg_agent::UnprotectedKey::Kind::Rsa)
        return rsa(key, pkesk, recipient);
    return std::nullopt;
}

}  // namespace sopskit::detail::openpgp
