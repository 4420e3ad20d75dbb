// SSH key pairs: generated with OpenSSL as Flux generates them (PKCS#8 PEM private key,
// authorized_keys public line), or loaded from a file with libssh.
#include "k8s/ssh_library.hpp"
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

#include "core/base64.hpp"
#include "sopskit/error.hpp"
#include "sopskit/git_secret.hpp"

namespace sopskit {

namespace {

struct PkeyDeleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CtxDeleter {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BioDeleter {
    void operator()(BIO* b) const { BIO_free(b); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorCode::Generic, what); }

// SSH wire format pieces (RFC 4251).
void put_string(std::string& out, std::string_view s) {
    std::uint32_t n = static_cast<std::uint32_t>(s.size());
    for (int i = 3; i >= 0; --i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
    out.append(s);
}

void put_mpint(std::string& out, const BIGNUM* bn) {
    std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
    if (!bytes.empty() && (static_cast<unsigned char>(bytes[0]) & 0x80)) bytes.insert(bytes.begin(), '\0');
    put_string(out, bytes);
}

std::string public_line_of(EVP_PKEY* key, const std::string& algorithm, const std::string& curve) {
    std::string blob, type;
    if (algorithm == "rsa") {
        type = "ssh-rsa";
        BIGNUM *n = nullptr, *e = nullptr;
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e);
        put_string(blob, type);
        put_mpint(blob, e);
        put_mpint(blob, n);
        BN_free(n);
        BN_free(e);
    } else if (algorithm == "ecdsa") {
        std::string nist = curve == "p256" ? "nistp256" : curve == "p384" ? "nistp384" : "nistp521";
        type = "ecdsa-sha2-" + nist;
        unsigned char point[200];
        size_t len = 0;
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len);
        put_string(blob, type);
        put_string(blob, nist);
        put_string(blob, std::string_view(reinterpret_cast<char*>(point), len));
    } else {
        type = "ssh-ed25519";
        unsigned char pub[32];
        size_t len = sizeof pub;
        EVP_PKEY_get_raw_public_key(key, pub, &len);
        put_string(blob, type);
        put_string(blob, std::string_view(reinterpret_cast<char*>(pub), len));
    }
    return type + " " + detail::base64_encode(blob) + "\n";
}

SecureBytes pkcs8_pem(EVP_PKEY* key) {
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_secmem()));
    if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        fail("could not encode the private key");
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return SecureBytes(reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(len));
}

}  // namespace

SshKeyPair generate_ssh_key(const std::string& algorithm, int rsa_bits, const std::string& curve) {
    if (algorithm.empty()) fail("no public key algorithm given, must be one of: rsa, ecdsa, ed25519");
    if (algorithm != "rsa" && algorithm != "ecdsa" && algorithm != "ed25519")
        fail("unsupported public key algorithm '" + algorithm + "', must be one of: rsa, ecdsa, ed25519");
    if (algorithm == "rsa") {
        if (rsa_bits < 1024) fail("RSA key bit size must be at least 1024");
        if (rsa_bits % 8 != 0) fail("RSA key bit size must be a multiples of 8");
    }
    if (algorithm == "ecdsa" && curve != "p256" && curve != "p384" && curve != "p521")
        fail("unsupported curve '" + curve + "', must be one of: p256, p384, p521");
    EVP_PKEY* raw = nullptr;
    if (algorithm == "rsa") {
        raw = EVP_RSA_gen(static_cast<unsigned int>(rsa_bits));
    } else if (algorithm == "ecdsa") {
        raw = EVP_EC_gen(curve == "p256" ? "P-256" : curve == "p384" ? "P-384" : "P-521");
    } else {
        std::unique_ptr<EVP_PKEY_CTX, CtxDeleter> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
        if (ctx && EVP_PKEY_keygen_init(ctx.get()) == 1) EVP_PKEY_keygen(ctx.get(), &raw);
    }
    if (!raw) fail("could not generate the " + algorithm + " key");
    Pkey key(raw);
    return SshKeyPair{pkcs8_pem(key.get()), public_line_of(key.get(), algorithm, curve)};
}

SshKeyPair load_ssh_private_key(std::string_view file_bytes, const std::string& password) {
    const detail::SshLibrary& ssh = detail::ssh();
    std::string text(file_bytes);
    ssh_key key = nullptr;
    int rc = ssh.ssh_pki_import_privkey_base64(text.c_str(), password.empty() ? nullptr : password.c_str(), nullptr, nullptr, &key);
    wipe(text);
    if (rc != SSH_OK || !key) fail("failed to parse the private key (wrong format or password)");
    char* b64 = nullptr;
    ssh_key pub = nullptr;
    std::string line;
    if (ssh.ssh_pki_export_privkey_to_pubkey(key, &pub) == SSH_OK && ssh.ssh_pki_export_pubkey_base64(pub, &b64) == SSH_OK) {
        line = std::string(ssh.ssh_key_type_to_char(ssh.ssh_key_type(pub))) + " " + b64 + "\n";
        ssh.ssh_string_free_char(b64);
    }
    ssh.ssh_key_free(pub);
    ssh.ssh_key_free(key);
    if (line.empty()) fail("could not derive the public key");
    return SshKeyPair{SecureBytes::from(file_bytes), line};
}

}  // namespace sopskit
