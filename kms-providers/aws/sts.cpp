// STS AssumeRole (signed) and AssumeRoleWithWebIdentity (unsigned), query protocol, XML replies.
#include "aws/aws.hpp"
#include "common/codec.hpp"

namespace sopskit::kms::aws {

namespace {

Creds credentials_from_xml(const std::string& xml, const std::string& source) {
    Creds c;
    c.keys.access_key_id = xml_value(xml, "AccessKeyId");
    c.keys.secret_access_key = xml_value(xml, "SecretAccessKey");
    c.keys.session_token = xml_value(xml, "SessionToken");
    c.expires = parse_iso8601(xml_value(xml, "Expiration"));
    c.source = source;
    if (c.keys.access_key_id.empty() || c.keys.secret_access_key.empty())
        throw TransportError("STS response carries no credentials");
    return c;
}

}  // namespace

Creds assume_role(const Context& ctx, const Creds& base, const std::string& role_arn, const std::string& region,
                  const std::string& session_name) {
    std::string body = form_encode({{"Action", "AssumeRole"},
                                    {"RoleArn", role_arn},
                                    {"RoleSessionName", session_name},
                                    {"Version", "2011-06-15"}});
    HttpResponse resp = signed_post(ctx, service_endpoint(ctx.env, "sts", region), region, "sts", base,
                                    {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}}, body, false);
    if (resp.status != 200)
        throw TransportError("failed to assume role '" + role_arn + "': " + parse_xml_error(resp).text());
    return credentials_from_xml(resp.body, "role " + role_arn);
}

Creds assume_role_with_web_identity(const Context& ctx, const std::string& role_arn, const std::string& token,
                                    const std::string& session_name, const std::string& region) {
    std::string endpoint = service_endpoint(ctx.env, "sts", region);
    UrlParts url;
    if (!parse_url(endpoint, url)) throw TransportError("invalid endpoint URL '" + endpoint + "'");
    HttpRequest req;
    req.method = "POST";
    req.url = url.scheme + "://" + url.authority() + (url.path.empty() ? "/" : url.path);
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    req.body = form_encode({{"Action", "AssumeRoleWithWebIdentity"},
                            {"RoleArn", role_arn},
                            {"RoleSessionName", session_name},
                            {"Version", "2011-06-15"},
                            {"WebIdentityToken", token}});
    HttpOptions opts = ctx.http;
    opts.retryable = [](const HttpResponse& r) { return r.status >= 400 && is_throttling_code(parse_xml_error(r).code); };
    HttpResponse resp = http_send(req, opts);
    if (resp.status != 200)
        throw TransportError("failed to assume role '" + role_arn + "' with web identity: " + parse_xml_error(resp).text());
    return credentials_from_xml(resp.body, "web identity " + role_arn);
}

Creds web_identity_from_file(const Context& ctx, const std::string& role_arn, const std::string& token_file,
                             const std::string& session_name, const std::string& region) {
    auto token = read_text_file(token_file);
    if (!token) throw TransportError("cannot read the web identity token file " + token_file);
    std::string jwt = trim(*token);
    wipe(*token);
    if (jwt.empty()) throw TransportError("the web identity token file " + token_file + " is empty");
    Creds c = assume_role_with_web_identity(ctx, role_arn, jwt, session_name, region);
    wipe(jwt);
    return c;
}

}  // namespace sopskit::kms::aws
