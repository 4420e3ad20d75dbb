// AES-256-GCM, RSA-OAEP-256 and RS256 verification with OpenSSL 3.
#include "crypto.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "codec.hpp"

namespace sopskit::kms_emulator {

namespace {

using Pkey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

Pkey load_key(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())), BIO_free);
    EVP_PKEY* k = nullptr;
    if (pem.find("PRIVATE KEY") != std::string::npos) {
        k = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    } else if (pem.find("CERTIFICATE") != std::string::npos) {
        X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
        if (x) {
            k = X509_get_pubkey(x);
            X509_free(x);
        }
    } else {
        k = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
    }
    if (!k) throw std::runtime_error("cannot read PEM key");
    return Pkey(k, EVP_PKEY_free);
}

PkeyCtx oaep_ctx(EVP_PKEY* key, bool encrypt) {
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr), EVP_PKEY_CTX_free);
    if (!ctx || (encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1)
        throw std::runtime_error("RSA-OAEP setup failed");
    return ctx;
}

}  // namespace

std::string aes_gcm_seal(std::string_view key, std::string_view pt, std::string_view aad) {
    std::string nonce = random_bytes(12);
    CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    std::string out = nonce;
    out.resize(12 + pt.size() + 16);
    int len = 0;
    if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u8(key), u8(nonce)) != 1 ||
        (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, u8(aad), int(aad.size())) != 1) ||
        EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data() + 12), &len, u8(pt), int(pt.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), nullptr, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, out.data() + 12 + pt.size()) != 1)
        throw std::runtime_error("AES-GCM encryption failed");
    return out;
}

std::optional<std::string> aes_gcm_open(std::string_view key, std::string_view sealed, std::string_view aad) {
    if (sealed.size() < 28 || key.size() != 32) return std::nullopt;
    std::string_view nonce = sealed.substr(0, 12), ct = sealed.substr(12, sealed.size() - 28), tag = sealed.substr(sealed.size() - 16);
    CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    std::string out(ct.size(), '\0');
    int len = 0;
    std::string tag_copy(tag);
    if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u8(key), u8(nonce)) != 1 ||
        (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, u8(aad), int(aad.size())) != 1) ||
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, u8(ct), int(ct.size())) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag_copy.data()) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), nullptr, &len) != 1)
        return std::nullopt;
    return out;
}

std::string rsa_generate_pem() {
    Pkey key(EVP_RSA_gen(2048), EVP_PKEY_free);
    if (!key) throw std::runtime_error("RSA key generation failed");
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, size_t(n));
}

std::string rsa_oaep256_encrypt(const std::string& pem, std::string_view pt) {
    Pkey key = load_key(pem);
    PkeyCtx ctx = oaep_ctx(key.get(), true);
    size_t len = 0;
    if (EVP_PKEY_encrypt(ctx.get(), nullptr, &len, u8(pt), pt.size()) != 1) throw std::runtime_error("RSA-OAEP failed");
    std::string out(len, '\0');
    if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, u8(pt), pt.size()) != 1)
        throw std::runtime_error("RSA-OAEP failed");
    out.resize(len);
    return out;
}

std::optional<std::string> rsa_oaep256_decrypt(const std::string& pem, std::string_view ct) {
    Pkey key = load_key(pem);
    PkeyCtx ctx = oaep_ctx(key.get(), false);
    size_t len = 0;
    if (EVP_PKEY_decrypt(ctx.get(), nullptr, &len, u8(ct), ct.size()) != 1) return std::nullopt;
    std::string out(len, '\0');
    if (EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, u8(ct), ct.size()) != 1) return std::nullopt;
    out.resize(len);
    return out;
}

void rsa_public_jwk(const std::string& pem, std::string& n, std::string& e) {
    Pkey key = load_key(pem);
    BIGNUM *bn_n = nullptr, *bn_e = nullptr;
    EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N, &bn_n);
    EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, &bn_e);
    auto bytes = [](BIGNUM* b) {
        std::string s(size_t(BN_num_bytes(b)), '\0');
        BN_bn2bin(b, reinterpret_cast<unsigned char*>(s.data()));
        BN_free(b);
        return s;
    };
    if (!bn_n || !bn_e) throw std::runtime_error("not an RSA key");
    n = base64url_encode(bytes(bn_n));
    e = base64url_encode(bytes(bn_e));
}

std::optional<Jwt> jwt_peek(std::string_view token) {
    size_t d1 = token.find('.'), d2 = token.rfind('.');
    if (d1 == std::string_view::npos || d1 == d2) return std::nullopt;
    auto h = base64_decode(token.substr(0, d1));
    auto c = base64_decode(token.substr(d1 + 1, d2 - d1 - 1));
    if (!h || !c) return std::nullopt;
    Jwt jwt;
    jwt.header = nlohmann::json::parse(*h, nullptr, false);
    jwt.claims = nlohmann::json::parse(*c, nullptr, false);
    if (!jwt.header.is_object() || !jwt.claims.is_object()) return std::nullopt;
    return jwt;
}

std::optional<Jwt> jwt_verify_rs256(std::string_view token, const std::string& public_pem) {
    auto jwt = jwt_peek(token);
    if (!jwt) return std::nullopt;
    std::string alg = jwt->header.value("alg", "");
    if (alg != "RS256" && alg != "PS256") return std::nullopt;
    size_t d2 = token.rfind('.');
    auto sig = base64_decode(token.substr(d2 + 1));
    if (!sig) return std::nullopt;
    Pkey key(nullptr, EVP_PKEY_free);
    try {
        key = load_key(public_pem);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::string_view signed_part = token.substr(0, d2);
    EVP_PKEY_CTX* pctx = nullptr;
    if (EVP_DigestVerifyInit(md.get(), &pctx, EVP_sha256(), nullptr, key.get()) != 1) return std::nullopt;
    if (alg == "PS256" && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1))
        return std::nullopt;
    if (EVP_DigestVerify(md.get(), u8(*sig), sig->size(), u8(signed_part), signed_part.size()) != 1) return std::nullopt;
    return jwt;
}

}  // namespace sopskit::kms_emulator
