// The emulator's persistent state: keys and configured credentials, kept in a JSON file (0600).
//
// Layout (every section optional; a missing file is created with fresh test credentials):
//   {"auto_create": true, "token_ttl_seconds": 3600,
//    "aws":   {"account": "111122223333", "credentials": {"AKID": "secret" | {"secret", "account", "user"}},
//              "keys": {"<key ARN>": KEY}, "aliases": {"alias/x": "<key ARN>"}, "roles": ["<role ARN>", …],
//              "web_identity_tokens": ["…"], "imds_role": "emulator-role",
//              "sso_tokens": {"<access token>": {"account_id": "…", "roles": ["<role name>", …], "expires_at": 0}}},
//    "gcp":   {"service_accounts": {"<client_email>": {"public_key_pem": "..."}},
//              "refresh_tokens": {"<token>": {"client_id": "...", "client_secret": "..."}},
//              "static_tokens": ["..."], "keys": {"projects/…/cryptoKeys/k": KEY},
//              "workload_identity_pools": {"<audience>": {"subject_tokens": ["…"], "subject": "principal://…"}},
//              "impersonation": {"<service account email>": ["<caller subject>", …]}},
//    "azure": {"clients": {"<client id>": {"tenant": "...", "secret": "...", "certificate_pem": "..."}},
//              "tenant": "<challenge tenant>", "static_tokens": ["<user token, as az hands out>"], "authority": "https://login.microsoftonline.com",
//              "challenge_resource": "https://vault.azure.net",
//              "keys": {"<name>": {"versions": {"<version>": "<PKCS#8 PEM>"}, "current": "<version>", "denied": false}}},
//    "vault": {"tokens": {"<token>": {"namespace": ""}}, "keys": {"[ns/]mount/name": KEY}},
//    "hckms": {"credentials": {"<AK>": {"secret": "<SK>", "project_id": "...", "security_token": "..."}},
//              "keys": {"<key uuid>": KEY}}}
//   KEY = {"versions": ["<base64 of 32 bytes>", ...], "denied": false}  (version n is versions[n-1])
// REQUIRES: one KeyStore per file; every method is thread-safe.
#pragma once
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sopskit::kms_emulator {

struct SymmetricKey {
    std::string id;
    std::vector<std::string> versions;  // raw 32-byte keys; the last is primary
    bool denied = false;
};

struct RsaKey {
    std::string name;
    std::string version;
    std::string private_pem;
    bool denied = false;
};

class KeyStore {
public:
    // Loads the file, or creates it with generated credentials when it does not exist.
    explicit KeyStore(std::string path);

    // service: "aws", "gcp", "vault" or "hckms". With create (and auto_create on), a missing key is made.
    std::optional<SymmetricKey> symmetric(const std::string& service, const std::string& id, bool create);
    // version empty: the current one. Creates the key (first version) on first use when allowed.
    std::optional<RsaKey> rsa(const std::string& name, const std::string& version, bool create);
    // Marks a key denied (or allowed again); false when it does not exist.
    bool set_denied(const std::string& service, const std::string& id, bool denied);

    // A copy of one section ("aws", "gcp", "azure", "vault") or of a top-level value.
    nlohmann::json section(const std::string& name) const;
    long long token_ttl_seconds() const;

private:
    void save_locked();
    std::string path_;
    mutable std::mutex mu_;
    nlohmann::json state_;
};

}  // namespace sopskit::kms_emulator
