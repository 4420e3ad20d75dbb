// Azure Key Vault keys: challenge auth, key bundles, encrypt/decrypt (and wrap/unwrap) with
// real RSA-OAEP-256 on RSA-2048 keys, so a client may also encrypt locally with the public key.
#include <nlohmann/json.hpp>

#include "codec.hpp"
#include "crypto.hpp"
#include "handlers.hpp"

namespace sopskit::kms_emulator {

namespace {

std::string default_tenant(Context& ctx) {
    nlohmann::json az = ctx.keys.section("azure");
    if (az.contains("tenant")) return az["tenant"].get<std::string>();
    nlohmann::json clients = az.value("clients", nlohmann::json::object());
    for (const auto& [_, c] : clients.items())
        if (c.contains("tenant")) return c["tenant"].get<std::string>();
    return "common";
}

// The 401 challenge the SDKs learn tenant and scope from. azure.authority and
// azure.challenge_resource in the state file override the public-cloud values (real sops checks
// that the vault host ends with the resource's host, e.g. kv.vault.test with https://vault.test).
void challenge(Context& ctx, Response& res, const std::string& message) {
    nlohmann::json az = ctx.keys.section("azure");
    std::string authority = az.value("authority", "https://login.microsoftonline.com");
    std::string resource = az.value("challenge_resource", "https://vault.azure.net");
    res.set_header("WWW-Authenticate", "Bearer authorization=\"" + authority + "/" + default_tenant(ctx) + "\", resource=\"" + resource + "\"");
    azure_error(res, 401, "Unauthorized", message);
}

std::vector<std::string> split_path(std::string_view rest) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        size_t slash = rest.find('/', start);
        parts.emplace_back(rest.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    while (!parts.empty() && parts.back().empty()) parts.pop_back();
    return parts;
}

bool is_operation(const std::string& s) { return s == "encrypt" || s == "decrypt" || s == "wrapkey" || s == "unwrapkey"; }

}  // namespace

void azure_error(Response& res, int status, const std::string& code, const std::string& message) {
    res.status = status;
    if (status == 429) res.set_header("Retry-After", "1");
    nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
    if (status == 403) body["error"]["innererror"] = {{"code", "ForbiddenByPolicy"}};
    res.set_content(body.dump(), "application/json; charset=utf-8");
}

void azure_kv(Context& ctx, const Request& req, Response& res, Call& call) {
    std::vector<std::string> parts = split_path(std::string(req.matches[1]));
    std::string name = parts.empty() ? "" : parts[0], version, op;
    if (parts.size() == 2 && is_operation(parts[1]) && req.method == "POST") {
        op = parts[1];
    } else {
        if (parts.size() >= 2) version = parts[1];
        if (parts.size() >= 3) op = parts[2];
    }
    call.operation = op.empty() ? "get" : op;
    call.key = name + (version.empty() ? "" : "/" + version);
    if (name.empty() || parts.size() > 3 || (!op.empty() && !is_operation(op)))
        return azure_error(res, 404, "NotFound", "The requested path is not supported.");

    std::string token = bearer_token(req);
    if (token.empty()) return challenge(ctx, res, "AKV10000: Request is missing a Bearer or PoP token.");
    auto issued = ctx.tokens.find(token);
    bool known = issued && issued->service == "azure";
    // Tokens of a signed-in user (the Azure CLI's), configured as azure.static_tokens.
    for (const auto& t : ctx.keys.section("azure").value("static_tokens", nlohmann::json::array())) known = known || t == token;
    if (!known) return challenge(ctx, res, "AKV10022: Invalid or expired token.");
    if (!req.has_param("api-version")) return azure_error(res, 400, "BadParameter", "The 'api-version' query parameter is missing.");

    bool is_get = req.method == "GET";
    if ((is_get && !op.empty()) || (!is_get && op.empty())) return azure_error(res, 405, "MethodNotAllowed", "The method is not allowed.");
    auto key = ctx.keys.rsa(name, version, is_get || op == "encrypt" || op == "wrapkey");
    if (!key) return azure_error(res, 404, "KeyNotFound", "A key with (name/id) " + call.key + " was not found in this key vault.");
    if (key->denied) return azure_error(res, 403, "Forbidden", "The user, group or application does not have keys " + call.operation + " permission on key vault.");
    call.key = name + "/" + key->version;
    std::string host = req.get_header_value("Host");
    std::string kid = "https://" + host + "/keys/" + name + "/" + key->version;

    if (is_get) {
        std::string n, e;
        rsa_public_jwk(key->private_pem, n, e);
        long long now = now_seconds();
        nlohmann::json bundle = {
            {"key", {{"kid", kid}, {"kty", "RSA"}, {"key_ops", {"encrypt", "decrypt", "wrapKey", "unwrapKey"}}, {"n", n}, {"e", e}}},
            {"attributes", {{"enabled", true}, {"created", now}, {"updated", now}, {"recoveryLevel", "Recoverable+Purgeable"}, {"recoverableDays", 90}}},
            {"tags", nlohmann::json::object()}};
        res.status = 200;
        return res.set_content(bundle.dump(), "application/json; charset=utf-8");
    }

    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("value") || !body["value"].is_string())
        return azure_error(res, 400, "BadParameter", "Property 'value' is required.");
    std::string alg = body.value("alg", "");
    if (alg != "RSA-OAEP-256") return azure_error(res, 400, "BadParameter", "Invalid algorithm '" + alg + "'; this vault supports RSA-OAEP-256.");
    auto value = base64_decode(body["value"].get<std::string>());
    if (!value) return azure_error(res, 400, "BadParameter", "Property 'value' is not valid base64url.");
    std::string out;
    if (op == "encrypt" || op == "wrapkey") {
        if (value->size() > 190) return azure_error(res, 400, "BadParameter", "The plaintext is too long for RSA-OAEP-256 with this key.");
        out = rsa_oaep256_encrypt(key->private_pem, *value);
    } else {
        auto pt = rsa_oaep256_decrypt(key->private_pem, *value);
        if (!pt) return azure_error(res, 400, "BadParameter", "Error occurred while decrypting the ciphertext.");
        out = *pt;
    }
    res.status = 200;
    res.set_content(nlohmann::json{{"kid", kid}, {"value", base64url_encode(out)}}.dump(), "application/json; charset=utf-8");
}

}  // namespace sopskit::kms_emulator
