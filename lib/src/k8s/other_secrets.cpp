// Flux's helm, tls, oci, proxy, githubapp, receiver and notation Secret generators
// (flux2's manifestgen/sourcesecret over fluxcd/pkg's runtime/secrets factories).
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>

#include "core/base64.hpp"
#include "core/go_quote.hpp"
#include "core/hex.hpp"
#include "sopskit/error.hpp"
#include "sopskit/git_secret.hpp"
#include "stores/stores_internal.hpp"

namespace sopskit {

namespace {

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorCode::Generic, what); }

// Go's tls.X509KeyPair checks, with its words: the first CERTIFICATE block, a private key, and
// the two belonging together.
void check_key_pair(const std::string& cert_pem, const std::string& key_pem) {
    const std::string prefix = "invalid TLS certificate and key pair: ";
    if (cert_pem.find("-----BEGIN ") == std::string::npos) fail(prefix + "tls: failed to find any PEM data in certificate input");
    if (key_pem.find("-----BEGIN ") == std::string::npos) fail(prefix + "tls: failed to find any PEM data in key input");
    std::unique_ptr<BIO, decltype(&BIO_free)> cb(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())), BIO_free);
    std::unique_ptr<BIO, decltype(&BIO_free)> kb(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr), X509_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    if (!cert) fail(prefix + "tls: failed to find \"CERTIFICATE\" PEM block in certificate input");
    if (!key) fail(prefix + "tls: failed to parse private key");
    if (X509_check_private_key(cert.get(), key.get()) != 1) fail(prefix + "tls: private key does not match public key");
}

// fluxcd/pkg's MakeTLSSecret: a pair (kubernetes.io/tls) and/or a CA (Opaque without a pair).
FluxSecret tls_secret(const std::string& name, const std::string& ns, const TlsMaterial& tls) {
    bool has_cert = tls.cert && !tls.cert->empty(), has_key = tls.key && !tls.key->empty();
    bool has_ca = tls.ca && !tls.ca->empty();
    if (has_cert != has_key) fail(has_cert ? "found certificate but missing private key" : "found private key but missing certificate");
    if (!has_cert && !has_ca) fail("no CA certificate or client certificate pair found");
    FluxSecret s{name, ns, {}, {}, {}, "Opaque"};
    if (has_cert) {
        check_key_pair(*tls.cert, *tls.key);
        s.string_data["tls.crt"] = *tls.cert;
        s.string_data["tls.key"] = *tls.key;
        s.type = "kubernetes.io/tls";
    }
    if (has_ca) s.string_data["ca.crt"] = *tls.ca;
    return s;
}

// The manifest a Println command prints; the Secret's values are wiped afterwards.
std::string println_manifest(FluxSecret& s) {
    std::string out = flux_secret_content(s) + "\n";
    for (auto& [k, v] : s.string_data) wipe(v);
    return out;
}

std::string json_string(const std::string& s) { return detail::json_marshal_value(Value::string(s)); }

std::string sha256_hex(const std::string& bytes) {
    unsigned char digest[32];
    unsigned int len = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr) != 1 || len != 32)
        fail("failed to compute the webhook path");
    return detail::hex_encode(digest, sizeof digest);
}

// The errors Go's url.Parse gives for what a person may type as a proxy address.
void check_go_url(const std::string& address) {
    auto bad = [&](const std::string& why) { fail("invalid proxy address: parse " + detail::go_quote_string(address) + ": " + why); };
    for (unsigned char c : address)
        if (c < 0x20 || c == 0x7F) bad("net/url: invalid control character in URL");
    if (!address.empty() && address[0] == ':') bad("missing protocol scheme");
    for (std::size_t i = 0; i < address.size(); ++i) {
        if (address[i] != '%') continue;
        auto is_hex = [&](std::size_t k) { return k < address.size() && std::isxdigit(static_cast<unsigned char>(address[k])); };
        if (!is_hex(i + 1) || !is_hex(i + 2)) {
            std::string esc = address.substr(i, 3);
            bad("invalid URL escape " + detail::go_quote_string(esc));
        }
    }
}

}  // namespace

std::string helm_secret_manifest(const std::string& name, const std::string& ns, const std::map<std::string, std::string>& labels,
                                 const std::string& username, const std::string& password, const TlsMaterial& tls) {
    validate_flux_name(name);
    bool has_client_cert = (tls.cert && !tls.cert->empty()) || (tls.key && !tls.key->empty());
    bool has_ca = tls.ca && !tls.ca->empty();
    FluxSecret s{name, ns, {}, {}, {}, ""};
    if (has_client_cert) {
        s = tls_secret(name, ns, tls);
    } else if (!username.empty() || !password.empty()) {
        if (username.empty()) fail("username is required");
        if (password.empty()) fail("password is required");
        s.string_data["username"] = username;
        s.string_data["password"] = password;
        if (has_ca) s.string_data["ca.crt"] = *tls.ca;
        s.type = "kubernetes.io/basic-auth";
    } else if (has_ca) {
        s = tls_secret(name, ns, TlsMaterial{std::nullopt, std::nullopt, tls.ca});
    }
    // Without credentials Flux builds an empty stringData, which omitempty leaves out.
    s.labels = labels;
    return println_manifest(s);
}

std::string tls_secret_manifest(const std::string& name, const std::string& ns, const std::map<std::string, std::string>& labels,
                                const TlsMaterial& tls) {
    validate_flux_name(name);
    FluxSecret s = tls_secret(name, ns, tls);
    s.labels = labels;
    // `flux create secret tls --export` prints with Print: no empty line after the manifest.
    std::string out = flux_secret_content(s);
    for (auto& [k, v] : s.string_data) wipe(v);
    return out;
}

std::string oci_secret_manifest(const std::string& name, const std::string& ns, const std::string& url,
                                const std::string& username, const std::string& password) {
    validate_flux_name(name);
    if (url.empty()) fail("--url is required");
    if (username.empty()) fail("--username is required");
    if (password.empty()) fail("--password is required");
    if (url.find("://") != std::string::npos || url.find(' ') != std::string::npos) fail("invalid URL: " + url);
    // json.MarshalIndent(config, "", "  ") of {"auths": {url: {username, password, auth}}}.
    std::string auth = detail::base64_encode(username + ":" + password);
    std::string json = "{\n  \"auths\": {\n    " + json_string(url) + ": {\n      \"username\": " + json_string(username) +
                       ",\n      \"password\": " + json_string(password) + ",\n      \"auth\": " + json_string(auth) +
                       "\n    }\n  }\n}";
    wipe(auth);
    FluxSecret s{name, ns, {}, {}, {{".dockerconfigjson", json}}, "kubernetes.io/dockerconfigjson"};
    wipe(json);
    return println_manifest(s);
}

std::string proxy_secret_manifest(const std::string& name, const std::string& ns, const std::map<std::string, std::string>& labels,
                                  const std::string& address, const std::string& username, const std::string& password) {
    validate_flux_name(name);
    if (address.empty()) fail("address is required");
    check_go_url(address);
    FluxSecret s{name, ns, labels, {}, {{"address", address}}, "Opaque"};
    if (!username.empty()) s.string_data["username"] = username;
    if (!password.empty()) s.string_data["password"] = password;
    return println_manifest(s);
}

std::string githubapp_secret_manifest(const std::string& name, const std::string& ns, const GitHubAppOptions& app) {
    validate_flux_name(name);
    if (app.app_id.empty()) fail("githubAppID is required");
    if (app.private_key.empty()) fail("githubAppPrivateKey is required");
    FluxSecret s{name, ns, {}, {}, {{"githubAppID", app.app_id}, {"githubAppPrivateKey", app.private_key}}, "Opaque"};
    if (!app.installation_owner.empty()) s.string_data["githubAppInstallationOwner"] = app.installation_owner;
    if (!app.installation_id.empty()) s.string_data["githubAppInstallationID"] = app.installation_id;
    if (!app.base_url.empty()) s.string_data["githubAppBaseURL"] = app.base_url;
    if (app.installation_owner.empty() == app.installation_id.empty())
        fail("exactly one of githubAppInstallationOwner or githubAppInstallationID must be provided");
    return println_manifest(s);
}

const std::vector<std::string>& flux_receiver_types() {
    static const std::vector<std::string> types{"generic", "generic-hmac", "github", "gitlab", "bitbucket", "harbor",
                                                "dockerhub", "quay", "gcr", "nexus", "acr", "cdevents"};
    return types;
}

std::string receiver_secret_manifest(const std::string& name, const std::string& ns, const std::map<std::string, std::string>& labels,
                                     const ReceiverOptions& r) {
    validate_flux_name(name);
    std::string token = r.token;
    if (token.empty()) {
        unsigned char raw[32];
        if (RAND_bytes(raw, sizeof raw) != 1) fail("failed to generate random token");
        token = detail::hex_encode(raw, sizeof raw);
        OPENSSL_cleanse(raw, sizeof raw);
    }
    if (r.hostname.empty()) fail("hostname is required");
    // notification-controller's Receiver.GetWebhookPath: /hook/sha256(token + name + namespace).
    std::string url = "https://" + r.hostname + "/hook/" + sha256_hex(token + name + ns);
    FluxSecret s{name, ns, labels, {{"notification.toolkit.fluxcd.io/webhook", url}}, {{"token", token}}, ""};
    wipe(token);
    if (r.type == "gcr") {
        if (r.email_claim.empty()) fail("email-claim is required for gcr receiver type");
        s.string_data["email"] = r.email_claim;
        s.string_data["audience"] = r.audience_claim.empty() ? url : r.audience_claim;
    }
    return println_manifest(s);
}

std::string notation_secret_manifest(const std::string& name, const std::string& ns, const std::map<std::string, std::string>& labels,
                                     const std::vector<std::pair<std::string, std::string>>& ca_certs, const std::string& trust_policy) {
    validate_flux_name(name);
    FluxSecret s{name, ns, labels, {}, {}, ""};
    for (const auto& [file, pem] : ca_certs) s.string_data[file] = pem;
    if (!trust_policy.empty()) s.string_data["trustpolicy.json"] = trust_policy;
    return println_manifest(s);
}

}  // namespace sopskit
