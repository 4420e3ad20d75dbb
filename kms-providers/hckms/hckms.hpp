// HuaweiCloud KMS internals, exposed for tests and fuzzing.
#pragma once
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "common/env.hpp"
#include "common/http.hpp"

namespace sopskit::kms::hckms {

// sops' "region:key-uuid" (split at the first ':', both sides trimmed, neither empty), with the
// region narrowed to a lower-case DNS label (it names the endpoint host) and the key to the
// UUID HuaweiCloud KMS gives its keys (8-4-4-4-12 of [0-9a-z]).
struct KeyId {
    std::string region;
    std::string key_uuid;
};
inline constexpr std::size_t kMaxKeyIdLength = 256;
std::optional<KeyId> parse_key_id(std::string_view id);
bool valid_region(std::string_view region);

// The KMS endpoint of a checked region: the operator's HUAWEICLOUD_SDK_REGION_KMS_<REGION>
// (first of a comma list), else the SDK's table (https://kms.<region>.myhuaweicloud.com, .eu
// for eu-west-101). nullopt for a region neither knows.
std::optional<std::string> endpoint(const Env& env, const std::string& region);

// The IAM endpoint that finds a missing project id (GET /v3/projects?name=REGION), as the SDK
// picks it: HUAWEICLOUD_SDK_IAM_ENDPOINT (https:// added when absent), else https://iam.REGION.myhuaweicloud.com
// for the regions the SDK lists, else https://iam.myhuaweicloud.com. `region` must be valid.
std::string iam_endpoint(const Env& env, const std::string& file_override, const std::string& region);

// AK/SK credentials as the SDK's basic chain finds them: HUAWEICLOUD_SDK_AK/_SK
// (+ _SECURITY_TOKEN, _PROJECT_ID), else the [basic] section of HUAWEICLOUD_SDK_CREDENTIALS_FILE
// or ~/.huaweicloud/credentials (ak, sk, security_token, project_id, iam_endpoint). Without a
// project id, the source asks IAM for the region's project.
struct Credentials {
    std::string access_key, secret_key, security_token, project_id;
    std::string iam_endpoint;  // the file's iam_endpoint, if any
    std::time_t expires = 0;   // temporary keys from the metadata service; 0: long-term
    std::string source;  // where they came from, for error messages
};
std::optional<Credentials> credentials_from_env(const Env& env);
// The [basic] section of an INI credentials file's text; nullopt without ak and sk.
std::optional<Credentials> credentials_from_ini(std::string_view text);

// The ECS metadata service's temporary keys, the SDK chain's last source: PUT
// /meta-data/latest/api/token (a session token; 404/405/503 mean the service has none), then GET
// /openstack/latest/securitykey. At http://169.254.169.254, or SOPSKIT_HUAWEICLOUD_METADATA_ENDPOINT
// (sopskit's own, for tests). nullopt when the service cannot be reached or has no keys.
std::optional<Credentials> credentials_from_metadata(const Env& env, const HttpOptions& http, std::time_t now);
// {"credential": {"access", "secret", "securitytoken", "expires_at"}}; nullopt when incomplete.
// The lifetime is clamped to a day.
std::optional<Credentials> credentials_from_securitykey(const std::string& body, std::time_t now);

// "HTTP 400 KMS.0205: message" from {"error":{"error_code","error_msg"}} or the gateway's flat
// {"error_code","error_msg"}.
std::string error_text(const HttpResponse& resp);

// The one project id in a KeystoneListProjects answer ({"projects": [{"id": ...}]}); throws
// std::runtime_error for none, several, or an id that is not letters and digits.
std::string project_id_from_answer(const std::string& body, const std::string& region);

}  // namespace sopskit::kms::hckms
