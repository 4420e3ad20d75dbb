// The AWS SDK's credential chain as sops meets it (aws-sdk-go-v2 config/resolve_credentials.go):
// environment keys, web identity, then the profile: source_profile, static keys,
// credential_source, web_identity_token_file, SSO, credential_process, container credentials,
// EC2 instance metadata (IMDSv2); role_arn on top of any of them.
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <set>

#include "aws/aws.hpp"
#include "common/codec.hpp"

namespace sopskit::kms::aws {

namespace {

std::string hostname() {
    char buf[256] = {0};
    if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
    return buf;
}

std::string session_name_from(const Env& env) {
    if (auto v = env("AWS_ROLE_SESSION_NAME")) return *v;
    return role_session_name(hostname());
}

Creds from_json_creds(const nlohmann::json& j, const std::string& source) {
    Creds c;
    c.keys.access_key_id = j.value("AccessKeyId", "");
    c.keys.secret_access_key = j.value("SecretAccessKey", "");
    c.keys.session_token = j.contains("Token") ? j.value("Token", "") : j.value("SessionToken", "");
    c.expires = parse_iso8601(j.value("Expiration", ""));
    c.source = source;
    if (c.keys.access_key_id.empty() || c.keys.secret_access_key.empty())
        throw TransportError(source + " returned no credentials");
    return c;
}

std::string path_or(const Env& env, const char* var, const std::string& home, const char* rel) {
    if (auto v = env(var)) return *v;
    return home.empty() ? std::string() : home + "/" + rel;
}

struct Profiles {
    Ini config, credentials, sso_sessions;
    std::map<std::string, std::string> merged(const std::string& name) const {
        std::map<std::string, std::string> out;
        if (auto it = config.find(name); it != config.end()) out = it->second;
        if (auto it = credentials.find(name); it != credentials.end())
            for (const auto& [k, v] : it->second) out[k] = v;
        return out;
    }
    bool has(const std::string& name) const { return config.count(name) || credentials.count(name); }
};

Profiles load_profiles(const Context& ctx) {
    Profiles p;
    if (auto t = read_text_file(path_or(ctx.env, "AWS_CONFIG_FILE", ctx.home, ".aws/config"))) {
        p.config = parse_ini(*t, true);
        p.sso_sessions = parse_sso_sessions(*t);
    }
    if (auto t = read_text_file(path_or(ctx.env, "AWS_SHARED_CREDENTIALS_FILE", ctx.home, ".aws/credentials")))
        p.credentials = parse_ini(*t, false);
    return p;
}

std::optional<Creds> container_credentials(const Context& ctx) {
    std::string url;
    if (auto full = ctx.env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) url = *full;
    else if (auto rel = ctx.env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) url = "http://169.254.170.2" + *rel;
    else return std::nullopt;
    HttpRequest req;
    req.method = "GET";
    req.url = url;
    std::string token = env_or(ctx.env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    if (auto file = ctx.env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"))
        if (auto t = read_text_file(*file)) token = trim(*t);
    if (!token.empty()) req.headers.emplace_back("Authorization", token);
    HttpOptions opts = ctx.http;
    opts.max_retries = 1;
    HttpResponse resp = http_send(req, opts);
    if (resp.status != 200) throw TransportError("container credentials endpoint: HTTP " + std::to_string(resp.status));
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (!j.is_object()) throw TransportError("container credentials endpoint returned no JSON");
    return from_json_creds(j, "container credentials");
}

std::optional<Creds> resolve_profile(const Context& ctx, const Profiles& profiles, const std::string& name,
                                     const std::string& region, std::set<std::string>& seen, bool explicit_profile);

Creds from_profile_or_throw(const Context& ctx, const Profiles& profiles, const std::string& name,
                            const std::string& region, std::set<std::string>& seen) {
    auto c = resolve_profile(ctx, profiles, name, region, seen, true);
    if (!c) throw TransportError("profile '" + name + "' has no usable credentials");
    return *c;
}

std::optional<Creds> resolve_profile(const Context& ctx, const Profiles& profiles, const std::string& name,
                                     const std::string& region, std::set<std::string>& seen, bool explicit_profile) {
    if (!profiles.has(name)) {
        if (explicit_profile) throw TransportError("failed to get shared config profile, " + name);
        return std::nullopt;
    }
    if (!seen.insert(name).second) throw TransportError("profile '" + name + "': source_profile loop");
    auto p = profiles.merged(name);
    auto get = [&](const char* k) {
        auto it = p.find(k);
        return it == p.end() ? std::string() : it->second;
    };
    std::string role = get("role_arn");
    std::string session = get("role_session_name").empty() ? session_name_from(ctx.env) : get("role_session_name");
    std::optional<Creds> base;
    if (!role.empty() && !get("source_profile").empty()) {
        std::string src = get("source_profile");
        if (src == name) {  // a profile may source its own static keys
            if (!get("aws_access_key_id").empty())
                base = Creds{{get("aws_access_key_id"), get("aws_secret_access_key"), get("aws_session_token")}, 0, "profile " + name};
        } else {
            base = from_profile_or_throw(ctx, profiles, src, region, seen);
        }
    } else if (!get("aws_access_key_id").empty()) {
        Creds c{{get("aws_access_key_id"), get("aws_secret_access_key"), get("aws_session_token")}, 0, "profile " + name};
        if (c.keys.secret_access_key.empty()) throw TransportError("profile '" + name + "' has no aws_secret_access_key");
        if (role.empty()) return c;
        base = c;
    } else if (!get("credential_source").empty()) {
        std::string cs = get("credential_source");
        if (cs == "Environment") {
            auto id = ctx.env("AWS_ACCESS_KEY_ID"), secret = ctx.env("AWS_SECRET_ACCESS_KEY");
            if (id && secret) base = Creds{{*id, *secret, env_or(ctx.env, "AWS_SESSION_TOKEN")}, 0, "environment"};
        } else if (cs == "Ec2InstanceMetadata") {
            base = imds_credentials(ctx);
        } else if (cs == "EcsContainer") {
            base = container_credentials(ctx);
        }
        if (!base) throw TransportError("profile '" + name + "': credential_source " + cs + " gave no credentials");
    } else if (!get("web_identity_token_file").empty()) {
        if (role.empty()) throw TransportError("profile '" + name + "': web_identity_token_file without role_arn");
        return web_identity_from_file(ctx, role, get("web_identity_token_file"), session, region);
    } else if (has_sso_configuration(p)) {
        base = sso_credentials(ctx, p, profiles.sso_sessions, name);
        if (role.empty()) return base;
    } else if (!get("credential_process").empty()) {
        base = process_credentials(get("credential_process"), name);
        if (role.empty()) return base;
    }
    if (!base) {
        if (explicit_profile && role.empty()) return std::nullopt;
        if (!role.empty()) throw TransportError("profile '" + name + "': role_arn without a credential source");
        return std::nullopt;
    }
    if (role.empty()) return base;
    return assume_role(ctx, *base, role, region, session);
}

}  // namespace

namespace {

// INI sections of an AWS shared file; `section_name` maps a header to the name it is stored
// under, or to nullopt for a section to skip.
Ini parse_sections(const std::string& text, const std::function<std::optional<std::string>(const std::string&)>& section_name) {
    Ini out;
    std::optional<std::string> section;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = trim(std::string_view(text).substr(pos, end - pos));
        pos = end + 1;
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line.front() == '[' && line.back() == ']') {
            section = section_name(trim(line.substr(1, line.size() - 2)));
            if (section) out[*section];
            continue;
        }
        if (!section) continue;
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string key = trim(line.substr(0, eq));
        std::string value = trim(line.substr(eq + 1));
        for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (!key.empty()) out[*section][key] = value;
    }
    return out;
}

std::optional<std::string> after_prefix(const std::string& header, const char* prefix) {
    std::string p = prefix;
    if (header.rfind(p, 0) != 0) return std::nullopt;
    return trim(header.substr(p.size()));
}

}  // namespace

Ini parse_ini(const std::string& text, bool config_file) {
    return parse_sections(text, [config_file](const std::string& header) -> std::optional<std::string> {
        if (!config_file) return header;
        if (auto name = after_prefix(header, "profile ")) return name;
        if (header == "default") return header;
        return std::nullopt;  // sso-session, services: not profiles
    });
}

Ini parse_sso_sessions(const std::string& config_text) {
    return parse_sections(config_text, [](const std::string& header) { return after_prefix(header, "sso-session "); });
}

std::optional<Creds> imds_credentials(const Context& ctx) {
    if (auto d = ctx.env("AWS_EC2_METADATA_DISABLED"); d && (*d == "true" || *d == "TRUE" || *d == "True")) return std::nullopt;
    std::string base = env_or(ctx.env, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (base.empty())
        base = env_or(ctx.env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE") == "IPv6" ? "http://[fd00:ec2::254]"
                                                                                  : "http://169.254.169.254";
    while (!base.empty() && base.back() == '/') base.pop_back();
    HttpOptions opts = ctx.http;
    opts.connect_timeout_ms = 1000;
    opts.total_timeout_ms = 2000;
    opts.max_retries = 1;
    HttpRequest tok{"PUT", base + "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}}, ""};
    HttpResponse t;
    try {
        t = http_send(tok, opts);
    } catch (const TransportError&) {
        return std::nullopt;  // not on EC2
    }
    if (t.status != 200) return std::nullopt;
    std::string token = trim(t.body);
    auto get = [&](const std::string& path) {
        return http_send(HttpRequest{"GET", base + path, {{"X-aws-ec2-metadata-token", token}}, ""}, opts);
    };
    HttpResponse roles = get("/latest/meta-data/iam/security-credentials/");
    if (roles.status != 200) return std::nullopt;
    std::string role = trim(roles.body.substr(0, roles.body.find('\n')));
    if (role.empty()) return std::nullopt;
    HttpResponse cr = get("/latest/meta-data/iam/security-credentials/" + role);
    if (cr.status != 200) throw TransportError("instance metadata: HTTP " + std::to_string(cr.status) + " for role " + role);
    auto j = nlohmann::json::parse(cr.body, nullptr, false);
    if (!j.is_object()) throw TransportError("instance metadata returned no JSON credentials");
    if (j.value("Code", "Success") != "Success") throw TransportError("instance metadata: " + j.value("Code", ""));
    return from_json_creds(j, "instance metadata");
}

Creds resolve_credentials(const Context& ctx, const std::string& profile, const std::string& region) {
    if (ctx.static_keys)
        return Creds{{ctx.static_keys->access_key_id, ctx.static_keys->secret_access_key, ctx.static_keys->session_token},
                     0, "decryption Secret"};
    if (ctx.federated) {
        if (!ctx.federated->token) throw TransportError("web identity: no token provider was given");
        std::string token = ctx.federated->token();
        if (token.empty()) throw TransportError("web identity: the token provider handed an empty token");
        std::string session = ctx.federated->aws_role_session_name_for_region ? ctx.federated->aws_role_session_name_for_region(region)
                              : ctx.federated->aws_role_session_name.empty() ? role_session_name(hostname())
                                                                             : ctx.federated->aws_role_session_name;
        Creds c = assume_role_with_web_identity(ctx, ctx.federated->aws_role_arn, token, session, region);
        wipe(token);
        return c;
    }
    if (ctx.isolated) throw TransportError("no AWS credentials were given (sops.aws-kms)");
    std::set<std::string> seen;
    if (!profile.empty()) return from_profile_or_throw(ctx, load_profiles(ctx), profile, region, seen);
    auto id = ctx.env("AWS_ACCESS_KEY_ID"), secret = ctx.env("AWS_SECRET_ACCESS_KEY");
    if (id && secret) return Creds{{*id, *secret, env_or(ctx.env, "AWS_SESSION_TOKEN")}, 0, "environment"};
    if (auto token_file = ctx.env("AWS_WEB_IDENTITY_TOKEN_FILE")) {
        // As the SDK: a token file commits to web identity; without a role that is an error.
        auto role = ctx.env("AWS_ROLE_ARN");
        if (!role) throw TransportError("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
        return web_identity_from_file(ctx, *role, *token_file, session_name_from(ctx.env), region);
    }
    std::string name = env_or(ctx.env, "AWS_PROFILE", env_or(ctx.env, "AWS_DEFAULT_PROFILE", "default"));
    Profiles profiles = load_profiles(ctx);
    if (auto c = resolve_profile(ctx, profiles, name, region, seen, name != "default")) return *c;
    if (auto c = container_credentials(ctx)) return *c;
    if (auto c = imds_credentials(ctx)) return *c;
    throw TransportError("no AWS credentials found (environment, shared files, web identity, instance metadata)");
}

}  // namespace sopskit::kms::aws
