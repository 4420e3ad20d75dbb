// AWS STS query API (AssumeRole, AssumeRoleWithWebIdentity, GetCallerIdentity) with XML
// answers, the IAM Identity Center portal's GetRoleCredentials, and an IMDSv2-like instance
// metadata service; all hand out temporary credentials
// that the KMS API then accepts (with their session token) until they expire.
#include <nlohmann/json.hpp>

#include "aws_auth.hpp"
#include "codec.hpp"
#include "handlers.hpp"
#include "workload_tokens.hpp"

namespace sopskit::kms_emulator {

namespace {

constexpr const char* kStsNs = "https://sts.amazonaws.com/doc/2011-06-15/";

// Role ARNs the emulator lets callers assume: aws.roles when present, else any role ARN.
bool role_allowed(Context& ctx, const std::string& role_arn) {
    if (role_arn.find(":role/") == std::string::npos || role_arn.rfind("arn:aws", 0) != 0) return false;
    nlohmann::json roles = ctx.keys.section("aws").value("roles", nlohmann::json());
    if (!roles.is_array()) return true;
    for (const auto& r : roles)
        if (r == role_arn) return true;
    return false;
}

std::string credentials_xml(const TemporaryAwsCredentials& c, const std::string& role_arn, const std::string& session) {
    size_t role = role_arn.find(":role/");
    size_t acct = role_arn.find("::") + 2;
    std::string account = role_arn.substr(acct, role - acct);
    std::string name = role_arn.substr(role + 6);
    return "<Credentials><AccessKeyId>" + c.access_key_id + "</AccessKeyId><SecretAccessKey>" + c.secret +
           "</SecretAccessKey><SessionToken>" + c.session_token + "</SessionToken><Expiration>" + rfc3339(c.expires_at) +
           "</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAEMULATOR:" + xml_escape(session) +
           "</AssumedRoleId><Arn>arn:aws:sts::" + account + ":assumed-role/" + xml_escape(name) + "/" + xml_escape(session) +
           "</Arn></AssumedRoleUser>";
}

void xml_ok(Response& res, const std::string& action, const std::string& inner) {
    res.status = 200;
    res.set_content("<" + action + "Response xmlns=\"" + kStsNs + "\"><" + action + "Result>" + inner + "</" + action +
                        "Result><ResponseMetadata><RequestId>" + hex_encode(random_bytes(16)) + "</RequestId></ResponseMetadata></" +
                        action + "Response>",
                    "text/xml");
}

long long duration(Context& ctx, std::map<std::string, std::string>& form) {
    long long ttl = ctx.token_ttl();
    if (form.count("DurationSeconds")) {
        try {
            ttl = std::stoll(form["DurationSeconds"]);
        } catch (const std::exception&) {
        }
    }
    return ctx.tokens.ttl_override() > 0 ? ctx.tokens.ttl_override() : ttl;
}

}  // namespace

void sts_error(Response& res, int status, const std::string& code, const std::string& message) {
    res.status = status;
    res.set_content(std::string("<ErrorResponse xmlns=\"") + kStsNs + "\"><Error><Type>" + (status >= 500 ? "Receiver" : "Sender") +
                        "</Type><Code>" + code + "</Code><Message>" + xml_escape(message) + "</Message></Error><RequestId>" +
                        hex_encode(random_bytes(16)) + "</RequestId></ErrorResponse>",
                    "text/xml");
}

void aws_sts(Context& ctx, const Request& req, Response& res, Call& call) {
    auto form = parse_form(req.body);
    for (const auto& [k, v] : req.params) form.emplace(k, v);
    std::string action = form["Action"];
    call.operation = action;
    call.key = form["RoleArn"];
    if (action == "AssumeRoleWithWebIdentity") {
        if (form["WebIdentityToken"].empty()) return sts_error(res, 400, "ValidationError", "WebIdentityToken must not be empty");
        nlohmann::json allowed = ctx.keys.section("aws").value("web_identity_tokens", nlohmann::json());
        if (allowed.is_array()) {
            bool found = false;
            for (const auto& t : allowed) found = found || t == form["WebIdentityToken"];
            if (!found) return sts_error(res, 400, "InvalidIdentityToken", "Couldn't verify the web identity token.");
        }
        if (!role_allowed(ctx, form["RoleArn"])) return sts_error(res, 403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");
        // A role with a trust policy for an OIDC provider (aws.web_identity_roles: role ARN ->
        // {"issuer", "audience", "subject"}) takes only that provider's signed tokens, for
        // that audience and subject, as IAM checks an IRSA role's trust policy.
        std::string subject = "emulator", audience = "sts.amazonaws.com";
        nlohmann::json trust = ctx.keys.section("aws").value("web_identity_roles", nlohmann::json::object());
        if (trust.is_object() && trust.contains(form["RoleArn"]) && trust[form["RoleArn"]].is_object()) {
            const nlohmann::json& rule = trust[form["RoleArn"]];
            audience = rule.value("audience", "sts.amazonaws.com");
            WorkloadTokenCheck check = verify_workload_token(ctx, form["WebIdentityToken"], audience);
            if (!check.ok || check.issuer != rule.value("issuer", ""))
                return sts_error(res, 400, "InvalidIdentityToken", "Couldn't verify the web identity token: " + (check.ok ? std::string("issuer is not the role's provider") : check.why));
            if (check.subject != rule.value("subject", ""))
                return sts_error(res, 403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");
            subject = check.subject;
        }
        auto c = ctx.tokens.issue_aws(form["RoleArn"], duration(ctx, form));
        return xml_ok(res, action, credentials_xml(c, form["RoleArn"], form["RoleSessionName"]) + "<SubjectFromWebIdentityToken>" +
                                       xml_escape(subject) + "</SubjectFromWebIdentityToken><Audience>" + xml_escape(audience) + "</Audience>");
    }
    AwsAuth auth = authenticate_aws(ctx, req, "sts");
    switch (auth.failure) {
        case AwsAuthFailure::None: break;
        case AwsAuthFailure::MissingAuthentication: return sts_error(res, 403, "MissingAuthenticationToken", "Request is missing Authentication Token");
        case AwsAuthFailure::IncompleteSignature: return sts_error(res, 400, "IncompleteSignature", auth.message);
        case AwsAuthFailure::UnknownAccessKey: return sts_error(res, 403, "InvalidClientTokenId", auth.message);
        case AwsAuthFailure::ExpiredToken: return sts_error(res, 400, "ExpiredToken", auth.message);
        case AwsAuthFailure::BadSignature:
        case AwsAuthFailure::SignatureExpired: return sts_error(res, 403, "SignatureDoesNotMatch", auth.message);
    }
    if (action == "AssumeRole") {
        if (form["RoleSessionName"].empty()) return sts_error(res, 400, "ValidationError", "RoleSessionName must not be empty");
        if (!role_allowed(ctx, form["RoleArn"]))
            return sts_error(res, 403, "AccessDenied", "User: " + auth.principal + " is not authorized to perform: sts:AssumeRole on resource: " + form["RoleArn"]);
        auto c = ctx.tokens.issue_aws(form["RoleArn"], duration(ctx, form));
        return xml_ok(res, action, credentials_xml(c, form["RoleArn"], form["RoleSessionName"]) + "<PackedPolicySize>0</PackedPolicySize>");
    }
    if (action == "GetCallerIdentity")
        return xml_ok(res, action, "<Arn>" + xml_escape(auth.principal) + "</Arn><UserId>" + auth.access_key_id + "</UserId><Account>" + auth.account + "</Account>");
    sts_error(res, 400, "InvalidAction", "Could not find operation " + action + " for version 2011-06-15");
}

void aws_sso(Context& ctx, const Request& req, Response& res, Call& call) {
    call.operation = "GetRoleCredentials";
    std::string account = req.get_param_value("account_id"), role = req.get_param_value("role_name");
    call.key = role;
    auto error = [&](int status, const char* type, const char* message) {
        res.status = status;
        res.set_header("x-amzn-ErrorType", type);
        res.set_content(nlohmann::json{{"message", message}}.dump(), "application/json");
    };
    if (account.empty() || role.empty()) return error(400, "InvalidRequestException", "account_id and role_name are required");
    // The portal knows the tokens its OIDC service issued (aws.sso_tokens: token -> account and
    // roles it may use, optional expires_at in epoch seconds).
    std::string token = req.get_header_value("x-amz-sso_bearer_token");
    nlohmann::json tokens = ctx.keys.section("aws").value("sso_tokens", nlohmann::json::object());
    auto grant = token.empty() || !tokens.is_object() ? tokens.end() : tokens.find(token);
    if (grant == tokens.end() || !grant->is_object()) return error(401, "UnauthorizedException", "Session token not found or invalid");
    if (grant->contains("expires_at") && (*grant)["expires_at"].is_number() && (*grant)["expires_at"].get<long long>() <= now_seconds())
        return error(401, "UnauthorizedException", "Session token not found or invalid");
    bool allowed = grant->value("account_id", "") == account;
    nlohmann::json roles = grant->value("roles", nlohmann::json::array());
    bool role_ok = false;
    for (const auto& r : roles) role_ok = role_ok || r == role;
    if (!allowed || !role_ok) return error(403, "ForbiddenException", "No access");
    auto c = ctx.tokens.issue_aws("arn:aws:iam::" + account + ":role/" + role, ctx.token_ttl());
    res.status = 200;
    res.set_content(nlohmann::json{{"roleCredentials",
                                    {{"accessKeyId", c.access_key_id},
                                     {"secretAccessKey", c.secret},
                                     {"sessionToken", c.session_token},
                                     {"expiration", c.expires_at * 1000}}}}
                        .dump(),
                    "application/json");
}

void imds(Context& ctx, const Request& req, Response& res, Call& call) {
    static std::mutex mu;
    static std::map<std::string, long long> session_tokens;
    call.operation = req.path;
    if (req.method == "PUT" && req.path == "/latest/api/token") {
        long long ttl = 0;
        try {
            ttl = std::stoll(req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds"));
        } catch (const std::exception&) {
        }
        if (ttl < 1 || ttl > 21600) {
            res.status = 400;
            return;
        }
        std::string token = random_token("AQAEAemu");
        std::lock_guard lock(mu);
        session_tokens[token] = now_seconds() + ttl;
        res.status = 200;
        res.set_header("X-aws-ec2-metadata-token-ttl-seconds", std::to_string(ttl));
        return res.set_content(token, "text/plain");
    }
    {
        std::lock_guard lock(mu);
        auto it = session_tokens.find(req.get_header_value("X-aws-ec2-metadata-token"));
        if (it == session_tokens.end() || it->second <= now_seconds()) {
            res.status = 401;
            return;
        }
    }
    nlohmann::json aws = ctx.keys.section("aws");
    std::string role = aws.value("imds_role", "emulator-role");
    std::string prefix = "/latest/meta-data/iam/security-credentials/";
    if (req.path == prefix) {
        res.status = 200;
        return res.set_content(role, "text/plain");
    }
    if (req.path == prefix + role) {
        call.key = role;
        auto c = ctx.tokens.issue_aws("arn:aws:iam::" + aws_account(ctx) + ":role/" + role, ctx.token_ttl());
        nlohmann::json body = {{"Code", "Success"}, {"LastUpdated", rfc3339(now_seconds())}, {"Type", "AWS-HMAC"},
                               {"AccessKeyId", c.access_key_id}, {"SecretAccessKey", c.secret}, {"Token", c.session_token},
                               {"Expiration", rfc3339(c.expires_at)}};
        res.status = 200;
        return res.set_content(body.dump(), "text/plain");
    }
    res.status = 404;
}

}  // namespace sopskit::kms_emulator
