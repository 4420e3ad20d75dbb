// GCP Cloud KMS internals, exposed for tests.
#pragma once
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "common/env.hpp"
#include "common/http.hpp"
#include "sopskit/kms.hpp"

namespace sopskit::kms::gcp {

inline constexpr const char* kScope = "https://www.googleapis.com/auth/cloudkms";

// sops' ^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$, each name limited to
// [A-Za-z0-9._:-] (not "." or ".."), at most kMaxResourceIdLength bytes in all.
inline constexpr std::size_t kMaxResourceIdLength = 1024;
bool valid_resource_id(std::string_view id);
// SOPS_GCP_KMS_ENDPOINT (a URL, or host[:port] meaning https), SOPS_GCP_KMS_UNIVERSE_DOMAIN, or
// https://cloudkms.googleapis.com.
std::string endpoint(const Env& env);
// An endpoint setting as a base URL: host[:port] means https (":443" dropped), no trailing '/'.
std::string endpoint_url(std::string setting);
// "HTTP 403 PERMISSION_DENIED: message" from google.rpc.Status JSON.
std::string error_text(const HttpResponse& resp);

struct Token {
    std::string access_token;
    std::time_t expires = 0;  // 0: unknown / never refreshed
};

// An access token from a credentials JSON document (service_account: RS256 JWT grant at its
// token_uri; authorized_user: refresh-token grant). Throws std::runtime_error.
// `scope`: what a service account's token is asked for (Cloud KMS unless said otherwise).
Token token_from_credentials_json(const std::string& json_text, const HttpOptions& http, std::time_t now,
                                  const std::string& scope = kScope);
// The metadata server (GCE_METADATA_HOST or metadata.google.internal); nullopt if unreachable.
std::optional<Token> token_from_metadata(const Env& env, const HttpOptions& http);

// A bearer token for `scope` from the same credential chain the Cloud KMS key uses
// (GOOGLE_CREDENTIALS, GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_APPLICATION_CREDENTIALS, gcloud's
// application default credentials, the metadata server). Throws std::runtime_error.
std::string access_token(const KmsSettings& settings, const std::string& scope);

}  // namespace sopskit::kms::gcp
