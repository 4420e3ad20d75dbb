// HuaweiCloud KMS v1.0 data encryption: POST /v1.0/{project_id}/kms/encrypt-data|decrypt-data,
// and IAM's GET /v3/projects?name=REGION (how the SDK finds a project id it was not given), both
// behind the API gateway's SDK-HMAC-SHA256 check (the client library's own verifier).
// Ciphertext: the 36-byte key id || 4-byte big-endian key version || AES-256-GCM(nonce||ct||tag),
// so decrypt-data finds the key without being told; the AAD binds the key id.
#include <cstdlib>
#include <ctime>

#include <nlohmann/json.hpp>

#include "codec.hpp"
#include "crypto.hpp"
#include "handlers.hpp"
#include "sopskit/kms/sdk_hmac.hpp"

namespace sopskit::kms_emulator {

namespace {

constexpr std::size_t kKeyIdLength = 36;
constexpr std::size_t kMaxPlainText = 4096;

long long parse_sdk_date(const std::string& d) {
    std::tm tm{};
    if (d.size() != 16 || !strptime(d.c_str(), "%Y%m%dT%H%M%SZ", &tm)) return -1;
    return static_cast<long long>(timegm(&tm));
}

// The gateway's own refusals come flat; the KMS service's nest under "error".
void gateway_error(Response& res, int status, const std::string& code, const std::string& message) {
    res.status = status;
    res.set_content(nlohmann::json{{"error_code", code}, {"error_msg", message}, {"request_id", hex_encode(random_bytes(16))}}.dump(),
                    "application/json");
}

bool uuid_like(const std::string& s) {
    if (s.size() != kKeyIdLength) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) return false;
    }
    return true;
}

std::string be32(unsigned v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

std::string aad_for(const std::string& key_id) { return "hckms\n" + key_id; }

// Checks the gateway's signature rules; on failure writes the refusal and returns false.
// Fills the caller's project id on success.
bool authenticated(Context& ctx, const Request& req, Response& res, std::string& project_id) {
    namespace sh = sopskit::kms::sdk_hmac;
    const std::string denied = "Incorrect IAM authentication information: ";
    std::string authz = req.get_header_value("Authorization");
    if (authz.empty()) return gateway_error(res, 401, "APIGW.0301", denied + "Authorization not found."), false;
    auto parsed = sh::parse_authorization(authz);
    if (!parsed) return gateway_error(res, 401, "APIGW.0301", denied + "decode Authorization failed."), false;
    nlohmann::json creds = ctx.keys.section("hckms").value("credentials", nlohmann::json::object());
    auto it = creds.find(parsed->access_key);
    if (it == creds.end() || !it->is_object()) return gateway_error(res, 401, "APIGW.0301", denied + "ak " + parsed->access_key + " not exist."), false;
    std::string token = it->value("security_token", "");
    if (!token.empty() && req.get_header_value("X-Security-Token") != token)
        return gateway_error(res, 401, "APIGW.0301", denied + "verify security token failed."), false;
    long long t = parse_sdk_date(req.get_header_value("X-Sdk-Date"));
    if (t < 0) return gateway_error(res, 401, "APIGW.0301", denied + "x-sdk-date not found or malformed."), false;
    if (std::llabs(now_seconds() - t) > 15 * 60)
        return gateway_error(res, 401, "APIGW.0301", denied + "verify aksk signature fail, request expired."), false;
    sh::Request r;
    r.method = req.method;
    std::string target = req.target.empty() ? req.path : req.target;
    std::size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    for (const auto& [name, value] : req.headers) r.headers.push_back({name, value});
    r.body = req.body;
    if (!sh::verify(r, it->value("secret", "")))
        return gateway_error(res, 401, "APIGW.0301", denied + "verify aksk signature fail."), false;
    project_id = it->value("project_id", "");
    return true;
}

void ok(Response& res, const nlohmann::json& body) {
    res.status = 200;
    res.set_content(body.dump(), "application/json;charset=UTF-8");
}

}  // namespace

void hckms_error(Response& res, int status, const std::string& code, const std::string& message) {
    res.status = status;
    res.set_content(nlohmann::json{{"error", {{"error_code", code}, {"error_msg", message}}}}.dump(), "application/json;charset=UTF-8");
}

void hckms_iam_projects(Context& ctx, const Request& req, Response& res, Call& call) {
    call.operation = "KeystoneListProjects";
    std::string name = req.get_param_value("name");
    call.key = name;
    std::string project_id;
    if (!authenticated(ctx, req, res, project_id)) return;
    // The account has one project per region; the emulated credential's serves every region.
    nlohmann::json projects = nlohmann::json::array();
    if (!project_id.empty() && !name.empty())
        projects.push_back({{"id", project_id}, {"name", name}, {"enabled", true}, {"is_domain", false}});
    ok(res, {{"projects", projects}, {"links", {{"self", ctx.base_url + "/v3/projects"}}}});
}

void hckms_metadata(Context& ctx, const Request& req, Response& res, Call& call) {
    call.service = "hckms-metadata";
    if (req.method == "PUT") {
        call.operation = "token";
        long long ttl = 21600;
        try {
            ttl = std::stoll(req.get_header_value("X-Metadata-Token-Ttl-Seconds"));
        } catch (const std::exception&) {
            return hckms_error(res, 400, "ECS.0001", "X-Metadata-Token-Ttl-Seconds is required.");
        }
        res.status = 200;
        return res.set_content(ctx.tokens.issue({"hckms-metadata", "ecs", "", now_seconds() + ttl}), "text/plain");
    }
    call.operation = "securitykey";
    auto token = ctx.tokens.find(req.get_header_value("X-Metadata-Token"));
    if (!token || token->service != "hckms-metadata") return hckms_error(res, 401, "ECS.0401", "Unauthorized: invalid metadata token.");
    // The instance's agency: the first configured credential with a security token.
    nlohmann::json creds = ctx.keys.section("hckms").value("credentials", nlohmann::json::object());
    for (const auto& [ak, c] : creds.items()) {
        if (!c.is_object() || c.value("security_token", "").empty()) continue;
        call.key = ak;
        return ok(res, {{"credential", {{"access", ak}, {"secret", c.value("secret", "")}, {"securitytoken", c.value("security_token", "")},
                                        {"expires_at", rfc3339(now_seconds() + ctx.token_ttl())}}}});
    }
    hckms_error(res, 404, "ECS.0404", "Please configure Cloud Service Agency first");
}

void hckms_kms(Context& ctx, const Request& req, Response& res, Call& call) {
    std::string path_project = req.matches[1];
    std::string op = req.matches[2];
    call.operation = op;
    std::string project_id;
    if (!authenticated(ctx, req, res, project_id)) return;
    if (path_project != project_id || req.get_header_value("X-Project-Id") != project_id)
        return hckms_error(res, 403, "KMS.0303", "The project ID does not match the credentials.");
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object()) return hckms_error(res, 400, "KMS.0201", "Invalid request body.");
    if (body.contains("encryption_algorithm") && body["encryption_algorithm"] != "SYMMETRIC_DEFAULT")
        return hckms_error(res, 400, "KMS.0201", "Invalid encryption_algorithm.");
    std::string key_id = body.contains("key_id") && body["key_id"].is_string() ? body["key_id"].get<std::string>() : "";
    call.key = key_id;

    if (op == "encrypt-data") {
        if (!uuid_like(key_id)) return hckms_error(res, 400, "KMS.0201", "Invalid key_id.");
        if (!body.contains("plain_text") || !body["plain_text"].is_string()) return hckms_error(res, 400, "KMS.0201", "plain_text is required.");
        std::string pt = body["plain_text"].get<std::string>();
        if (pt.empty() || pt.size() > kMaxPlainText) return hckms_error(res, 400, "KMS.0201", "plain_text must be 1 to 4096 bytes.");
        auto key = ctx.keys.symmetric("hckms", key_id, true);
        if (!key) return hckms_error(res, 404, "KMS.0205", "The key does not exist.");
        if (key->denied) return hckms_error(res, 403, "KMS.0302", "Access to the key is denied.");
        unsigned version = unsigned(key->versions.size());
        std::string ct = key_id + be32(version) + aes_gcm_seal(key->versions[version - 1], pt, aad_for(key_id));
        return ok(res, {{"key_id", key_id}, {"cipher_text", base64_encode(ct)}});
    }

    if (!body.contains("cipher_text") || !body["cipher_text"].is_string()) return hckms_error(res, 400, "KMS.0201", "cipher_text is required.");
    auto ct = base64_decode(body["cipher_text"].get<std::string>());
    if (!ct || ct->size() < kKeyIdLength + 4) return hckms_error(res, 400, "KMS.0206", "Invalid cipher_text.");
    std::string embedded = ct->substr(0, kKeyIdLength);
    if (!key_id.empty() && key_id != embedded) return hckms_error(res, 400, "KMS.0206", "The key_id does not match the cipher_text.");
    call.key = embedded;
    auto key = ctx.keys.symmetric("hckms", embedded, false);
    if (!key) return hckms_error(res, 404, "KMS.0205", "The key does not exist.");
    if (key->denied) return hckms_error(res, 403, "KMS.0302", "Access to the key is denied.");
    std::string_view rest = std::string_view(*ct).substr(kKeyIdLength);
    unsigned version = (unsigned char)rest[0] << 24 | (unsigned char)rest[1] << 16 | (unsigned char)rest[2] << 8 | (unsigned char)rest[3];
    if (version == 0 || version > key->versions.size()) return hckms_error(res, 400, "KMS.0206", "Invalid cipher_text.");
    auto pt = aes_gcm_open(key->versions[version - 1], rest.substr(4), aad_for(embedded));
    if (!pt) return hckms_error(res, 400, "KMS.0206", "Invalid cipher_text.");
    ok(res, {{"key_id", embedded}, {"plain_text", *pt}, {"plain_text_base64", base64_encode(*pt)}});
}

}  // namespace sopskit::kms_emulator
