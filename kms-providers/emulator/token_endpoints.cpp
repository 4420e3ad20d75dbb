// OAuth token endpoints: Google's (JWT bearer grant and refresh_token, STS token exchange, IAM
// Credentials generateAccessToken) and Azure AD's v2.0
// (client_credentials with a client secret or an RS256 client assertion), plus the discovery
// documents MSAL fetches before asking for a token.
#include <nlohmann/json.hpp>

#include "codec.hpp"
#include "crypto.hpp"
#include "handlers.hpp"
#include "workload_tokens.hpp"

namespace sopskit::kms_emulator {

namespace {

std::string origin(const Request& req) { return "https://" + req.get_header_value("Host"); }

void oauth_error(Response& res, int status, const std::string& error, const std::string& description, int aad_code = 0) {
    res.status = status;
    nlohmann::json body = {{"error", error}, {"error_description", description}};
    if (aad_code) {
        body["error_codes"] = {aad_code};
        body["timestamp"] = rfc3339(now_seconds());
        body["trace_id"] = hex_encode(random_bytes(16));
        body["correlation_id"] = hex_encode(random_bytes(16));
    }
    res.set_content(body.dump(), "application/json; charset=utf-8");
}

void token_reply(Response& res, const std::string& token, long long ttl, bool azure) {
    nlohmann::json body = {{"access_token", token}, {"expires_in", ttl}, {"token_type", "Bearer"}};
    if (azure) body["ext_expires_in"] = ttl;
    res.status = 200;
    res.set_header("Cache-Control", "no-store");
    res.set_content(body.dump(), "application/json; charset=utf-8");
}

// Checks the time claims of an assertion; empty when acceptable, else the reason.
std::string check_times(const Jwt& jwt) {
    // As doubles: a NumericDate may have a fraction, and any number then compares without an
    // out-of-range conversion.
    double now = double(now_seconds());
    auto num = [&](const char* c) { return jwt.claims.contains(c) && jwt.claims[c].is_number() ? jwt.claims[c].get<double>() : -1.0; };
    double exp = num("exp"), iat = num("iat"), nbf = num("nbf");
    if (exp < 0) return "missing exp claim";
    if (exp <= now - 30) return "assertion expired";
    if (nbf > now + 300 || iat > now + 300) return "assertion not yet valid";
    if (iat > 0 && exp - iat > 3600 + 60) return "assertion lifetime longer than one hour";
    return {};
}

bool audience_matches(const Jwt& jwt, const std::vector<std::string>& allowed) {
    auto match = [&](const nlohmann::json& a) {
        if (!a.is_string()) return false;
        for (const auto& s : allowed)
            if (a.get<std::string>() == s) return true;
        return false;
    };
    const nlohmann::json aud = jwt.claims.value("aud", nlohmann::json());
    if (aud.is_array()) {
        for (const auto& a : aud)
            if (match(a)) return true;
        return false;
    }
    return match(aud);
}

}  // namespace

void gcp_token(Context& ctx, const Request& req, Response& res, Call& call) {
    auto form = parse_form(req.body);
    std::string grant = form["grant_type"];
    call.operation = grant == "refresh_token" ? "refresh_token" : "jwt-bearer";
    nlohmann::json gcp = ctx.keys.section("gcp");
    long long ttl = ctx.token_ttl();
    if (grant == "urn:ietf:params:oauth:grant-type:jwt-bearer") {
        auto peek = jwt_peek(form["assertion"]);
        if (!peek) return oauth_error(res, 400, "invalid_grant", "Invalid JWT: malformed assertion.");
        std::string iss = peek->claims.value("iss", "");
        call.key = iss;
        nlohmann::json sa = gcp.value("service_accounts", nlohmann::json::object());
        if (!sa.contains(iss)) return oauth_error(res, 400, "invalid_grant", "Invalid grant: account not found");
        auto jwt = jwt_verify_rs256(form["assertion"], sa[iss].value("public_key_pem", ""));
        if (!jwt) return oauth_error(res, 400, "invalid_grant", "Invalid JWT Signature.");
        if (std::string why = check_times(*jwt); !why.empty())
            return oauth_error(res, 400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. " + why);
        if (!audience_matches(*jwt, {origin(req) + "/token", ctx.base_url + "/token", "https://oauth2.googleapis.com/token"}))
            return oauth_error(res, 400, "invalid_grant", "Invalid JWT: audience does not match the token endpoint.");
        return token_reply(res, ctx.tokens.issue({"gcp", iss, "", now_seconds() + ttl}), ttl, false);
    }
    if (grant == "refresh_token") {
        nlohmann::json rts = gcp.value("refresh_tokens", nlohmann::json::object());
        auto it = rts.find(form["refresh_token"]);
        if (it == rts.end()) return oauth_error(res, 400, "invalid_grant", "Bad Request");
        call.key = it->value("client_id", "");
        if (form["client_id"] != it->value("client_id", "") || form["client_secret"] != it->value("client_secret", ""))
            return oauth_error(res, 401, "invalid_client", "The OAuth client was not found.");
        return token_reply(res, ctx.tokens.issue({"gcp", call.key, "", now_seconds() + ttl}), ttl, false);
    }
    oauth_error(res, 400, "unsupported_grant_type", "Invalid grant_type: " + grant);
}

void gcp_sts_token(Context& ctx, const Request& req, Response& res, Call& call) {
    // Google STS (RFC 8693 token exchange) for workload identity federation: the pool provider
    // named by `audience` must know the subject token (gcp.workload_identity_pools: audience ->
    // {"subject_tokens": [...], "subject": "principal://..."}); the answer is a federated
    // access token.
    auto form = parse_form(req.body);
    call.operation = "token-exchange";
    call.key = form["audience"];
    if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:token-exchange")
        return oauth_error(res, 400, "unsupported_grant_type", "Invalid grant_type: " + form["grant_type"]);
    if (form["requested_token_type"] != "urn:ietf:params:oauth:token-type:access_token")
        return oauth_error(res, 400, "invalid_request", "Invalid requested_token_type");
    if (form["subject_token"].empty() || form["subject_token_type"].empty())
        return oauth_error(res, 400, "invalid_request", "subject_token and subject_token_type are required");
    if (form["scope"].empty()) return oauth_error(res, 400, "invalid_scope", "scope is required");
    nlohmann::json pools = ctx.keys.section("gcp").value("workload_identity_pools", nlohmann::json::object());
    auto pool = pools.is_object() ? pools.find(form["audience"]) : pools.end();
    if (pool == pools.end() || !pool->is_object())
        return oauth_error(res, 400, "invalid_target", "The target service indicated by the \"audience\" parameters is invalid.");
    std::string subject = pool->value("subject", "principal://emulator/" + form["audience"]);
    if (pool->contains("issuer")) {
        // An OIDC provider of the pool: a JWT from its issuer, for the provider's own name as
        // audience; the principal is the pool's subject/<sub>, as Google maps google.subject.
        if (form["subject_token_type"] != "urn:ietf:params:oauth:token-type:jwt")
            return oauth_error(res, 400, "invalid_request", "Invalid subject_token_type for an OIDC provider");
        WorkloadTokenCheck check = verify_workload_token(ctx, form["subject_token"], form["audience"]);
        if (!check.ok || check.issuer != pool->value("issuer", ""))
            return oauth_error(res, 400, "invalid_grant", "The provided subject token is invalid: " + (check.ok ? std::string("issuer mismatch") : check.why));
        subject = pool->value("principal_prefix", "principal://iam.googleapis.com/emulator/subject/") + check.subject;
    } else {
        bool known = false;
        for (const auto& t : pool->value("subject_tokens", nlohmann::json::array())) known = known || t == form["subject_token"];
        if (!known) return oauth_error(res, 400, "invalid_grant", "The provided subject token is invalid.");
    }
    long long ttl = ctx.token_ttl();
    nlohmann::json body = {{"access_token", ctx.tokens.issue({"gcp", subject, "", now_seconds() + ttl})},
                           {"issued_token_type", "urn:ietf:params:oauth:token-type:access_token"},
                           {"token_type", "Bearer"},
                           {"expires_in", ttl}};
    res.status = 200;
    res.set_content(body.dump(), "application/json; charset=utf-8");
}

void gcp_generate_access_token(Context& ctx, const Request& req, Response& res, Call& call) {
    // IAM Credentials generateAccessToken: the caller's bearer token must be live and its subject
    // allowed to act as the service account (gcp.impersonation: email -> [subjects]).
    std::string email = req.matches[1];
    call.operation = "generateAccessToken";
    call.key = email;
    auto caller = ctx.tokens.find(bearer_token(req));
    if (!caller || caller->service != "gcp")
        return gcp_error(res, 401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.");
    nlohmann::json rules = ctx.keys.section("gcp").value("impersonation", nlohmann::json::object());
    bool allowed = false;
    if (rules.is_object() && rules.contains(email))
        for (const auto& s : rules[email]) allowed = allowed || s == caller->subject;
    if (!allowed) return gcp_error(res, 403, "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).");
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("scope") || !body["scope"].is_array() || body["scope"].empty())
        return gcp_error(res, 400, "Request contains an invalid argument.");
    long long ttl = ctx.token_ttl();
    res.status = 200;
    res.set_content(nlohmann::json{{"accessToken", ctx.tokens.issue({"gcp", email, "", now_seconds() + ttl})},
                                   {"expireTime", rfc3339(now_seconds() + ttl)}}
                        .dump(),
                    "application/json; charset=utf-8");
}

void azure_token(Context& ctx, const Request& req, Response& res, Call& call) {
    std::string tenant = req.matches[1];
    auto form = parse_form(req.body);
    call.operation = form.count("client_assertion") ? "client_assertion" : "client_secret";
    call.key = form["client_id"];
    if (form["grant_type"] != "client_credentials")
        return oauth_error(res, 400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.", 70003);
    nlohmann::json clients = ctx.keys.section("azure").value("clients", nlohmann::json::object());
    auto it = clients.find(form["client_id"]);
    if (it == clients.end())
        return oauth_error(res, 400, "unauthorized_client", "AADSTS700016: Application was not found in the directory.", 700016);
    if (it->value("tenant", "") != tenant)
        return oauth_error(res, 400, "invalid_request", "AADSTS90002: Tenant '" + tenant + "' not found.", 90002);
    if (form.count("client_assertion")) {
        if (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            return oauth_error(res, 400, "invalid_request", "AADSTS50027: Invalid client_assertion_type.", 50027);
        auto peek = jwt_peek(form["client_assertion"]);
        nlohmann::json federated = it->value("federated_credentials", nlohmann::json::array());
        if (peek && peek->claims.value("iss", "") != form["client_id"] && federated.is_array()) {
            // A federated identity credential (workload identity): a token of a trusted issuer
            // whose issuer, subject and audience match one of the app's credentials.
            bool matched = false;
            std::string why = "no federated identity credential matches the assertion's issuer and subject";
            for (const auto& fic : federated) {
                if (!fic.is_object() || fic.value("issuer", "") != peek->claims.value("iss", "") ||
                    fic.value("subject", "") != peek->claims.value("sub", ""))
                    continue;
                WorkloadTokenCheck check = verify_workload_token(ctx, form["client_assertion"], fic.value("audience", "api://AzureADTokenExchange"));
                if (check.ok) matched = true;
                else why = check.why;
            }
            if (!matched)
                return oauth_error(res, 400, "invalid_client", "AADSTS70021: No matching federated identity record found for presented assertion: " + why, 70021);
            long long ttl = ctx.token_ttl();
            return token_reply(res, ctx.tokens.issue({"azure", form["client_id"], tenant, now_seconds() + ttl}), ttl, true);
        }
        auto jwt = jwt_verify_rs256(form["client_assertion"], it->value("certificate_pem", ""));
        if (!jwt) return oauth_error(res, 401, "invalid_client", "AADSTS700027: Client assertion failed signature validation.", 700027);
        if (jwt->claims.value("iss", "") != form["client_id"] || jwt->claims.value("sub", "") != form["client_id"])
            return oauth_error(res, 401, "invalid_client", "AADSTS700023: Client assertion iss/sub must be the client id.", 700023);
        if (std::string why = check_times(*jwt); !why.empty())
            return oauth_error(res, 401, "invalid_client", "AADSTS700024: Client assertion is not within its valid time range: " + why, 700024);
        std::string path = "/" + tenant + "/oauth2/v2.0/token";
        if (!audience_matches(*jwt, {origin(req) + path, ctx.base_url + path, "https://login.microsoftonline.com" + path}))
            return oauth_error(res, 401, "invalid_client", "AADSTS700021: Client assertion audience claim does not match the token endpoint.", 700021);
    } else if (form["client_secret"].empty() || form["client_secret"] != it->value("secret", "")) {
        return oauth_error(res, 401, "invalid_client", "AADSTS7000215: Invalid client secret provided.", 7000215);
    }
    long long ttl = ctx.token_ttl();
    token_reply(res, ctx.tokens.issue({"azure", form["client_id"], tenant, now_seconds() + ttl}), ttl, true);
}

void azure_openid_configuration(Context& /*ctx*/, const Request& req, Response& res, Call& call) {
    std::string base = origin(req) + "/" + std::string(req.matches[1]);
    call.operation = "openid-configuration";
    call.key = req.matches[1];
    nlohmann::json doc = {{"issuer", base + "/v2.0"},
                          {"authorization_endpoint", base + "/oauth2/v2.0/authorize"},
                          {"token_endpoint", base + "/oauth2/v2.0/token"},
                          {"device_authorization_endpoint", base + "/oauth2/v2.0/devicecode"},
                          {"end_session_endpoint", base + "/oauth2/v2.0/logout"},
                          {"jwks_uri", base + "/discovery/v2.0/keys"},
                          {"response_types_supported", {"code", "id_token", "token"}},
                          {"subject_types_supported", {"pairwise"}},
                          {"id_token_signing_alg_values_supported", {"RS256"}},
                          {"token_endpoint_auth_methods_supported", {"client_secret_post", "private_key_jwt"}},
                          {"scopes_supported", {"openid", "profile", "email", "offline_access"}},
                          {"tenant_region_scope", nullptr},
                          {"cloud_instance_name", "microsoftonline.com"}};
    res.status = 200;
    res.set_content(doc.dump(), "application/json; charset=utf-8");
}

}  // namespace sopskit::kms_emulator
