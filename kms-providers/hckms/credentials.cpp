// HuaweiCloud AK/SK credentials from the environment or the SDK's credentials file, in the order
// the SDK's basic provider chain tries them; and the service's error answers.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "common/codec.hpp"
#include "common/token_expiry.hpp"
#include "sopskit/secure.hpp"
#include "hckms/hckms.hpp"

namespace sopskit::kms::hckms {

std::optional<Credentials> credentials_from_env(const Env& env) {
    auto ak = env("HUAWEICLOUD_SDK_AK");
    auto sk = env("HUAWEICLOUD_SDK_SK");
    if (!ak || !sk) return std::nullopt;
    Credentials c;
    c.access_key = *ak;
    c.secret_key = *sk;
    c.security_token = env_or(env, "HUAWEICLOUD_SDK_SECURITY_TOKEN");
    c.project_id = env_or(env, "HUAWEICLOUD_SDK_PROJECT_ID");
    c.source = "HUAWEICLOUD_SDK_AK";
    return c;
}

std::optional<Credentials> credentials_from_ini(std::string_view text) {
    // Only what the SDK reads: key = value lines of the [basic] section (names case-insensitive
    // as in go-ini's default), '#' and ';' comments.
    Credentials c;
    bool in_basic = false;
    while (!text.empty()) {
        std::size_t eol = text.find('\n');
        std::string line = trim(text.substr(0, eol));
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line.front() == '[') {
            std::string name = trim(std::string_view(line).substr(1, line.find(']') == std::string::npos ? std::string::npos : line.find(']') - 1));
            for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            in_basic = name == "basic";
            continue;
        }
        std::size_t eq = line.find('=');
        if (!in_basic || eq == std::string::npos) continue;
        std::string key = trim(std::string_view(line).substr(0, eq));
        std::string value = trim(std::string_view(line).substr(eq + 1));
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
            value = value.substr(1, value.size() - 2);
        for (char& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (key == "ak") c.access_key = value;
        else if (key == "sk") c.secret_key = value;
        else if (key == "security_token") c.security_token = value;
        else if (key == "project_id") c.project_id = value;
        else if (key == "iam_endpoint") c.iam_endpoint = value;
    }
    if (c.access_key.empty() || c.secret_key.empty()) return std::nullopt;
    return c;
}

std::optional<Credentials> credentials_from_securitykey(const std::string& body, std::time_t now) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("credential") || !j["credential"].is_object()) return std::nullopt;
    const auto& c = j["credential"];
    auto text = [&](const char* k) { return c.contains(k) && c[k].is_string() ? c[k].get<std::string>() : std::string(); };
    Credentials out;
    out.access_key = text("access");
    out.secret_key = text("secret");
    out.security_token = text("securitytoken");
    out.source = "the ECS metadata service";
    if (out.access_key.empty() || out.secret_key.empty() || out.security_token.empty()) return std::nullopt;
    // "2026-12-03T05:00:00.000000Z": a time in the past or unreadable still serves this request.
    std::tm tm{};
    std::string at = text("expires_at");
    std::time_t expires = now;
    if (strptime(at.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) expires = timegm(&tm);
    out.expires = std::clamp<std::time_t>(expires, now, now + kMaxTokenLifetime);
    return out;
}

std::optional<Credentials> credentials_from_metadata(const Env& env, const HttpOptions& http, std::time_t now) {
    std::string base = env_or(env, "SOPSKIT_HUAWEICLOUD_METADATA_ENDPOINT", "http://169.254.169.254");
    while (!base.empty() && base.back() == '/') base.pop_back();
    // Off an ECS instance nothing answers: give up fast, as the SDK does (3 s, no retries).
    HttpOptions quick = http;
    quick.connect_timeout_ms = std::min(quick.connect_timeout_ms, 1000L);
    quick.total_timeout_ms = std::min(quick.total_timeout_ms, 3000L);
    quick.max_retries = 0;
    try {
        HttpResponse token = http_send({"PUT", base + "/meta-data/latest/api/token", {{"X-Metadata-Token-Ttl-Seconds", "21600"}}, ""}, quick);
        if (token.status != 200 && token.status != 404 && token.status != 405 && token.status != 503) return std::nullopt;
        HttpRequest get{"GET", base + "/openstack/latest/securitykey", {}, ""};
        if (token.status == 200) get.headers.emplace_back("X-Metadata-Token", trim(token.body));
        wipe(token.body);
        HttpResponse keys = http_send(std::move(get), quick);
        if (keys.status != 200) return std::nullopt;
        auto c = credentials_from_securitykey(keys.body, now);
        wipe(keys.body);
        return c;
    } catch (const TransportError&) {
        return std::nullopt;
    }
}

std::string error_text(const HttpResponse& resp) {
    std::string out = "HTTP " + std::to_string(resp.status);
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    const nlohmann::json* e = nullptr;
    if (j.is_object() && j.contains("error") && j["error"].is_object()) e = &j["error"];
    else if (j.is_object() && j.contains("error_code")) e = &j;
    if (e) {
        if (e->contains("error_code") && (*e)["error_code"].is_string()) out += " " + one_line((*e)["error_code"].get<std::string>(), 100);
        if (e->contains("error_msg") && (*e)["error_msg"].is_string()) out += ": " + one_line((*e)["error_msg"].get<std::string>());
    } else if (!resp.body.empty()) {
        out += ": " + one_line(resp.body, kBodyExcerpt);
    }
    return out;
}

std::string project_id_from_answer(const std::string& body, const std::string& region) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("projects") || !j["projects"].is_array())
        throw std::runtime_error("IAM's project list is not JSON with a 'projects' list");
    const auto& projects = j["projects"];
    if (projects.empty())
        throw std::runtime_error("IAM lists no project for region '" + region + "': set HUAWEICLOUD_SDK_PROJECT_ID");
    if (projects.size() > 1)
        throw std::runtime_error("IAM lists " + std::to_string(projects.size()) + " projects for region '" + region +
                                 "': set HUAWEICLOUD_SDK_PROJECT_ID to one of them");
    const auto& p = projects[0];
    std::string id = p.is_object() && p.contains("id") && p["id"].is_string() ? p["id"].get<std::string>() : "";
    bool plain = !id.empty() && id.size() <= 64 &&
                 std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isalnum(c); });
    if (!plain) throw std::runtime_error("IAM's project id for region '" + region + "' is not letters and digits");
    return id;
}

}  // namespace sopskit::kms::hckms
