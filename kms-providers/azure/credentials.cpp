// Microsoft Entra ID (AAD) tokens for Key Vault in DefaultAzureCredential's order: client secret,
// client certificate, workload identity (federated token file), managed identity (IMDS), then
// the Azure CLI (cli_credential.cpp); against AZURE_AUTHORITY_HOST.
#include <nlohmann/json.hpp>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>

#include "azure/azure.hpp"
#include "common/codec.hpp"
#include "common/jwt.hpp"
#include "common/token_expiry.hpp"
#include "sopskit/kms/sigv4.hpp"

namespace sopskit::kms::azure {

namespace {

Token parse_token(const HttpResponse& resp, const std::string& where) {
    if (resp.status != 200) throw std::runtime_error("token request to " + where + " failed: " + error_text(resp));
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string())
        throw std::runtime_error("token response from " + where + " has no access_token");
    Token t;
    t.access_token = j["access_token"].get<std::string>();
    t.expires = token_expiry(j, std::time(nullptr));
    return t;
}

std::string random_id() {
    unsigned char b[16];
    RAND_bytes(b, sizeof b);
    return sigv4::to_hex(std::string_view(reinterpret_cast<char*>(b), sizeof b));
}

// Managed identity at the instance metadata service (AZURE_POD_IDENTITY_AUTHORITY_HOST moves it,
// as azidentity allows), with the client ID when one is set.
Token managed_identity_token(const Env& env, const std::string& client_id, const std::string& scope, const HttpOptions& http) {
    std::string host = env_or(env, "AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://169.254.169.254");
    while (!host.empty() && host.back() == '/') host.pop_back();
    std::string resource = scope.substr(0, scope.rfind("/.default"));
    std::string url = host + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" + url_encode(resource);
    if (!client_id.empty()) url += "&client_id=" + url_encode(client_id);
    HttpOptions mi = http;
    mi.connect_timeout_ms = 1000;
    mi.max_retries = 1;
    try {
        return parse_token(http_send(HttpRequest{"GET", url, {{"Metadata", "true"}}, ""}, mi), "managed identity");
    } catch (const TransportError&) {
        throw std::runtime_error("unreachable");
    }
}

}  // namespace

std::string client_assertion(const std::string& pem, const std::string& password, const std::string& client_id,
                             const std::string& token_url, std::time_t now, bool send_chain) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
    if (!cert) throw std::runtime_error("the client certificate file has no PEM certificate");
    unsigned char sha1[20];
    unsigned int len = 0;
    X509_digest(cert.get(), EVP_sha1(), sha1, &len);
    nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"x5t", b64url_encode(std::string_view(reinterpret_cast<char*>(sha1), len))}};
    if (send_chain) {
        // azidentity's SendCertificateChain (subject name/issuer authentication): x5c lists the
        // certificates of the PEM, the leaf first, as standard base64 DER.
        nlohmann::json chain = nlohmann::json::array();
        for (X509* c = cert.get(); c;) {
            unsigned char* der = nullptr;
            int n = i2d_X509(c, &der);
            if (n > 0) chain.push_back(b64_encode(std::string_view(reinterpret_cast<char*>(der), static_cast<std::size_t>(n))));
            OPENSSL_free(der);
            if (c != cert.get()) X509_free(c);
            c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
        }
        ERR_clear_error();  // the read past the last certificate
        header["x5c"] = chain;
    }
    nlohmann::json claims = {{"aud", token_url}, {"iss", client_id}, {"sub", client_id}, {"jti", random_id()},
                             {"nbf", now}, {"iat", now}, {"exp", now + 600}};
    return sign_jwt_rs256(header.dump(), claims.dump(), pem, password);
}

Token acquire_token(const std::optional<AzureCredentials>& explicit_creds, const std::optional<FederatedToken>& federated,
                    const Env& env, bool isolated,
                    const std::string& scope, const std::string& challenge_tenant, const HttpOptions& http) {
    AzureCredentials c;
    std::string federated_token;
    if (explicit_creds) {
        c = *explicit_creds;
    } else if (federated && !federated->azure_client_id.empty()) {
        // Workload identity with a handed token: the same client assertion as a token file.
        if (!federated->token) throw std::runtime_error("workload identity: no token provider was given");
        c.tenant_id = federated->azure_tenant_id;
        c.client_id = federated->azure_client_id;
        federated_token = trim(federated->token());
        if (federated_token.empty()) throw std::runtime_error("workload identity: the token provider handed an empty token");
    } else if (isolated) {
        throw std::runtime_error("no Azure credentials were given (sops.azure-kv)");
    } else {
        c.tenant_id = env_or(env, "AZURE_TENANT_ID");
        c.client_id = env_or(env, "AZURE_CLIENT_ID");
        c.client_secret = env_or(env, "AZURE_CLIENT_SECRET");
        if (c.client_secret.empty()) {
            if (auto path = env("AZURE_CLIENT_CERTIFICATE_PATH")) {
                auto pem = read_text_file(*path);
                if (!pem) throw std::runtime_error("cannot read AZURE_CLIENT_CERTIFICATE_PATH " + *path);
                c.client_certificate = *pem;
                c.client_certificate_password = env_or(env, "AZURE_CLIENT_CERTIFICATE_PASSWORD");
            } else if (auto file = env("AZURE_FEDERATED_TOKEN_FILE")) {
                auto t = read_text_file(*file);
                if (!t) throw std::runtime_error("cannot read AZURE_FEDERATED_TOKEN_FILE " + *file);
                federated_token = trim(*t);
            }
        }
    }
    std::string authority = !c.authority_host.empty() ? c.authority_host
                                                      : env_or(env, "AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com/");
    while (!authority.empty() && authority.back() == '/') authority.pop_back();
    if (authority.find("://") == std::string::npos) authority = "https://" + authority;
    std::string tenant = !c.tenant_id.empty() ? c.tenant_id : challenge_tenant;

    HttpOptions opts = http;
    opts.retryable = [](const HttpResponse& r) { return r.status >= 500; };
    std::vector<std::pair<std::string, std::string>> form = {{"client_id", c.client_id}};
    if (!c.client_id.empty() && !tenant.empty() && !c.client_secret.empty()) {
        form.emplace_back("client_secret", c.client_secret);
    } else if (!c.client_id.empty() && !tenant.empty() && !c.client_certificate.empty()) {
        std::string url = authority + "/" + tenant + "/oauth2/v2.0/token";
        form.emplace_back("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        form.emplace_back("client_assertion",
                          client_assertion(c.client_certificate, c.client_certificate_password, c.client_id, url, std::time(nullptr),
                                           c.send_certificate_chain));
    } else if (!c.client_id.empty() && !tenant.empty() && !federated_token.empty()) {
        form.emplace_back("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        form.emplace_back("client_assertion", federated_token);
    } else if (!isolated || explicit_creds) {
        // DefaultAzureCredential's order: managed identity, then the Azure CLI.
        std::string mi_reason;
        try {
            return managed_identity_token(env, c.client_id, scope, opts);
        } catch (const std::exception& e) {
            mi_reason = e.what();
        }
        if (isolated) throw std::runtime_error("managed identity: " + mi_reason);
        try {
            return token_from_azure_cli(env, scope, challenge_tenant);
        } catch (const std::exception& e) {
            throw std::runtime_error("no Azure credentials found (AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or "
                                     "AZURE_CLIENT_CERTIFICATE_PATH; workload identity; managed identity: " + mi_reason + "; " + e.what() + ")");
        }
    } else {
        throw std::runtime_error("incomplete Azure credentials");
    }
    form.emplace_back("grant_type", "client_credentials");
    form.emplace_back("scope", scope);
    std::string url = authority + "/" + tenant + "/oauth2/v2.0/token";
    HttpRequest req{"POST", url, {{"Content-Type", "application/x-www-form-urlencoded"}}, form_encode(form)};
    for (auto& [k, v] : form) wipe(v);
    wipe(federated_token);
    return parse_token(http_send(std::move(req), opts), url);
}

}  // namespace sopskit::kms::azure
