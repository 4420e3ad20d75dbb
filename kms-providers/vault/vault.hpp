// Vault transit internals, exposed for tests.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "common/env.hpp"
#include "common/http.hpp"

namespace sopskit::kms::vault {

struct KeyUri {
    std::string address;      // scheme://host[:port]
    std::string engine_path;  // between /v1/ and /keys/
    std::string key_name;
};
// sops' key URI form http[s]://host[:port]/v1/<engine path>/keys/<name>[/] with the host checked,
// engine segments and name of [A-Za-z0-9-_.+@~] (not "." or ".."), the whole at most
// kMaxKeyUriLength; nullopt otherwise.
inline constexpr std::size_t kMaxKeyUriLength = 1024;
std::optional<KeyUri> parse_key_uri(std::string_view uri);
// "HTTP 403: permission denied" from Vault's {"errors":[...]} body.
std::string error_text(const HttpResponse& resp);
// SOPS_HC_VAULT_ALLOWLIST as sops reads it for a user's own keys: all (default) | none | comma list
// of URL prefixes (matched at a path boundary).
bool address_allowed(const std::string& allowlist, const std::string& address);
// For a decryption Secret's token (default deny): nullopt when `address` is named by a URL
// prefix in the operator's SOPS_HC_VAULT_ALLOWLIST or the Secret's sops.vault-allowlist (comma or
// newline list), or is https and the operator said "all"; else why not. The operator's "none"
// refuses all. Plain http:// is allowed only through a prefix that itself starts with http://.
std::optional<std::string> tenant_address_refusal(const std::optional<std::string>& operator_allowlist,
                                                  const std::optional<std::string>& tenant_allowlist,
                                                  const std::string& address);

// Vault's JWT-backed login (the Kubernetes auth method): writes {"role", "jwt"} to
// <address>/v1/<login_path> and returns auth.client_token. The login path is the operator's
// (e.g. auth/kubernetes/login, maybe under a namespace): plain segments only. TLS as the
// transit calls (VAULT_CACERT). Throws std::runtime_error naming the address, path and role.
std::string kubernetes_login(const Env& env, const std::string& address, const std::string& login_path,
                             const std::string& role, const std::string& jwt);

}  // namespace sopskit::kms::vault
