// A fresh self-signed server certificate for the emulator, made at start.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace sopskit::kms_emulator {

struct TlsIdentity {
    std::unique_ptr<X509, decltype(&X509_free)> cert{nullptr, X509_free};
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, EVP_PKEY_free};
    std::string cert_pem;
};

// P-256 key; SAN IP:127.0.0.1, DNS:localhost plus `extra_names` (DNS names or IP addresses);
// valid from an hour ago for 30 days. The certificate is its own trust anchor (tests pass it as
// the CA file).
TlsIdentity make_self_signed(const std::vector<std::string>& extra_names = {});

}  // namespace sopskit::kms_emulator
