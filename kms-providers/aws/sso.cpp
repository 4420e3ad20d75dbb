// IAM Identity Center (AWS SSO) profiles: the access token `aws sso login` cached, exchanged at
// the portal's GetRoleCredentials for the profile's account and role.
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <cmath>

#include "aws/aws.hpp"
#include "common/codec.hpp"
#include "common/untrusted.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::kms::aws {

namespace {

std::string value_of(const Section& s, const char* key) {
    auto it = s.find(key);
    return it == s.end() ? std::string() : it->second;
}

struct SsoConfig {
    std::string cache_key;  // session name, or the legacy profile's start URL
    std::string region, start_url, account_id, role_name;
};

SsoConfig sso_config(const Section& profile, const Ini& sessions, const std::string& name) {
    const std::string where = "profile '" + name + "'";
    SsoConfig c;
    c.account_id = value_of(profile, "sso_account_id");
    c.role_name = value_of(profile, "sso_role_name");
    c.region = value_of(profile, "sso_region");
    c.start_url = value_of(profile, "sso_start_url");
    if (std::string session = value_of(profile, "sso_session"); !session.empty()) {
        auto it = sessions.find(session);
        if (it == sessions.end()) throw TransportError(where + ": sso_session '" + session + "' has no [sso-session] section");
        std::string region = value_of(it->second, "sso_region"), url = value_of(it->second, "sso_start_url");
        // The SDK refuses a profile that contradicts its session.
        if (!c.region.empty() && c.region != region) throw TransportError(where + ": sso_region differs from its sso-session's");
        if (!c.start_url.empty() && c.start_url != url) throw TransportError(where + ": sso_start_url differs from its sso-session's");
        c.region = region;
        c.start_url = url;
        c.cache_key = session;
    } else {
        c.cache_key = c.start_url;
    }
    if (c.account_id.empty() || c.role_name.empty() || c.region.empty() || c.start_url.empty())
        throw TransportError(where + ": SSO needs sso_account_id, sso_role_name, sso_region and sso_start_url");
    return c;
}

std::string portal_endpoint(const Env& env, const std::string& region) {
    if (auto v = env("AWS_ENDPOINT_URL_SSO")) return *v;
    if (auto v = env("AWS_ENDPOINT_URL")) return *v;
    // service_endpoint checks the region; the portal's host has its own prefix.
    std::string sso = service_endpoint(env, "sso", region);
    return "https://portal." + sso.substr(std::string("https://").size());
}

}  // namespace

bool has_sso_configuration(const Section& profile) {
    for (const char* k : {"sso_session", "sso_account_id", "sso_role_name", "sso_start_url", "sso_region"})
        if (!value_of(profile, k).empty()) return true;
    return false;
}

std::string sso_cache_file_name(const std::string& session_or_start_url) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(session_or_start_url.data(), session_or_start_url.size(), md, &len, EVP_sha1(), nullptr) != 1)
        throw TransportError("SHA-1 failed");
    return sigv4::to_hex(std::string_view(reinterpret_cast<const char*>(md), len)) + ".json";
}

std::string sso_cached_access_token(const std::string& json_text, std::time_t now) {
    auto j = nlohmann::json::parse(json_text, nullptr, false);
    if (!j.is_object()) throw TransportError("the cached SSO token is not a JSON object");
    auto token = j.find("accessToken"), expires = j.find("expiresAt");
    if (token == j.end() || !token->is_string() || token->get_ref<const std::string&>().empty())
        throw TransportError("the cached SSO token has no accessToken");
    std::time_t at = expires != j.end() && expires->is_string() ? parse_iso8601(expires->get<std::string>()) : 0;
    if (at == 0) throw TransportError("the cached SSO token has no valid expiresAt");
    if (at <= now) throw TransportError("the cached SSO token has expired; run 'aws sso login' again");
    return token->get<std::string>();
}

Creds parse_role_credentials(const std::string& json_text) {
    auto j = nlohmann::json::parse(json_text, nullptr, false);
    auto rc = j.is_object() ? j.find("roleCredentials") : j.end();
    if (rc == j.end() || !rc->is_object()) throw TransportError("GetRoleCredentials answered without roleCredentials");
    auto text = [&](const char* k) {
        auto it = rc->find(k);
        return it != rc->end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    Creds c;
    c.keys = {text("accessKeyId"), text("secretAccessKey"), text("sessionToken")};
    c.source = "SSO";
    if (c.keys.access_key_id.empty() || c.keys.secret_access_key.empty())
        throw TransportError("GetRoleCredentials answered without an access key");
    auto exp = rc->find("expiration");  // epoch milliseconds
    if (exp != rc->end() && exp->is_number()) {
        double ms = exp->get<double>();
        // A server's number: bounded before it becomes a time_t; a nonsensical one serves this
        // call only (0 would mean "never expires").
        c.expires = std::isfinite(ms) && ms > 0 && ms < 1e14 ? static_cast<std::time_t>(ms / 1000) : std::time(nullptr);
    }
    return c;
}

Creds sso_credentials(const Context& ctx, const Section& profile, const Ini& sso_sessions, const std::string& profile_name) {
    SsoConfig cfg = sso_config(profile, sso_sessions, profile_name);
    const std::string where = "profile '" + profile_name + "': SSO";
    if (ctx.home.empty()) throw TransportError(where + ": no home folder for the SSO token cache");
    std::string path = ctx.home + "/.aws/sso/cache/" + sso_cache_file_name(cfg.cache_key);
    auto cached = read_text_file(path);
    if (!cached) throw TransportError(where + ": no cached token at " + path + "; run 'aws sso login'");
    std::string token;
    try {
        token = sso_cached_access_token(*cached, std::time(nullptr));
    } catch (const TransportError& e) {
        wipe(*cached);
        throw TransportError(where + ": " + e.what() + " (" + path + ")");
    }
    wipe(*cached);
    std::string endpoint = portal_endpoint(ctx.env, cfg.region);
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    HttpRequest req;
    req.method = "GET";
    req.url = endpoint + "/federation/credentials?account_id=" + url_encode(cfg.account_id) + "&role_name=" + url_encode(cfg.role_name);
    req.headers = {{"x-amz-sso_bearer_token", token}};
    wipe(token);
    HttpOptions opts = ctx.http;
    opts.retryable = [](const HttpResponse& r) { return r.status >= 400 && is_throttling_code(parse_json_error(r).code); };
    HttpResponse resp = http_send(std::move(req), opts);
    if (resp.status != 200)
        throw TransportError(where + ": GetRoleCredentials for role " + excerpt(cfg.role_name, 64) + ": " + parse_json_error(resp).text());
    Creds c = parse_role_credentials(resp.body);
    wipe(resp.body);
    c.source = "SSO profile " + profile_name;
    return c;
}

}  // namespace sopskit::kms::aws
