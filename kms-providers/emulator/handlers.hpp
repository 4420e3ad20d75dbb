// One entry point per protocol; server.cpp routes requests to them. Each handler fills `call`
// for the log and writes a complete response in its service's shape.
#pragma once
#include <string>

#include <httplib.h>

#include "context.hpp"

namespace sopskit::kms_emulator {

using Request = httplib::Request;
using Response = httplib::Response;

// aws_kms_api.cpp: POST / with X-Amz-Target: TrentService.*
void aws_kms(Context& ctx, const Request& req, Response& res, Call& call);
void aws_error(Response& res, int status, const std::string& type, const std::string& message);
// aws_sts_api.cpp: POST / form-encoded Action=AssumeRole|AssumeRoleWithWebIdentity; IMDSv2.
void aws_sts(Context& ctx, const Request& req, Response& res, Call& call);
void sts_error(Response& res, int status, const std::string& code, const std::string& message);
void imds(Context& ctx, const Request& req, Response& res, Call& call);
// GET /federation/credentials?account_id=&role_name= with x-amz-sso_bearer_token (SSO portal).
void aws_sso(Context& ctx, const Request& req, Response& res, Call& call);
// gcp_kms_api.cpp: POST /v1/{name}:encrypt|:decrypt
void gcp_kms(Context& ctx, const Request& req, Response& res, Call& call);
void gcp_error(Response& res, int status, const std::string& message);
// An access token we issued, a static test token, or a self-signed JWT from a known service account.
bool gcp_authenticated(Context& ctx, const Request& req);
// hckms_kms_api.cpp: POST /v1.0/{project_id}/kms/encrypt-data|decrypt-data (SDK-HMAC-SHA256)
void hckms_kms(Context& ctx, const Request& req, Response& res, Call& call);
// GET /v3/projects?name=REGION (HuaweiCloud IAM KeystoneListProjects)
void hckms_iam_projects(Context& ctx, const Request& req, Response& res, Call& call);
// PUT /meta-data/latest/api/token, GET /openstack/latest/securitykey (ECS metadata: an agency's keys)
void hckms_metadata(Context& ctx, const Request& req, Response& res, Call& call);
void hckms_error(Response& res, int status, const std::string& code, const std::string& message);
// azure_kv_api.cpp: /keys/{name}[/{version}][/encrypt|/decrypt|/wrapkey|/unwrapkey]
void azure_kv(Context& ctx, const Request& req, Response& res, Call& call);
void azure_error(Response& res, int status, const std::string& code, const std::string& message);
// vault_transit_api.cpp: PUT|POST /v1/{mount…}/encrypt|decrypt/{name}
void vault_transit(Context& ctx, const Request& req, Response& res, Call& call);
void vault_error(Response& res, int status, const std::string& message);
// POST /v1/auth/{mount}/login with {"role", "jwt"}: Kubernetes (JWT) auth; see vault_transit_api.cpp.
void vault_login(Context& ctx, const Request& req, Response& res, Call& call);
// Whether the request's X-Vault-Token (or bearer token) is one of the state file's, for namespace ns.
bool vault_token_allowed(Context& ctx, const Request& req, const std::string& ns);
// vault_kv_api.cpp: GET|PUT|POST|DELETE /v1/kv/{path} (KV v1), /v1/secret/data/{path} (KV v2)
void vault_kv(Context& ctx, const Request& req, Response& res, Call& call);
// object_storage_api.cpp: S3 PUT|GET /{bucket}/{key} (path style, SigV4 "s3"); GCS
// POST /upload/storage/v1/b/{bucket}/o?uploadType=media&name=…, GET /storage/v1/b/{bucket}/o/{object}?alt=media.
void s3_object(Context& ctx, const Request& req, Response& res, Call& call);
void gcs_upload(Context& ctx, const Request& req, Response& res, Call& call);
void gcs_object(Context& ctx, const Request& req, Response& res, Call& call);
// token_endpoints.cpp: POST /token (Google), POST /{tenant}/oauth2/v2.0/token (Azure AD),
// GET /{tenant}/v2.0/.well-known/openid-configuration
void gcp_token(Context& ctx, const Request& req, Response& res, Call& call);
// POST /v1/token (Google STS token exchange), POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken
void gcp_sts_token(Context& ctx, const Request& req, Response& res, Call& call);
void gcp_generate_access_token(Context& ctx, const Request& req, Response& res, Call& call);
void azure_token(Context& ctx, const Request& req, Response& res, Call& call);
void azure_openid_configuration(Context& ctx, const Request& req, Response& res, Call& call);
// control_api.cpp: POST /_emulator/faults | /_emulator/expire-tokens | /_emulator/token-ttl | /_emulator/deny
void control(Context& ctx, const Request& req, Response& res, Call& call);

// Writes an injected failure in the shape of `service`.
void write_fault(const std::string& service, int status, Response& res);

// "Bearer xyz" → "xyz"; empty when absent.
std::string bearer_token(const Request& req);

}  // namespace sopskit::kms_emulator
