// Google credentials: service-account JWT bearer grant, authorized-user refresh grant,
// external_account and impersonated_service_account (external_account.cpp), the metadata server.
#include <nlohmann/json.hpp>

#include <stdexcept>

#include "common/codec.hpp"
#include "common/jwt.hpp"
#include "common/token_expiry.hpp"
#include "common/untrusted.hpp"
#include "sopskit/secure.hpp"
#include "gcp/gcp.hpp"

namespace sopskit::kms::gcp {

Token parse_token_response(const HttpResponse& resp, const std::string& where, std::time_t now) {
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (resp.status != 200) {
        std::string text = "HTTP " + std::to_string(resp.status);
        if (j.is_object() && j.contains("error")) {
            if (j["error"].is_string()) text += " " + j["error"].get<std::string>();
            if (j.contains("error_description") && j["error_description"].is_string())
                text += ": " + one_line(j["error_description"].get<std::string>());
        }
        throw std::runtime_error("token request to " + where + " failed: " + text);
    }
    if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string())
        throw std::runtime_error("token response from " + where + " has no access_token");
    Token t;
    t.access_token = j["access_token"].get<std::string>();
    t.expires = token_expiry(j, now);
    return t;
}

namespace {

bool retry_token_error(const HttpResponse& r) { return r.status >= 500; }

}  // namespace

namespace {

// A decryption Secret's document is the tenant's: its token_uri may only be Google's OAuth
// endpoint, or the file would send a signed grant or a refresh token wherever it says.
std::string checked_token_uri(const nlohmann::json& j, const LocalSources& local, const char* type) {
    // A token_uri that is not a string is no URI: "" is refused below (or fails to connect).
    std::string uri = j.contains("token_uri") ? string_field(j, "token_uri") : "https://oauth2.googleapis.com/token";
    if (local.allowed) return uri;
    UrlParts parts;
    bool google = is_google_api_url(uri, "oauth2") ||
                  (parse_url(uri, parts) && parts.scheme == "https" && parts.port.empty() &&
                   (parts.host == "accounts.google.com" || parts.host == "www.googleapis.com"));
    if (!google)
        throw std::runtime_error(std::string(type) + ": token_uri '" + excerpt(uri, 200) +
                                 "' is not Google's OAuth endpoint (oauth2.googleapis.com)");
    return uri;
}

}  // namespace

Token token_from_credentials_json(const std::string& json_text, const HttpOptions& http, std::time_t now,
                                  const LocalSources& local, const std::string& scope) {
    auto j = nlohmann::json::parse(json_text, nullptr, false);
    if (!j.is_object()) throw std::runtime_error("the Google credentials are not a JSON object");
    std::string type = string_field(j, "type");
    HttpOptions opts = http;
    opts.retryable = retry_token_error;
    if (type == "service_account") {
        std::string email = string_field(j, "client_email"), key = string_field(j, "private_key");
        std::string token_uri = checked_token_uri(j, local, "service_account");
        if (email.empty() || key.empty()) throw std::runtime_error("service account credentials lack client_email or private_key");
        nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
        if (j.contains("private_key_id") && j["private_key_id"].is_string()) header["kid"] = j["private_key_id"];
        nlohmann::json claims = {{"iss", email}, {"scope", scope}, {"aud", token_uri}, {"iat", now}, {"exp", now + 3600}};
        std::string jwt = sign_jwt_rs256(header.dump(), claims.dump(), key);
        HttpRequest req{"POST", token_uri, {{"Content-Type", "application/x-www-form-urlencoded"}},
                        form_encode({{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", jwt}})};
        return parse_token_response(http_send(req, opts), token_uri, now);
    }
    if (type == "authorized_user") {
        std::string token_uri = checked_token_uri(j, local, "authorized_user");
        HttpRequest req{"POST", token_uri, {{"Content-Type", "application/x-www-form-urlencoded"}},
                        form_encode({{"grant_type", "refresh_token"},
                                     {"client_id", string_field(j, "client_id")},
                                     {"client_secret", string_field(j, "client_secret")},
                                     {"refresh_token", string_field(j, "refresh_token")}})};
        return parse_token_response(http_send(req, opts), token_uri, now);
    }
    if (type == "external_account") {
        std::string subject = subject_token_from_source(j, local, http, now);
        Token t = token_from_external_account(j, subject, http, now);
        wipe(subject);
        return t;
    }
    if (type == "impersonated_service_account") {
        std::string url = string_field(j, "service_account_impersonation_url");
        if (!is_google_api_url(url, "iamcredentials"))
            throw std::runtime_error("impersonated_service_account: service_account_impersonation_url is not an iamcredentials.googleapis.com URL");
        auto source = j.find("source_credentials");
        if (source == j.end() || !source->is_object()) throw std::runtime_error("impersonated_service_account has no source_credentials");
        // One level only: a source that impersonates again is refused, so a document cannot recurse.
        if (string_field(*source, "type") == "impersonated_service_account")
            throw std::runtime_error("impersonated_service_account: the source credentials impersonate again");
        Token base = token_from_credentials_json(source->dump(), http, now, local, scope);
        Token t = impersonate(url, base.access_token, j.value("delegates", nlohmann::json::array()), http, now);
        wipe(base.access_token);
        return t;
    }
    throw std::runtime_error("unsupported Google credentials type '" + excerpt(type, 64) +
                             "' (service_account, authorized_user, external_account or impersonated_service_account)");
}

std::optional<Token> token_from_metadata(const Env& env, const HttpOptions& http) {
    std::string host = env_or(env, "GCE_METADATA_HOST", "metadata.google.internal");
    std::string base = host.find("://") == std::string::npos ? "http://" + host : host;
    HttpOptions opts = http;
    opts.connect_timeout_ms = 1000;
    opts.total_timeout_ms = 3000;
    opts.max_retries = 1;
    HttpRequest req{"GET", base + "/computeMetadata/v1/instance/service-accounts/default/token",
                    {{"Metadata-Flavor", "Google"}}, ""};
    HttpResponse resp;
    try {
        resp = http_send(req, opts);
    } catch (const TransportError&) {
        return std::nullopt;
    }
    if (resp.status == 404) return std::nullopt;
    return parse_token_response(resp, "the metadata server", std::time(nullptr));
}

}  // namespace sopskit::kms::gcp
