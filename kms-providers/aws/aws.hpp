// AWS internals shared by the KMS key source, STS and the credential chain.
#pragma once
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/env.hpp"
#include "common/http.hpp"
#include "sopskit/kms.hpp"
#include "sopskit/kms/sigv4.hpp"

namespace sopskit::kms::aws {

struct Creds {
    sigv4::Credentials keys;
    std::time_t expires = 0;  // 0: does not expire
    std::string source;       // where they came from, for messages ("environment", "profile x", ...)
};

struct Context {
    Env env;
    std::string home;
    bool isolated = false;
    std::optional<AwsStaticCredentials> static_keys;
    std::optional<FederatedToken> federated;
    HttpOptions http;
};

// The context a KMS source or an S3 upload runs in: environment, home, explicit keys, HTTP
// options (AWS_CA_BUNDLE, AWS_MAX_ATTEMPTS as total tries).
Context context_from(const KmsSettings& settings);

// A KMS key ARN, arn:PARTITION:kms:REGION:ACCOUNT:(key|alias)/NAME, checked by a strict grammar:
// sops' pattern ^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)/.+$ with the region narrowed to a
// lower-case DNS label (it becomes part of the endpoint host), at most kMaxArnLength bytes, and
// no spaces or control characters. nullopt for anything else.
inline constexpr std::size_t kMaxArnLength = 2048;  // AWS's own limit for a KeyId
struct KmsArn {
    std::string partition, region, account, resource;  // resource: "key/..." or "alias/..."
};
std::optional<KmsArn> parse_kms_arn(std::string_view arn);
std::optional<std::string> region_from_arn(const std::string& arn);

// amazonaws.com, amazonaws.com.cn, c2s.ic.gov, ... by the region's partition.
std::string dns_suffix_for_region(const std::string& region);

// https://{service}.{region}.{suffix}, or the operator's AWS_ENDPOINT_URL_{SERVICE} /
// AWS_ENDPOINT_URL. Throws TransportError for a region that is not a lower-case DNS label.
std::string service_endpoint(const Env& env, const std::string& service, const std::string& region);

struct AwsError {
    long status = 0;
    std::string code, message;
    std::string text() const;  // "HTTP 400 AccessDeniedException: message"
};
AwsError parse_json_error(const HttpResponse& resp);
AwsError parse_xml_error(const HttpResponse& resp);
// Throttling and transient codes the SDK retries even with a 4xx status.
bool is_throttling_code(const std::string& code);
// Text of the first <tag>...</tag> (entities decoded, trimmed); empty when absent.
std::string xml_value(const std::string& xml, const std::string& tag);

// Signs and sends a request to {endpoint}/ (POST), retrying throttling; returns the response.
HttpResponse signed_post(const Context& ctx, const std::string& endpoint, const std::string& region,
                         const std::string& service, const Creds& creds,
                         std::vector<std::pair<std::string, std::string>> headers, const std::string& body,
                         bool json_errors);

// sops' RoleSessionName: "sops@" + hostname with [^a-zA-Z0-9=,.@-_] removed, cut to 64.
std::string role_session_name(const std::string& hostname);

Creds assume_role(const Context& ctx, const Creds& base, const std::string& role_arn, const std::string& region,
                  const std::string& session_name);
Creds assume_role_with_web_identity(const Context& ctx, const std::string& role_arn, const std::string& token,
                                    const std::string& session_name, const std::string& region);
// Web identity from a token file, read afresh at every call (the issuer rotates it).
Creds web_identity_from_file(const Context& ctx, const std::string& role_arn, const std::string& token_file,
                             const std::string& session_name, const std::string& region);

// Shared config/credentials files: section -> key -> value. "[profile x]" becomes "x".
using Ini = std::map<std::string, std::map<std::string, std::string>>;
Ini parse_ini(const std::string& text, bool config_file);
// The config file's "[sso-session NAME]" sections, by NAME.
Ini parse_sso_sessions(const std::string& config_text);

// credential_process: runs the profile's command (through /bin/sh, as the SDK does) and reads
// its JSON (Version 1, AccessKeyId, SecretAccessKey, optional SessionToken and Expiration).
Creds process_credentials(const std::string& command, const std::string& profile);
Creds parse_process_output(const std::string& json_text, const std::string& profile);

// IAM Identity Center (SSO) profiles: sso_session (or the legacy sso_start_url), sso_account_id,
// sso_role_name. The token `aws sso login` cached in HOME/.aws/sso/cache/<sha1>.json is handed to
// the portal's GetRoleCredentials. Throws TransportError (an expired token asks for a new login).
using Section = std::map<std::string, std::string>;
bool has_sso_configuration(const Section& profile);
Creds sso_credentials(const Context& ctx, const Section& profile, const Ini& sso_sessions, const std::string& profile_name);
// The cached token file's name: hex SHA-1 of the session name (or of the legacy start URL).
std::string sso_cache_file_name(const std::string& session_or_start_url);
// {"accessToken", "expiresAt"} of a cached token; throws TransportError when absent, malformed or
// expired at `now`.
std::string sso_cached_access_token(const std::string& json_text, std::time_t now);
// GetRoleCredentials' {"roleCredentials": {...}} (expiration in epoch milliseconds).
Creds parse_role_credentials(const std::string& json_text);

// The SDK's chain. `profile` non-empty: that profile only (sops sets it programmatically from
// aws_profile / --aws-profile). `region` is the KMS key's region (for STS calls).
Creds resolve_credentials(const Context& ctx, const std::string& profile, const std::string& region);

// Credentials from EC2 instance metadata (IMDSv2).
std::optional<Creds> imds_credentials(const Context& ctx);

// "2026-11-24T11:15:00Z" -> time_t (0 when it does not parse).
std::time_t parse_iso8601(const std::string& s);

}  // namespace sopskit::kms::aws
