// Vault transit internals, exposed for tests.
#pragma once
#include <optional>
#include <string>

#include "common/http.hpp"

namespace sopskit::kms::vault {

struct KeyUri {
    std::string address;      // scheme://host[:port]
    std::string engine_path;  // between /v1/ and /keys/
    std::string key_name;
};
// sops' key URI form https://host:port/v1/<engine path>/keys/<name>; nullopt otherwise.
std::optional<KeyUri> parse_key_uri(const std::string& uri);
// "HTTP 403: permission denied" from Vault's {"errors":[...]} body.
std::string error_text(const HttpResponse& resp);
// SOPS_HC_VAULT_ALLOWLIST: all (default) | none | comma list of URL prefixes.
bool address_allowed(const std::string& allowlist, const std::string& address);

}  // namespace sopskit::kms::vault
