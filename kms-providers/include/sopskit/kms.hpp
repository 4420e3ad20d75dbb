// Cloud KMS master keys (AWS KMS, GCP Cloud KMS, Azure Key Vault, HashiCorp Vault/OpenBao
// transit, HuaweiCloud KMS), registered in a KeyRing under their metadata names: kms, gcp_kms,
// azure_kv, hc_vault, hckms.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sopskit/decryptor.hpp"
#include "sopskit/keys.hpp"

namespace sopskit::kms {

// Reads one environment variable (nullopt: unset or empty).
using EnvReader = std::function<std::optional<std::string>(const std::string& name)>;

struct AwsStaticCredentials {
    std::string access_key_id, secret_access_key, session_token;
};

// Azure credentials given explicitly (Flux's sops.azure-kv), instead of the environment.
struct AzureCredentials {
    std::string tenant_id, client_id;
    std::string client_secret;               // client-secret credential, or
    std::string client_certificate;          // PEM certificate + private key
    std::string client_certificate_password;
    std::string authority_host;              // default https://login.microsoftonline.com/
};

// Workload identity federation with a token the caller holds (the Flux controller's token for a
// tenant's service account, say) instead of a token file: AWS AssumeRoleWithWebIdentity and GCP
// external_account exchange it. Usable with `isolated` settings: nothing else is read.
struct FederatedToken {
    // Returns the current token bytes; called at every exchange (when credentials expire), so it
    // may hand out a fresher token each time.
    std::function<std::string()> token;
    std::string aws_role_arn;           // AWS: the role to assume; empty: not used for AWS
    std::string aws_role_session_name;  // empty: sops@HOSTNAME, as sops names sessions
    // GCP: an external_account document (audience, subject_token_type, token_url, optional
    // service_account_impersonation_url); its credential_source, if any, is not read.
    std::optional<std::string> gcp_external_account;
};

struct KmsSettings {
    // How the sources read the environment; empty: the process environment.
    EnvReader env;
    // Home directory for ~/.aws, ~/.vault-token; empty: $HOME.
    std::string home;
    // Explicit credentials (a Flux tenant's decryption Secret). When `isolated` is true, the
    // sources read only transport settings (endpoint overrides, CA files) from the environment
    // and never its credentials, profiles, token files or metadata servers.
    bool isolated = false;
    std::optional<AwsStaticCredentials> aws;
    std::optional<std::string> gcp_credentials_json;
    std::optional<AzureCredentials> azure;
    std::optional<std::string> vault_token;
    std::optional<FederatedToken> federated;
    // Where an isolated key set's Vault token may go (the Secret's sops.vault-allowlist: URL
    // prefixes, comma or newline separated). Unset: only where the operator's
    // SOPS_HC_VAULT_ALLOWLIST names; see vault::tenant_address_refusal.
    std::optional<std::string> vault_allowlist;
};

// One source per kind.
std::unique_ptr<KeySource> make_aws_kms_source(const KmsSettings& settings = {});
std::unique_ptr<KeySource> make_gcp_kms_source(const KmsSettings& settings = {});
std::unique_ptr<KeySource> make_azure_kv_source(const KmsSettings& settings = {});
std::unique_ptr<KeySource> make_vault_transit_source(const KmsSettings& settings = {});
// HuaweiCloud KMS ("region:key-uuid" key ids; AK/SK from HUAWEICLOUD_SDK_* or
// ~/.huaweicloud/credentials). An isolated key set has no HuaweiCloud credentials.
std::unique_ptr<KeySource> make_hckms_source(const KmsSettings& settings = {});

// Adds all five.
void add_kms_sources(KeyRing& ring, const KmsSettings& settings = {});

// Recipients as sops builds them from its flags and environment variables:
//   kms: "ARN[+ROLE_ARN]" comma list, with --aws-profile and --encryption-context "k:v,k2:v2";
//   gcp_kms: resource IDs; azure_kv: key URLs; hc_vault: transit key URIs;
//   hckms: "region:key-uuid" key IDs.
// Throws Error(InvalidKmsEncryptionContext) for a malformed context.
std::vector<Recipient> kms_recipients(const std::string& arns, const std::string& aws_profile = "",
                                      const std::string& encryption_context = "");
std::vector<Recipient> gcp_kms_recipients(const std::string& ids);
std::vector<Recipient> azure_kv_recipients(const std::string& urls);
std::vector<Recipient> vault_recipients(const std::string& uris);
std::vector<Recipient> hckms_recipients(const std::string& ids);

// Settings from a Flux decryption Secret's entries (sops.aws-kms YAML/JSON, sops.gcp-kms JSON,
// sops.azure-kv YAML/JSON, sops.vault-token). Isolated from the process's credentials.
// Throws Error naming the entry when one does not parse.
KmsSettings settings_from_flux_entries(const std::optional<std::string>& aws_kms,
                                       const std::optional<std::string>& gcp_kms,
                                       const std::optional<std::string>& azure_kv,
                                       const std::optional<std::string>& vault_token,
                                       const std::optional<std::string>& vault_allowlist = std::nullopt);

// Adds the four sources to a Flux decryption key set, with the credentials its Secret carried
// (sops.aws-kms, sops.gcp-kms, sops.azure-kv, sops.vault-token) and none of the process's.
void add_flux_kms_sources(DecryptionKeys& keys);

}  // namespace sopskit::kms
