// Self-signed certificate generation with OpenSSL 3.
#include "tls_cert.hpp"

#include <arpa/inet.h>

#include <stdexcept>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "codec.hpp"

namespace sopskit::kms_emulator {

namespace {

void add_ext(X509* cert, int nid, const std::string& value) {
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
    if (!ext) throw std::runtime_error("cannot build certificate extension " + value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

bool is_ip(const std::string& s) {
    unsigned char buf[16];
    return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

TlsIdentity make_self_signed(const std::vector<std::string>& extra_names) {
    TlsIdentity id;
    id.key.reset(EVP_EC_gen("P-256"));
    id.cert.reset(X509_new());
    if (!id.key || !id.cert) throw std::runtime_error("cannot create the TLS key");
    X509* c = id.cert.get();
    X509_set_version(c, 2);
    std::string serial = random_bytes(16);
    serial[0] = char(serial[0] & 0x7f);
    BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()), int(serial.size()), nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(c), -3600);
    X509_gmtime_adj(X509_getm_notAfter(c), 30L * 24 * 3600);
    X509_set_pubkey(c, id.key.get());
    X509_NAME* name = X509_get_subject_name(c);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("sopskit kms-emulator"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(c, name);
    std::string san = "IP:127.0.0.1,DNS:localhost";
    for (const auto& n : extra_names) san += (is_ip(n) ? ",IP:" : ",DNS:") + n;
    add_ext(c, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(c, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(c, NID_ext_key_usage, "serverAuth");
    add_ext(c, NID_subject_key_identifier, "hash");
    add_ext(c, NID_subject_alt_name, san);
    if (X509_sign(c, id.key.get(), EVP_sha256()) == 0) throw std::runtime_error("cannot sign the TLS certificate");
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_X509(bio.get(), c);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    id.cert_pem.assign(data, size_t(n));
    return id;
}

}  // namespace sopskit::kms_emulator
