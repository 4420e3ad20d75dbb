// HuaweiCloud AK/SK credentials from the environment or the SDK's credentials file, in the order
// the SDK's basic provider chain tries them; and the service's error answers.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "common/codec.hpp"
#include "hckms/hckms.hpp"

namespace sopskit::kms::hckms {

std::optional<Credentials> credentials_from_env(const Env& env) {
    auto ak = env("HUAWEICLOUD_SDK_AK");
    auto sk = env("HUAWEICLOUD_SDK_SK");
    if (!ak || !sk) return std::nullopt;
    return Credentials{*ak, *sk, env_or(env, "HUAWEICLOUD_SDK_SECURITY_TOKEN"), env_or(env, "HUAWEICLOUD_SDK_PROJECT_ID"),
                       "HUAWEICLOUD_SDK_AK"};
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
