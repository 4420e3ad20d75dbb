// Azure Key Vault internals, exposed for tests.
#pragma once
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "common/env.hpp"
#include "common/http.hpp"
#include "sopskit/kms.hpp"

namespace sopskit::kms::azure {

inline constexpr const char* kApiVersion = "7.4";

struct KeyRef {
    std::string vault_url;  // https://name.vault.azure.net (no trailing slash)
    std::string name;
    std::string version;    // may be empty: resolved from the vault
};
// sops' ^(https://[^/]+)/keys/([^/]+)(/[^/]*)?$ with a checked host[:port], name and version of
// [A-Za-z0-9-] (at most 127), the whole at most kMaxKeyUrlLength; nullopt for anything else
// (http:// included).
inline constexpr std::size_t kMaxKeyUrlLength = 1024;
std::optional<KeyRef> parse_key_url(std::string_view url);

// The 401 challenge: WWW-Authenticate: Bearer authorization="https://login.../<tenant>",
// resource="https://vault.azure.net" (or scope="..."). nullopt when absent or unusable.
struct Challenge {
    std::string tenant;
    std::string scope;          // "<resource>/.default"
    std::string resource_host;  // for the vault-host domain check
};
// Headers longer than kMaxChallengeLength are refused unread; a tenant that is not a GUID or a
// domain name is dropped (it would go into the token URL).
inline constexpr std::size_t kMaxChallengeLength = 8192;
std::optional<Challenge> parse_challenge(const std::string& www_authenticate);
// Whether a host lies under one of Key Vault's domains (vault.azure.net, vault.azure.cn,
// vault.usgovcloudapi.net, managedhsm.*, ...) or of `extra_domains` (comma list, the operator's
// SOPSKIT_AZURE_KEYVAULT_DOMAINS). Checked for a decryption Secret's credentials.
bool is_key_vault_host(const std::string& host, const std::string& extra_domains);
// Whether the vault host is the challenge's resource host or a subdomain of it.
bool host_matches_resource(const std::string& vault_host, const std::string& resource_host);

// "HTTP 404 KeyNotFound: message" from Key Vault's or AAD's error JSON.
std::string error_text(const HttpResponse& resp);

struct Token {
    std::string access_token;
    std::time_t expires = 0;
};

// A token for `scope` from the credentials (explicit, or the environment's
// AZURE_TENANT_ID/AZURE_CLIENT_ID + AZURE_CLIENT_SECRET | AZURE_CLIENT_CERTIFICATE_PATH |
// AZURE_FEDERATED_TOKEN_FILE). `challenge_tenant` is used when the credential names none.
// Throws std::runtime_error.
Token acquire_token(const std::optional<AzureCredentials>& explicit_creds, const std::optional<FederatedToken>& federated,
                    const Env& env, bool isolated,
                    const std::string& scope, const std::string& challenge_tenant, const HttpOptions& http);

// The Azure CLI credential: `az account get-access-token --output json --resource R
// [--tenant T]` for the scope's resource and the challenge's tenant, az found on the
// environment's PATH. Throws std::runtime_error.
Token token_from_azure_cli(const Env& env, const std::string& scope, const std::string& tenant);
// az's JSON (accessToken, expires_on or expiresOn).
Token parse_cli_token(const std::string& json_text, std::time_t now);

// The client-certificate assertion: RS256 JWT with x5t = base64url(SHA-1 of the cert DER).
std::string client_assertion(const std::string& pem_cert_and_key, const std::string& password,
                             const std::string& client_id, const std::string& token_url, std::time_t now,
                             bool send_chain = false);

}  // namespace sopskit::kms::azure
