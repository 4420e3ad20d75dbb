// HashiCorp Vault transit: encrypt/decrypt with aes256-gcm96 keys, "vault:vN:" ciphertexts.
#include <nlohmann/json.hpp>

#include "codec.hpp"
#include "crypto.hpp"
#include "handlers.hpp"
#include "workload_tokens.hpp"

namespace sopskit::kms_emulator {

namespace {

void reply(Response& res, const nlohmann::json& data) {
    nlohmann::json body = {{"request_id", hex_encode(random_bytes(16))}, {"lease_id", ""}, {"renewable", false},
                           {"lease_duration", 0}, {"data", data}, {"wrap_info", nullptr}, {"warnings", nullptr},
                           {"auth", nullptr}, {"mount_type", "transit"}};
    res.status = 200;
    res.set_content(body.dump(), "application/json");
}

// The namespace a request acts in: the X-Vault-Namespace header (path prefixes are part of the mount).
std::string request_namespace(const Request& req) {
    std::string ns = req.get_header_value("X-Vault-Namespace");
    while (!ns.empty() && ns.back() == '/') ns.pop_back();
    while (!ns.empty() && ns.front() == '/') ns.erase(0, 1);
    return ns;
}

}  // namespace

bool vault_token_allowed(Context& ctx, const Request& req, const std::string& ns) {
    std::string token = req.get_header_value("X-Vault-Token");
    if (token.empty()) token = bearer_token(req);
    if (token.empty()) return false;
    if (auto issued = ctx.tokens.find(token); issued && issued->service == "vault") return true;  // from a login
    nlohmann::json tokens = ctx.keys.section("vault").value("tokens", nlohmann::json::object());
    if (tokens.is_array()) {
        for (const auto& t : tokens)
            if (t == token) return true;
        return false;
    }
    auto it = tokens.find(token);
    if (it == tokens.end()) return false;
    std::string token_ns = it->is_object() ? it->value("namespace", "") : "";
    return token_ns.empty() || ns == token_ns || ns.rfind(token_ns + "/", 0) == 0;
}

// Vault's Kubernetes auth method as configured in vault.kubernetes_auth: mount ("auth/kubernetes")
// -> {"issuer", "audience", "roles": {role: {"bound_service_account_names": [...],
// "bound_service_account_namespaces": [...]}}}. The JWT must be the issuer's, for the audience,
// and its subject system:serviceaccount:<ns>:<name> bound to the role.
void vault_login(Context& ctx, const Request& req, Response& res, Call& call) {
    std::string mount = req.matches[1];
    call.operation = "login";
    call.key = mount;
    nlohmann::json methods = ctx.keys.section("vault").value("kubernetes_auth", nlohmann::json::object());
    if (!methods.is_object() || !methods.contains(mount) || !methods[mount].is_object())
        return vault_error(res, 404, "no handler for route \"" + mount + "/login\". route entry not found.");
    const nlohmann::json& method = methods[mount];
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("jwt") || !body["jwt"].is_string() || !body.contains("role") || !body["role"].is_string())
        return vault_error(res, 400, "missing role or jwt");
    std::string role = body["role"];
    call.key = mount + " " + role;
    nlohmann::json roles = method.value("roles", nlohmann::json::object());
    if (!roles.is_object() || !roles.contains(role)) return vault_error(res, 400, "invalid role name \"" + role + "\"");
    WorkloadTokenCheck check = verify_workload_token(ctx, body["jwt"].get<std::string>(), method.value("audience", ""));
    if (!check.ok || check.issuer != method.value("issuer", "")) return vault_error(res, 403, "permission denied");
    const std::string prefix = "system:serviceaccount:";
    std::string rest = check.subject.rfind(prefix, 0) == 0 ? check.subject.substr(prefix.size()) : std::string();
    auto colon = rest.find(':');
    if (colon == std::string::npos) return vault_error(res, 403, "permission denied");
    auto bound = [&](const char* field, const std::string& value) {
        for (const auto& v : roles[role].value(field, nlohmann::json::array()))
            if (v == value || v == "*") return true;
        return false;
    };
    if (!bound("bound_service_account_namespaces", rest.substr(0, colon)) || !bound("bound_service_account_names", rest.substr(colon + 1)))
        return vault_error(res, 403, "service account name not authorized");
    long long ttl = ctx.token_ttl();
    std::string token = ctx.tokens.issue({"vault", check.subject, "", now_seconds() + ttl});
    res.status = 200;
    res.set_content(nlohmann::json{{"request_id", hex_encode(random_bytes(16))},
                                   {"auth", {{"client_token", token}, {"lease_duration", ttl}, {"renewable", true},
                                             {"policies", {"default"}}, {"token_type", "service"}}}}
                        .dump(),
                    "application/json");
}

void vault_error(Response& res, int status, const std::string& message) {
    res.status = status;
    res.set_content(nlohmann::json{{"errors", {message}}}.dump(), "application/json");
}

void vault_transit(Context& ctx, const Request& req, Response& res, Call& call) {
    std::string mount = req.matches[1], op = req.matches[2], name = req.matches[3];
    std::string ns = request_namespace(req);
    std::string key_id = (ns.empty() ? "" : ns + "/") + mount + "/" + name;
    call.operation = op;
    call.key = key_id;
    if (!vault_token_allowed(ctx, req, ns)) return vault_error(res, 403, "permission denied");
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object()) return vault_error(res, 400, "failed to parse JSON input: invalid character in request body");
    std::string aad;
    if (body.contains("associated_data")) {
        auto a = base64_decode(body.value("associated_data", ""));
        if (!a) return vault_error(res, 400, "failed to base64-decode associated_data");
        aad = *a;
    }
    if (body.contains("batch_input")) return vault_error(res, 400, "batch_input is not supported by this emulator");

    if (op == "encrypt") {
        auto pt = base64_decode(body.value("plaintext", ""));
        if (!body.contains("plaintext") || !pt) return vault_error(res, 400, "failed to base64-decode plaintext");
        auto key = ctx.keys.symmetric("vault", key_id, true);
        if (!key) return vault_error(res, 400, "encryption key not found");
        if (key->denied) return vault_error(res, 403, "permission denied");
        size_t version = key->versions.size();
        if (body.contains("key_version") && body["key_version"].is_number_integer() && body["key_version"].get<int>() > 0)
            version = body["key_version"].get<size_t>();
        if (version > key->versions.size()) return vault_error(res, 400, "requested version for encryption is higher than the latest key version");
        std::string sealed = aes_gcm_seal(key->versions[version - 1], *pt, aad);
        return reply(res, {{"ciphertext", "vault:v" + std::to_string(version) + ":" + base64_encode(sealed)},
                           {"key_version", version}});
    }

    std::string ct = body.value("ciphertext", "");
    if (ct.rfind("vault:v", 0) != 0) return vault_error(res, 400, "invalid ciphertext: no prefix");
    size_t colon = ct.find(':', 7);
    size_t version = 0;
    try {
        version = std::stoul(ct.substr(7, colon - 7));
    } catch (const std::exception&) {
        return vault_error(res, 400, "invalid ciphertext: could not parse version");
    }
    auto key = ctx.keys.symmetric("vault", key_id, false);
    if (!key) return vault_error(res, 400, "encryption key not found");
    if (key->denied) return vault_error(res, 403, "permission denied");
    if (colon == std::string::npos || version == 0 || version > key->versions.size())
        return vault_error(res, 400, "invalid ciphertext: invalid key version");
    auto sealed = base64_decode(ct.substr(colon + 1));
    if (!sealed) return vault_error(res, 400, "invalid ciphertext: could not decode");
    auto pt = aes_gcm_open(key->versions[version - 1], *sealed, aad);
    if (!pt) return vault_error(res, 400, "cipher: message authentication failed");
    reply(res, {{"plaintext", base64_encode(*pt)}});
}

}  // namespace sopskit::kms_emulator
