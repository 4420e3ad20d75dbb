// Flux's git credential Secrets (flux create secret git/helm/tls/oci), byte for byte, and the
// SSH pieces they need: key pairs and a real host-key scan for known_hosts.
#pragma once
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sopskit/secure.hpp"
#include "sopskit/tree.hpp"

namespace sopskit {

struct SshKeyPair {
    SecureBytes private_key;  // generated: unencrypted PKCS#8 PEM; loaded: the file's bytes verbatim
    std::string public_line;  // "<type> <base64>\n", no comment
};

// Generates a key as Flux does: "rsa" (bits >= 1024, multiple of 8), "ecdsa" (p256/p384/p521)
// or "ed25519". Throws Error with Flux's messages for bad parameters.
SshKeyPair generate_ssh_key(const std::string& algorithm, int rsa_bits = 2048, const std::string& ecdsa_curve = "p384");

// Opens a private key file (OpenSSH, PKCS#1, SEC1 or PKCS#8; encrypted with `password`).
SshKeyPair load_ssh_private_key(std::string_view file_bytes, const std::string& password);

// One known_hosts line for the server's key in the host-key preference Flux's Go client has
// (ECDSA first, Ed25519 last): "host type base64", or "[host]:port ..." off port 22.
// Throws Error("SSH key scan for host h:p failed, error: ...").
std::string scan_known_hosts(const std::string& host, int port, std::chrono::seconds timeout = std::chrono::seconds(30));

struct GitSecretOptions {
    std::string name;
    std::string ns = "flux-system";
    std::map<std::string, std::string> labels;
    std::string url;
    std::string username, password, bearer_token;
    std::string ssh_key_algorithm = "ecdsa";
    int ssh_rsa_bits = 2048;
    std::string ssh_ecdsa_curve = "p384";
    std::optional<std::string> private_key_file_bytes;
    std::optional<std::string> ca_crt;
    // For tests and offline use: skip the scan and use this known_hosts line.
    std::optional<std::string> known_hosts_override;
};

// The Secret manifest `flux create secret git --export` prints (stringData only, keys sorted,
// "---" first and an empty line last). Throws Error with Flux's validation messages.
std::string git_secret_manifest(const GitSecretOptions& opts);

// identity.pub of a git Secret (from stringData, or base64 `data`); nullopt when absent.
std::optional<std::string> identity_pub_of(const Branches& docs);

// Validates a Kubernetes object name as Flux does (RFC 1123, 2..63 characters).
void validate_flux_name(const std::string& name);

// Splits one value of a repeatable list flag as pflag's StringSlice does (encoding/csv: commas
// separate, double quotes group); `flag` names the flag in the error.
std::vector<std::string> split_flag_list(const std::string& value, const std::string& flag);

// Parses "--label k=v" values (repeatable, comma-separated allowed) and validates each key and
// value as Flux does (Kubernetes' label key and label value rules, Flux's messages).
std::map<std::string, std::string> parse_labels(const std::vector<std::string>& values);

// Kubernetes' IsDNS1123Label: the rule FLUX_SYSTEM_NAMESPACE must meet to be used.
bool is_dns1123_label(const std::string& value);

// A Flux decryption Secret from key files, entries named "<adler32 of the key>.agekey" /
// ".asc" as Flux's MakeSOPSSecret names them (stringData, type Opaque).
std::string flux_decryption_secret(const std::string& name, const std::string& ns, const std::vector<std::string>& age_keys,
                                   const std::vector<std::string>& pgp_keys);

// A Secret as Flux's generators build it; empty maps and an empty type are left out, as
// sigs.k8s.io/yaml leaves out Kubernetes' omitempty fields.
struct FluxSecret {
    std::string name, ns;
    std::map<std::string, std::string> labels, annotations, string_data;
    std::string type;
};

// Flux's manifest content: "---\n" and the YAML (sigs.k8s.io/yaml: keys sorted, 2-space indent).
// The commands print it with Println (one more newline), `create secret tls` with Print.
std::string flux_secret_content(const FluxSecret& secret);

// flux_secret_content + "\n": what the Println commands print.
std::string flux_secret_yaml(const std::string& name, const std::string& ns, const std::map<std::string, std::string>& labels,
                             const std::string& type, const std::map<std::string, std::string>& string_data);

}  // namespace sopskit

namespace sopskit {

// Certificates and keys for helm/tls Secrets (file contents).
struct TlsMaterial {
    std::optional<std::string> cert, key, ca;
};

// `flux create secret helm`: TLS pair > basic auth > CA only > empty, as Flux decides.
std::string helm_secret_manifest(const std::string& name, const std::string& ns, const std::map<std::string, std::string>& labels,
                                 const std::string& username, const std::string& password, const TlsMaterial& tls);
// `flux create secret tls`: a pair (kubernetes.io/tls) or a CA only (Opaque).
std::string tls_secret_manifest(const std::string& name, const std::string& ns, const std::map<std::string, std::string>& labels,
                                const TlsMaterial& tls);
// `flux create secret oci`: kubernetes.io/dockerconfigjson for one registry; the JSON is
// json.MarshalIndent's (Go's string escaping: control characters, <, >, &, U+2028/U+2029).
std::string oci_secret_manifest(const std::string& name, const std::string& ns, const std::string& url,
                                const std::string& username, const std::string& password);

// `flux create secret proxy`: address (required, parsed as a URL), optional basic auth; Opaque.
std::string proxy_secret_manifest(const std::string& name, const std::string& ns, const std::map<std::string, std::string>& labels,
                                  const std::string& address, const std::string& username, const std::string& password);

struct GitHubAppOptions {
    std::string app_id, installation_owner, installation_id, private_key, base_url;
};
// `flux create secret githubapp`: app ID and private key, exactly one of installation owner or
// ID, optional base URL; Opaque. Flux sets no labels on it.
std::string githubapp_secret_manifest(const std::string& name, const std::string& ns, const GitHubAppOptions& app);

// The receiver types notification-controller knows, in Flux's order.
const std::vector<std::string>& flux_receiver_types();

struct ReceiverOptions {
    std::string type, token, hostname, email_claim, audience_claim;
};
// `flux create secret receiver`: the token (32 random bytes in hex when none is given), the
// webhook URL annotation (https://<hostname>/hook/<sha256(token+name+namespace)>), and for gcr
// the email and audience claims.
std::string receiver_secret_manifest(const std::string& name, const std::string& ns, const std::map<std::string, std::string>& labels,
                                     const ReceiverOptions& receiver);

// Checks a Notation trust policy document as `flux create secret notation` does: decoded as Go's
// encoding/json decodes it into notation-go's trustpolicy.Document (`file` names it in
// the error), then Document.Validate. Throws Error with Flux's and notation-go's messages.
void validate_notation_trust_policy(std::string_view json, const std::string& file);

// `flux create secret notation`: one entry per CA file (its base name) and trustpolicy.json.
std::string notation_secret_manifest(const std::string& name, const std::string& ns, const std::map<std::string, std::string>& labels,
                                     const std::vector<std::pair<std::string, std::string>>& ca_certs, const std::string& trust_policy);

}  // namespace sopskit
