// Workload identity federation (external_account): a subject token from a file, a URL or a
// program is exchanged at Google STS for a federated token, which may then impersonate a
// service account through IAM Credentials generateAccessToken.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "common/codec.hpp"
#include "common/subprocess.hpp"
#include "common/token_expiry.hpp"
#include "common/untrusted.hpp"
#include "gcp/gcp.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::kms::gcp {

std::string string_field(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

namespace {

using nlohmann::json;

constexpr const char* kCloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

// The token in a source's content: the whole (trimmed) text, or one field of a JSON object.
std::string token_from_content(const std::string& content, const json& source, const std::string& where) {
    json format = source.value("format", json::object());
    if (!format.is_object() || string_field(format, "type").empty() || string_field(format, "type") == "text") {
        std::string t = trim(content);
        if (t.empty()) throw std::runtime_error("external_account: " + where + " is empty");
        return t;
    }
    if (string_field(format, "type") != "json") throw std::runtime_error("external_account: unknown credential_source format type");
    std::string field = string_field(format, "subject_token_field_name");
    auto doc = json::parse(content, nullptr, false);
    if (!doc.is_object() || field.empty() || !doc.contains(field) || !doc[field].is_string())
        throw std::runtime_error("external_account: " + where + " has no string field '" + excerpt(field, 64) + "'");
    return doc[field].get<std::string>();
}

// The executable's answer (version 1): its token, or why it failed. From the output file cache,
// an expired or unusable answer means "run the program again" (nullopt).
std::optional<std::string> token_from_executable_output(const std::string& out, std::time_t now, bool from_cache) {
    auto j = json::parse(out, nullptr, false);
    if (!j.is_object()) {
        if (from_cache) return std::nullopt;
        throw std::runtime_error("external_account: the executable printed no JSON object");
    }
    if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<long long>() != 1)
        throw std::runtime_error("external_account: the executable's answer is not version 1");
    if (!j.contains("success") || !j["success"].is_boolean())
        throw std::runtime_error("external_account: the executable's answer has no success field");
    if (!j["success"].get<bool>())
        throw std::runtime_error("external_account: the executable failed: " + one_line(string_field(j, "code"), 64) + " " + one_line(string_field(j, "message"), 200));
    if (j.contains("expiration_time")) {
        if (!j["expiration_time"].is_number_integer()) throw std::runtime_error("external_account: expiration_time is not a number");
        if (j["expiration_time"].get<long long>() <= static_cast<long long>(now)) {
            if (from_cache) return std::nullopt;
            throw std::runtime_error("external_account: the executable returned an expired token");
        }
    } else if (from_cache) {
        return std::nullopt;  // a cached answer must say until when it holds
    }
    std::string type = string_field(j, "token_type");
    const char* field = type == "urn:ietf:params:oauth:token-type:saml2" ? "saml_response" : "id_token";
    if (type.empty() || string_field(j, field).empty()) throw std::runtime_error("external_account: the executable's answer has no token");
    return string_field(j, field);
}

std::string token_from_executable(const json& config, const json& exe, const LocalSources& local, std::time_t now) {
    if (env_or(local.env, "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES") != "1")
        throw std::runtime_error("external_account: executable credential sources need GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1");
    auto argv = split_command(string_field(exe, "command"));
    if (argv.empty()) throw std::runtime_error("external_account: the executable credential source has no command");
    long timeout = 30'000;
    if (exe.contains("timeout_millis")) {
        if (!exe["timeout_millis"].is_number_integer()) throw std::runtime_error("external_account: timeout_millis is not a number");
        timeout = exe["timeout_millis"].get<long>();
        if (timeout < 5'000 || timeout > 120'000) throw std::runtime_error("external_account: timeout_millis must be 5000..120000");
    }
    std::string output_file = string_field(exe, "output_file");
    if (!output_file.empty())
        if (auto cached = read_text_file(output_file))
            if (auto t = token_from_executable_output(*cached, now, true)) return *t;
    std::vector<std::pair<std::string, std::string>> env = {
        {"GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE", string_field(config, "audience")},
        {"GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE", string_field(config, "subject_token_type")},
        {"GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE", "0"}};
    if (!output_file.empty()) env.emplace_back("GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE", output_file);
    std::string url = string_field(config, "service_account_impersonation_url");
    if (auto at = url.rfind("/serviceAccounts/"); at != std::string::npos) {
        std::string email = url.substr(at + 17);
        env.emplace_back("GOOGLE_EXTERNAL_ACCOUNT_IMPERSONATED_EMAIL", email.substr(0, email.find(':')));
    }
    ProgramResult r = run_program(argv, env, timeout);
    if (r.timed_out) throw std::runtime_error("external_account: the executable did not answer within " + std::to_string(timeout) + " ms");
    if (r.exit_code != 0) {
        wipe(r.out);
        throw std::runtime_error("external_account: the executable exited with status " + std::to_string(r.exit_code) + ": " +
                                 one_line(r.err, 200));
    }
    auto t = token_from_executable_output(r.out, now, false);
    wipe(r.out);
    return *t;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.substr(s.size() - p.size()) == p; }

}  // namespace

bool is_google_api_url(const std::string& url, std::string_view service) {
    UrlParts parts;
    if (!parse_url(url, parts) || parts.scheme != "https") return false;
    std::string host = parts.host;
    std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!is_dns_name(host) || (!parts.port.empty() && !is_port(parts.port))) return false;
    constexpr std::string_view suffix = ".googleapis.com";
    if (!ends_with(host, suffix)) return false;
    std::string_view rest = std::string_view(host).substr(0, host.size() - suffix.size());
    std::string svc(service);
    if (rest == svc) return true;                                          // sts.googleapis.com
    if (ends_with(rest, "." + svc) && is_dns_label(rest.substr(0, rest.size() - svc.size() - 1))) return true;  // X.sts
    if (starts_with(rest, svc + ".")) {                                     // sts.X, sts.X.rep
        std::string_view tail = rest.substr(svc.size() + 1);
        if (ends_with(tail, ".rep")) tail.remove_suffix(4);
        return is_dns_label(tail);
    }
    if (ends_with(rest, "-" + svc) && is_dns_label(rest)) return true;      // X-sts
    if (starts_with(rest, svc + "-") && ends_with(rest, ".p")) return is_dns_label(rest.substr(0, rest.size() - 2));  // sts-X.p
    return false;
}

std::string subject_token_from_source(const json& config, const LocalSources& local, const HttpOptions& http, std::time_t now) {
    auto source = config.find("credential_source");
    if (source == config.end() || !source->is_object()) throw std::runtime_error("external_account has no credential_source");
    if (!local.allowed)
        throw std::runtime_error("external_account: credential_source is not read for these credentials (hand the workload's token instead)");
    if (source->contains("executable")) {
        const json& exe = (*source)["executable"];
        if (!exe.is_object()) throw std::runtime_error("external_account: credential_source.executable is not an object");
        return token_from_executable(config, exe, local, now);
    }
    if (std::string file = string_field(*source, "file"); !file.empty()) {
        auto content = read_text_file(file);
        if (!content) throw std::runtime_error("external_account: cannot read credential_source file " + file);
        std::string t = token_from_content(*content, *source, "credential_source file " + file);
        wipe(*content);
        return t;
    }
    if (std::string url = string_field(*source, "url"); !url.empty()) {
        HttpRequest req{"GET", url, {}, ""};
        if (auto headers = source->find("headers"); headers != source->end() && headers->is_object())
            for (const auto& [k, v] : headers->items())
                if (v.is_string()) req.headers.emplace_back(k, v.get<std::string>());
        HttpResponse resp = http_send(req, http);
        if (resp.status != 200)
            throw std::runtime_error("external_account: credential_source url answered HTTP " + std::to_string(resp.status));
        std::string t = token_from_content(resp.body, *source, "credential_source url");
        wipe(resp.body);
        return t;
    }
    throw std::runtime_error("external_account: credential_source has no file, url or executable (environment_id sources are not supported)");
}

Token token_from_external_account(const json& config, const std::string& subject_token, const HttpOptions& http, std::time_t now) {
    std::string token_url = string_field(config, "token_url");
    if (!is_google_api_url(token_url, "sts"))
        throw std::runtime_error("external_account: token_url is not a sts.googleapis.com URL");
    std::string impersonation = string_field(config, "service_account_impersonation_url");
    if (!impersonation.empty() && !is_google_api_url(impersonation, "iamcredentials"))
        throw std::runtime_error("external_account: service_account_impersonation_url is not an iamcredentials.googleapis.com URL");
    std::string audience = string_field(config, "audience"), type = string_field(config, "subject_token_type");
    if (audience.empty() || type.empty()) throw std::runtime_error("external_account: audience and subject_token_type are required");
    std::vector<std::pair<std::string, std::string>> form = {
        {"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
        {"audience", audience},
        {"scope", impersonation.empty() ? kScope : kCloudPlatformScope},
        {"requested_token_type", "urn:ietf:params:oauth:token-type:access_token"},
        {"subject_token", subject_token},
        {"subject_token_type", type}};
    if (std::string project = string_field(config, "workforce_pool_user_project"); !project.empty())
        form.emplace_back("options", json{{"userProject", project}}.dump());
    HttpRequest req{"POST", token_url, {{"Content-Type", "application/x-www-form-urlencoded"}}, form_encode(form)};
    for (auto& [k, v] : form) wipe(v);
    if (std::string id = string_field(config, "client_id"); !id.empty())
        req.headers.emplace_back("Authorization", "Basic " + b64_encode(id + ":" + string_field(config, "client_secret")));
    HttpOptions opts = http;
    opts.retryable = [](const HttpResponse& r) { return r.status >= 500; };
    Token federated = parse_token_response(http_send(std::move(req), opts), token_url, now);
    if (impersonation.empty()) return federated;
    Token t = impersonate(impersonation, federated.access_token, json::array(), http, now);
    wipe(federated.access_token);
    return t;
}

Token impersonate(const std::string& url, const std::string& source_token, const json& delegates, const HttpOptions& http,
                  std::time_t now) {
    json body = {{"scope", {kScope}}, {"lifetime", "3600s"}};
    if (delegates.is_array() && !delegates.empty()) body["delegates"] = delegates;
    HttpRequest req{"POST", url, {{"Authorization", "Bearer " + source_token}, {"Content-Type", "application/json"}}, body.dump()};
    HttpOptions opts = http;
    opts.retryable = [](const HttpResponse& r) { return r.status >= 500; };
    HttpResponse resp = http_send(std::move(req), opts);
    if (resp.status != 200) throw std::runtime_error("service account impersonation failed: " + error_text(resp));
    auto j = json::parse(resp.body, nullptr, false);
    wipe(resp.body);
    if (!j.is_object() || string_field(j, "accessToken").empty()) throw std::runtime_error("service account impersonation answered without accessToken");
    Token t;
    t.access_token = string_field(j, "accessToken");
    // expireTime is RFC 3339; kept within the longest lifetime a Google token has.
    std::time_t expires = parse_rfc3339_utc(string_field(j, "expireTime"));
    t.expires = expires == 0 ? now : std::clamp(expires, now, now + kMaxTokenLifetime);
    return t;
}

}  // namespace sopskit::kms::gcp
