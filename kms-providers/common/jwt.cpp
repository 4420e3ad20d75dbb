// RS256 signing with OpenSSL.
#include "common/jwt.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <stdexcept>

#include "common/codec.hpp"

namespace sopskit::kms {

std::string sign_jwt_rs256(const std::string& header_json, const std::string& claims_json,
                           const std::string& private_key_pem, const std::string& password) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())), BIO_free);
    if (!bio) throw std::runtime_error("cannot read the private key");
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, password.empty() ? nullptr : const_cast<char*>(password.c_str())),
        EVP_PKEY_free);
    if (!key) throw std::runtime_error("the private key is not a PEM RSA key");
    std::string input = b64url_encode(header_json) + "." + b64url_encode(claims_json);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
        throw std::runtime_error("cannot sign the token");
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
        throw std::runtime_error("cannot sign the token");
    sig.resize(len);
    return input + "." + b64url_encode(sig);
}

}  // namespace sopskit::kms
