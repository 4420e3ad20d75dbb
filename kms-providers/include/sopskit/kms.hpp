// Cloud KMS master keys (AWS KMS, GCP Cloud KMS, Azure Key Vault, HashiCorp Vault/OpenBao
// transit, HuaweiCloud KMS), registered in a KeyRing under their metadata names: kms, gcp_kms,
// azure_kv, hc_vault, hckms.
#pragma once
#include <functional>
#include <map>
#include <string_view>
#include <vector>
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
    bool send_certificate_chain = false;     // x5c in the assertion (Flux's clientCertificateSendChain)
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
    // Azure: the app registration the token is a federated credential of (client_assertion);
    // empty: not used for Azure.
    std::string azure_tenant_id, azure_client_id;
    // When set, names the session after the STS region (the key's), as Flux does:
    // <name>.<namespace>.<region>.fluxcd.io. Wins over aws_role_session_name.
    std::function<std::string(const std::string& region)> aws_role_session_name_for_region;
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
    // Without a vault_token: logs in to the Vault at this address and returns its token (Flux's
    // Kubernetes login); throws when the address is not one it may log in to. Isolated sources
    // send nothing to an address this refuses.
    std::function<std::string(const std::string& address)> vault_login;
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

// Workload identity for a decryption key set, as kustomize-controller does it
// (spec.decryption.serviceAccountName, --default-decryption-service-account, the controller's own
// identity, --sops-vault-configmap). There is no Kubernetes API here: the caller hands the
// service account's annotations and a way to get its token for an audience.
using TokenSource = std::function<std::string(const std::string& audience)>;

struct ServiceAccount {
    std::string namespace_name, name;
    // eks.amazonaws.com/role-arn; iam.gke.io/gcp-service-account and
    // gcp.auth.fluxcd.io/workload-identity-provider; azure.workload.identity/tenant-id and client-id.
    std::map<std::string, std::string> annotations;
};

struct WorkloadIdentity {
    // The service account's token for an audience (AWS sts.amazonaws.com, GCP the workload
    // identity provider, Azure api://AzureADTokenExchange, Vault its address).
    TokenSource token;
    // Object-level identity: a provider without a Secret credential uses this account (its
    // annotations name the cloud identity) and never the process's own.
    std::optional<ServiceAccount> service_account;
    // Controller-level identity: without a service account, a provider without a Secret
    // credential uses the process's own (AWS chain incl. AWS_WEB_IDENTITY_TOKEN_FILE, Google ADC
    // and metadata server, Azure environment/workload identity/managed identity), as Flux does.
    bool process_identity = false;
    // Vault/OpenBao Kubernetes login (address -> login path, e.g. auth/kubernetes/login); also the
    // list of Vault servers `token` may go to. Role: <namespace>_<name> of the token's subject.
    std::map<std::string, std::string> vault_login_paths;
    // Transport settings (endpoints, CA files) and, with process_identity, the process's
    // credentials; empty: the process environment and $HOME.
    EnvReader env;
    std::string home;
};

void add_flux_kms_sources(DecryptionKeys& keys, const WorkloadIdentity& identity);

// Token sources: a file read at every call (a projected token is rotated in place), or a
// program run without a shell at every call, its standard output the token; in its arguments
// "{audience}" becomes the audience, which is also in $SOPSKIT_TOKEN_AUDIENCE.
TokenSource token_source_from_file(const std::string& path);
TokenSource token_source_from_command(std::vector<std::string> argv);
// A ServiceAccount manifest (YAML): metadata.namespace, metadata.name, metadata.annotations.
ServiceAccount service_account_from_manifest(std::string_view yaml);
// Flux's Vault ConfigMap (its data."config.yaml") or that config.yaml itself:
// instances: [{address, loginPath}].
std::map<std::string, std::string> vault_login_paths_from(std::string_view yaml);

}  // namespace sopskit::kms
