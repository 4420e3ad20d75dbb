// Flux's helm, tls and oci Secret generators.
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "core/base64.hpp"
#include "sopskit/error.hpp"
#include "sopskit/git_secret.hpp"

namespace sopskit {

namespace {

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorCode::Generic, what); }

// The certificate and key must form an X.509 key pair, as Go's tls.X509KeyPair checks.
void check_key_pair(const std::string& cert_pem, const std::string& key_pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> cb(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())), BIO_free);
    std::unique_ptr<BIO, decltype(&BIO_free)> kb(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr), X509_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    if (!cert) fail("failed to parse the TLS certificate");
    if (!key) fail("failed to parse the TLS private key");
    if (X509_check_private_key(cert.get(), key.get()) != 1) fail("tls: private key does not match public key");
}

void add_tls(std::map<std::string, std::string>& data, const TlsMaterial& tls) {
    check_key_pair(*tls.cert, *tls.key);
    data["tls.crt"] = *tls.cert;
    data["tls.key"] = *tls.key;
    if (tls.ca) data["ca.crt"] = *tls.ca;
}

}  // namespace

std::string helm_secret_manifest(const std::string& name, const std::string& ns, const std::map<std::string, std::string>& labels,
                                 const std::string& username, const std::string& password, const TlsMaterial& tls) {
    validate_flux_name(name);
    std::map<std::string, std::string> data;
    std::string type;
    if (tls.cert || tls.key) {
        if (!tls.cert || !tls.key) fail("both --tls-crt-file and --tls-key-file are required for a TLS client certificate");
        add_tls(data, tls);
        type = "kubernetes.io/tls";
    } else if (!username.empty() || !password.empty()) {
        if (username.empty()) fail("username is required");
        if (password.empty()) fail("password is required");
        data["username"] = username;
        data["password"] = password;
        if (tls.ca) data["ca.crt"] = *tls.ca;
        type = "kubernetes.io/basic-auth";
    } else if (tls.ca) {
        data["ca.crt"] = *tls.ca;
        type = "Opaque";
    }
    return flux_secret_yaml(name, ns, labels, type, data);
}

std::string tls_secret_manifest(const std::string& name, const std::string& ns, const std::map<std::string, std::string>& labels,
                                const TlsMaterial& tls) {
    validate_flux_name(name);
    std::map<std::string, std::string> data;
    if (tls.cert || tls.key) {
        if (!tls.cert || !tls.key) fail("both --tls-crt-file and --tls-key-file are required");
        add_tls(data, tls);
        return flux_secret_yaml(name, ns, labels, "kubernetes.io/tls", data);
    }
    if (!tls.ca) fail("--tls-crt-file and --tls-key-file, or --ca-crt-file, are required");
    data["ca.crt"] = *tls.ca;
    return flux_secret_yaml(name, ns, labels, "Opaque", data);
}

std::string oci_secret_manifest(const std::string& name, const std::string& ns, const std::string& url,
                                const std::string& username, const std::string& password) {
    validate_flux_name(name);
    if (url.empty()) fail("--url is required");
    if (url.find("://") != std::string::npos || url.find(' ') != std::string::npos) fail("invalid URL: " + url);
    if (username.empty()) fail("--username is required");
    if (password.empty()) fail("--password is required");
    auto quote = [](const std::string& s) {
        std::string out = "\"";
        for (char c : s) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        return out + "\"";
    };
    std::string json = "{\n  \"auths\": {\n    " + quote(url) + ": {\n      \"username\": " + quote(username) +
                       ",\n      \"password\": " + quote(password) + ",\n      \"auth\": " +
                       quote(detail::base64_encode(username + ":" + password)) + "\n    }\n  }\n}";
    std::string out = flux_secret_yaml(name, ns, {}, "kubernetes.io/dockerconfigjson", {{".dockerconfigjson", json}});
    wipe(json);
    return out;
}

}  // namespace sopskit
