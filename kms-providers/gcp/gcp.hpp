// GCP Cloud KMS internals, exposed for tests.
#pragma once
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

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

// An OAuth token endpoint's answer ({"access_token", "expires_in"}); throws naming `where`.
Token parse_token_response(const HttpResponse& resp, const std::string& where, std::time_t now);

// What an external_account document may make sopskit do on this machine: read its
// credential_source file or URL, or run its executable (only with
// GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1 in `env`, as Google's libraries require). A Flux
// tenant's document gets none of it: it could name the controller's own token file.
struct LocalSources {
    bool allowed = false;
    Env env;
};

// An access token from a credentials JSON document (service_account: RS256 JWT grant at its
// token_uri; authorized_user: refresh-token grant; external_account: STS token exchange, then
// optional impersonation; impersonated_service_account: its source credentials, then
// generateAccessToken). Throws std::runtime_error.
// `scope`: what a service account's token is asked for (Cloud KMS unless said otherwise).
Token token_from_credentials_json(const std::string& json_text, const HttpOptions& http, std::time_t now,
                                  const LocalSources& local = {}, const std::string& scope = kScope);

// Whether a URL from a credentials file may receive a token: https on a Google API host of
// `service` ("sts" or "iamcredentials"): SERVICE.googleapis.com, X.SERVICE., SERVICE.X.,
// SERVICE.X.rep., X-SERVICE., SERVICE-X.p. (the patterns of Google's libraries). A test reaches
// the emulator under these names with SOPSKIT_KMS_RESOLVE, never by another host.
bool is_google_api_url(const std::string& url, std::string_view service);

// external_account: exchanges `subject_token` at the document's token_url (Google STS), then
// impersonates its service account when it names one. The token is the caller's (item 3 of the
// federated flows: the controller hands the workload's token), the document's credential_source
// is not read.
// The string at `key` of a JSON object, or "" when it is missing or not a string: credential
// documents are untrusted, and nlohmann's value() throws a type_error for a field of another type.
std::string string_field(const nlohmann::json& j, const char* key);

Token token_from_external_account(const nlohmann::json& config, const std::string& subject_token, const HttpOptions& http,
                                  std::time_t now);
// The subject token the document's credential_source names (file, url or executable).
std::string subject_token_from_source(const nlohmann::json& config, const LocalSources& local, const HttpOptions& http,
                                      std::time_t now);
// IAM Credentials generateAccessToken at `url` with the caller's token.
Token impersonate(const std::string& url, const std::string& source_token, const nlohmann::json& delegates,
                  const HttpOptions& http, std::time_t now);
// The metadata server (GCE_METADATA_HOST or metadata.google.internal); nullopt if unreachable.
std::optional<Token> token_from_metadata(const Env& env, const HttpOptions& http);

// A bearer token for `scope` from the same credential chain the Cloud KMS key uses
// (GOOGLE_CREDENTIALS, GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_APPLICATION_CREDENTIALS, gcloud's
// application default credentials, the metadata server). Throws std::runtime_error.
std::string access_token(const KmsSettings& settings, const std::string& scope);

}  // namespace sopskit::kms::gcp
